"""Streams in Redis's RDB format: a radix tree of listpacks, then counters and groups.

    stream   := node-count (node-key listpack)* length last-id [first-id max-deleted-id
                entries-added] group-count group*
    group    := name last-id [entries-read] pel-count (id delivery-ms delivery-count)*
                consumer-count consumer*
    consumer := name seen-ms [active-ms] pel-count id*

Bracketed fields are new in STREAM_LISTPACKS_2 (Redis 7.0, what Ferrite writes); the active
time in STREAM_LISTPACKS_3 (Redis 7.2, read and kept). A node's listpack starts with a
master entry (live count, deleted count, the master fields, 0); each entry is flags,
ms and seq deltas from the node key, its fields (or only values when they are the master
fields) and the number of elements it took. Ferrite writes only live entries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ferrite_host.keyspace.streams import (
    INVALID_ENTRIES_READ,
    U64,
    ConsumerGroup,
    Node,
    PendingEntry,
    StreamId,
    StreamValue,
)
from ferrite_host.persistence.rdb import constants as c
from ferrite_host.persistence.rdb import listpack
from ferrite_host.persistence.rdb.errors import EncodingError

if TYPE_CHECKING:
    from ferrite_host.persistence.rdb.reader import RdbCursor

_STREAM_ID = 16  # two big-endian u64: milliseconds and sequence
_DELETED = 1
_SAME_FIELDS = 2


def _signed(value: int) -> int:
    """A 64-bit length as the signed counter Redis stores in it (entries-read -1)."""
    return value - 2**64 if value >= 2**63 else value


def _raw_id(data: bytes) -> StreamId:
    return int.from_bytes(data[:8], "big"), int.from_bytes(data[8:16], "big")


def _id_bytes(sid: StreamId) -> bytes:
    return sid[0].to_bytes(8, "big") + sid[1].to_bytes(8, "big")


# -- reading ---------------------------------------------------------------------------------


def read_stream(cursor: RdbCursor, rdb_type: int) -> StreamValue:
    v2 = rdb_type >= c.TYPE_STREAM_LISTPACKS_2
    v3 = rdb_type >= c.TYPE_STREAM_LISTPACKS_3
    stream = StreamValue()
    for _ in range(cursor.count("the stream's listpack count", 2)):
        at = cursor.pos
        key = cursor.string("a stream node id")
        if len(key) != _STREAM_ID:
            raise cursor.fail("a stream node id is not 16 bytes", at)
        blob = cursor.string("a stream listpack")
        try:
            _load_node(stream, _raw_id(key), blob)
        except (EncodingError, ValueError, IndexError) as exc:
            raise cursor.fail(f"bad stream listpack: {exc}", at) from None
    length = cursor.length("the stream length")
    if length != len(stream.entries):
        raise cursor.fail(f"the stream length is {length} but it holds {len(stream.entries)}")
    stream.last_id = _read_id(cursor, "the stream's last id")
    if v2:
        _read_id(cursor, "the stream's first id")
        stream.max_deleted_id = _read_id(cursor, "the stream's max deleted id")
        stream.entries_added = cursor.length("the stream's entries added")
    else:
        stream.entries_added = len(stream.entries)
    for _ in range(cursor.count("the stream's consumer group count")):
        name = cursor.string("a consumer group name")
        last_id = _read_id(cursor, "a consumer group's last id")
        if v2:
            entries_read = _signed(cursor.length("a consumer group's entries read"))
        else:
            entries_read = stream.estimate_entries_read(last_id)
        group = ConsumerGroup(name, last_id, entries_read)
        stream.groups[name] = group
        orphans: dict[StreamId, PendingEntry] = {}
        for _ in range(cursor.count("a consumer group's pending count", _STREAM_ID + 9)):
            sid = _raw_id(cursor.take(_STREAM_ID, "a pending entry"))
            delivered = int.from_bytes(cursor.take(8, "a pending entry"), "little", signed=True)
            count = cursor.length("a pending entry's delivery count")
            orphans[sid] = PendingEntry(None, delivered, count)  # type: ignore[arg-type]
        group.pending.update(orphans)
        for _ in range(cursor.count("a consumer group's consumer count")):
            cname = cursor.string("a consumer name")
            seen = int.from_bytes(cursor.take(8, "a consumer's seen time"), "little", signed=True)
            consumer = group.add_consumer(cname, seen)
            if v3:
                consumer.active_time = int.from_bytes(
                    cursor.take(8, "a consumer's active time"), "little", signed=True
                )
            for _ in range(cursor.count("a consumer's pending count", _STREAM_ID)):
                at = cursor.pos
                sid = _raw_id(cursor.take(_STREAM_ID, "a consumer's pending id"))
                entry = orphans.pop(sid, None)
                if entry is None:
                    raise cursor.fail("a consumer's pending id is not in its group's PEL", at)
                entry.consumer = consumer
                consumer.pending[sid] = entry
        if orphans:
            raise cursor.fail("a consumer group's PEL has entries no consumer owns")
    return stream


def _read_id(cursor: RdbCursor, what: str) -> StreamId:
    return cursor.length(what), cursor.length(what)


def _load_node(stream: StreamValue, master: StreamId, blob: bytes) -> None:
    items = listpack.decode(blob)
    if not items:
        raise EncodingError("empty listpack inside a stream")
    live, deleted, nfields = int(items[0]), int(items[1]), int(items[2])
    fields = tuple(items[3 : 3 + nfields])
    pos = 3 + nfields
    if items[pos] != b"0":
        raise EncodingError("a stream master entry does not end with 0")
    pos += 1
    node = Node(master, fields)
    stream.nodes[master] = node
    last = master
    for _ in range(live + deleted):
        flags = int(items[pos])
        sid = ((master[0] + int(items[pos + 1])) & U64, (master[1] + int(items[pos + 2])) & U64)
        pos += 3
        if flags & _SAME_FIELDS:
            pairs = [
                part
                for pair in zip(fields, items[pos : pos + nfields], strict=True)
                for part in pair
            ]
            pos += nfields
        else:
            count = int(items[pos])
            pairs = list(items[pos + 1 : pos + 1 + 2 * count])
            pos += 1 + 2 * count
        pos += 1  # the entry's element count
        last = sid
        if flags & _DELETED:
            node.deleted += 1
        else:
            stream.load_entry(sid, pairs, node)
    node.last_id = last
    node.size = len(blob) - _int_size(node.valid) - _int_size(node.deleted)
    if not node.valid:
        del stream.nodes[master]


def _int_size(value: int) -> int:
    return len(listpack.encode_entry(b"%d" % value))


# -- writing ---------------------------------------------------------------------------------


def encode_stream(
    stream: StreamValue, string: Callable[[bytes], bytes], length: Callable[[int], bytes]
) -> bytes:
    """The body of a STREAM_LISTPACKS_2 value."""
    nodes = [node for node in stream.nodes.values() if node.valid]
    parts = [length(len(nodes))]
    keys = stream.nodes.keys()
    for node in nodes:
        index = stream.nodes.index(node.master_id)
        end = keys[index + 1] if index + 1 < len(keys) else None
        parts.append(string(_id_bytes(node.master_id)))
        parts.append(string(_node_listpack(stream, node, end)))
    parts.append(length(len(stream.entries)))
    for sid in (stream.last_id, stream.first_id, stream.max_deleted_id):
        parts += (length(sid[0]), length(sid[1]))
    parts.append(length(stream.entries_added))
    groups = stream.sorted_groups()
    parts.append(length(len(groups)))
    for group in groups:
        parts.append(string(group.name))
        parts += (length(group.last_id[0]), length(group.last_id[1]))
        read = group.entries_read
        parts.append(length(read if read >= 0 else read + 2**64))
        parts.append(length(len(group.pending)))
        for sid, entry in group.pending.items():
            parts.append(_id_bytes(sid))
            parts.append((entry.delivery_time & U64).to_bytes(8, "little"))
            parts.append(length(entry.delivery_count))
        consumers = group.sorted_consumers()
        parts.append(length(len(consumers)))
        for consumer in consumers:
            parts.append(string(consumer.name))
            parts.append((consumer.seen_time & U64).to_bytes(8, "little"))
            parts.append(length(len(consumer.pending)))
            parts += (_id_bytes(sid) for sid in consumer.pending)
    return b"".join(parts)


def _node_listpack(stream: StreamValue, node: Node, end: StreamId | None) -> bytes:
    master_ms, master_seq = node.master_id
    fields = list(node.fields)
    entries = [
        listpack.encode_entry(b"%d" % node.valid),
        listpack.encode_entry(b"0"),
        listpack.encode_entry(b"%d" % len(fields)),
        *(listpack.encode_entry(f) for f in fields),
        listpack.encode_entry(b"0"),
    ]
    if end is None:
        ids = stream.entries.irange(node.master_id)
    else:
        ids = stream.entries.irange(node.master_id, end, inclusive=(True, False))
    encode = listpack.encode_entry
    for sid in ids:
        pairs = stream.entries[sid]
        names = pairs[0::2]
        same = len(names) == len(fields) and all(a == b for a, b in zip(names, fields, strict=True))
        entries.append(encode(b"%d" % (_SAME_FIELDS if same else 0)))
        entries.append(encode(b"%d" % _wrap(sid[0] - master_ms)))
        entries.append(encode(b"%d" % _wrap(sid[1] - master_seq)))
        if same:
            entries += (encode(v) for v in pairs[1::2])
            entries.append(encode(b"%d" % (len(names) + 3)))
        else:
            entries.append(encode(b"%d" % len(names)))
            entries += (encode(part) for part in pairs)
            entries.append(encode(b"%d" % (2 * len(names) + 4)))
    return listpack.build(entries)


def _wrap(value: int) -> int:
    value &= U64
    return value - 2**64 if value >= 2**63 else value


__all__ = ["INVALID_ENTRIES_READ", "encode_stream", "read_stream"]
