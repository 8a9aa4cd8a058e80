"""The stream type: entries ordered by ID, consumer groups and their pending entries.

An ID is a `(ms, seq)` pair of unsigned 64-bit integers, so tuple order is Redis's order.
Entries live in a SortedDict (ID -> flat field/value list). Redis keeps them in listpack
"nodes" of up to stream-node-max-entries / -bytes, and approximate trimming (`~`) removes
only whole nodes; `nodes` keeps the same bookkeeping (first ID, live and deleted counts,
listpack size) so `MAXLEN ~` leaves exactly as many entries as Redis leaves.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from sortedcontainers import SortedDict

from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.values import Aggregate

StreamId = tuple[int, int]

U64 = 2**64 - 1
ZERO_ID: StreamId = (0, 0)
MAX_ID: StreamId = (U64, U64)
#: What a group's entries-read holds when it is not known (Redis's SCG_INVALID_ENTRIES_READ).
INVALID_ENTRIES_READ = -1


def format_id(sid: StreamId) -> bytes:
    return b"%d-%d" % sid


def next_id(sid: StreamId) -> StreamId | None:
    """The smallest ID above `sid`; None above the last possible ID."""
    ms, seq = sid
    if seq < U64:
        return ms, seq + 1
    if ms < U64:
        return ms + 1, 0
    return None


def previous_id(sid: StreamId) -> StreamId | None:
    ms, seq = sid
    if seq > 0:
        return ms, seq - 1
    if ms > 0:
        return ms - 1, U64
    return None


# -- listpack sizes (to split nodes where Redis splits them) -----------------------------------


def _backlen_size(size: int) -> int:
    return 1 if size <= 127 else 2 if size < 16383 else 3 if size < 2097151 else 4


def _int_size(value: int) -> int:
    if 0 <= value <= 127:
        head = 1
    elif -4096 <= value <= 4095:
        head = 2
    elif -(2**15) <= value < 2**15:
        head = 3
    elif -(2**23) <= value < 2**23:
        head = 4
    elif -(2**31) <= value < 2**31:
        head = 5
    else:
        head = 9
    return head + 1


def _signed64(value: int) -> int:
    value &= U64
    return value - 2**64 if value >= 2**63 else value


def _element_size(item: bytes) -> int:
    if len(item) <= 20 and item[:1] != b"+":
        try:
            value = int(item)
        except ValueError:
            value = None
        if value is not None and b"%d" % value == item and -(2**63) <= value < 2**63:
            return _int_size(value)
    length = len(item)
    head = 1 + length if length < 64 else 2 + length if length < 4096 else 5 + length
    return head + _backlen_size(head)


class Node:
    """One listpack of Redis's stream representation, as far as trimming needs it."""

    __slots__ = ("deleted", "fields", "last_id", "master_id", "size", "valid")

    def __init__(self, master_id: StreamId, fields: tuple[bytes, ...]) -> None:
        self.master_id = master_id
        self.last_id = master_id
        self.fields = fields
        self.valid = 0
        self.deleted = 0
        # header + end byte + master entry (count and deleted are added in `bytes`)
        self.size = 7 + _int_size(len(fields)) + sum(map(_element_size, fields)) + 1

    def total_bytes(self) -> int:
        return self.size + _int_size(self.valid) + _int_size(self.deleted)

    def add(self, sid: StreamId, pairs: list[bytes]) -> None:
        fields = tuple(pairs[0::2])
        values = pairs[1::2]
        ms = _signed64(sid[0] - self.master_id[0])
        seq = _signed64(sid[1] - self.master_id[1])
        size = 1 + _int_size(ms) + _int_size(seq) + sum(map(_element_size, values))
        if fields == self.fields:
            count = len(values) + 3
        else:
            size += _int_size(len(fields)) + sum(map(_element_size, fields))
            count = len(fields) * 2 + 4
        self.size += size + _int_size(count)
        self.valid += 1
        self.last_id = sid


class PendingEntry:
    """An entry delivered to a consumer and not acknowledged (Redis's NACK)."""

    __slots__ = ("consumer", "delivery_count", "delivery_time")

    def __init__(self, consumer: Consumer, delivery_time: int, delivery_count: int = 1) -> None:
        self.consumer = consumer
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count


class Consumer:
    __slots__ = ("active_time", "name", "pending", "seen_time")

    def __init__(self, name: bytes, seen_time: int) -> None:
        self.name = name
        self.seen_time = seen_time
        self.active_time = seen_time
        self.pending: SortedDict[StreamId, PendingEntry] = SortedDict()


class ConsumerGroup:
    __slots__ = ("consumers", "entries_read", "last_id", "name", "pending")

    def __init__(self, name: bytes, last_id: StreamId, entries_read: int) -> None:
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read
        self.pending: SortedDict[StreamId, PendingEntry] = SortedDict()
        self.consumers: dict[bytes, Consumer] = {}

    def consumer(self, name: bytes) -> Consumer | None:
        return self.consumers.get(name)

    def add_consumer(self, name: bytes, now: int) -> Consumer:
        consumer = self.consumers[name] = Consumer(name, now)
        return consumer

    def sorted_consumers(self) -> list[Consumer]:
        """In Redis's order (a radix tree: bytewise by name)."""
        return [self.consumers[name] for name in sorted(self.consumers)]

    def remove_consumer(self, name: bytes) -> int:
        """Drop a consumer and its pending entries; how many it had pending."""
        consumer = self.consumers.pop(name)
        for sid in consumer.pending:
            del self.pending[sid]
        return len(consumer.pending)

    def deliver(self, sid: StreamId, consumer: Consumer, now: int) -> PendingEntry:
        """Record `sid` delivered to `consumer` (a fresh NACK, or one taken over)."""
        entry = self.pending.get(sid)
        if entry is None:
            entry = PendingEntry(consumer, now)
            self.pending[sid] = entry
        else:
            del entry.consumer.pending[sid]
            entry.consumer = consumer
            entry.delivery_time = now
            entry.delivery_count = 1
        consumer.pending[sid] = entry
        return entry  # type: ignore[no-any-return]

    def acknowledge(self, sid: StreamId) -> bool:
        entry = self.pending.pop(sid, None)
        if entry is None:
            return False
        del entry.consumer.pending[sid]
        return True


class StreamValue(Aggregate):
    """A Redis stream."""

    __slots__ = ("entries", "entries_added", "groups", "last_id", "max_deleted_id", "nodes")
    TYPE = "stream"

    def __init__(self) -> None:
        self.entries: SortedDict[StreamId, list[bytes]] = SortedDict()
        self.nodes: SortedDict[StreamId, Node] = SortedDict()
        self.last_id: StreamId = ZERO_ID
        self.max_deleted_id: StreamId = ZERO_ID
        self.entries_added = 0
        self.groups: dict[bytes, ConsumerGroup] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return True  # an empty stream is still a value

    # -- reading ------------------------------------------------------------------------------

    @property
    def first_id(self) -> StreamId:
        return self.entries.peekitem(0)[0] if self.entries else ZERO_ID

    def last_entry_id(self) -> StreamId:
        """The ID of the last entry still there (Redis's streamLastValidID)."""
        return self.entries.peekitem(-1)[0] if self.entries else ZERO_ID

    def range(
        self, start: StreamId, end: StreamId, reverse: bool = False
    ) -> Iterator[tuple[StreamId, list[bytes]]]:
        entries = self.entries
        for sid in entries.irange(start, end, reverse=reverse):
            yield sid, entries[sid]

    def sorted_groups(self) -> list[ConsumerGroup]:
        return [self.groups[name] for name in sorted(self.groups)]

    # -- counters of consumer-group lag (Redis 7.0's entries_read bookkeeping) ---------------

    def has_tombstones_from(self, start: StreamId) -> bool:
        """Whether an entry was deleted at or after `start` (Redis's streamRangeHasTombstones
        with no end)."""
        if not self.entries or self.max_deleted_id == ZERO_ID:
            return False
        if self.first_id > self.max_deleted_id:
            return False
        return start <= self.max_deleted_id

    def estimate_entries_read(self, sid: StreamId) -> int:
        """How many entries were ever added up to `sid`, when the stream can tell
        (Redis's streamEstimateDistanceFromFirstEverEntry); INVALID_ENTRIES_READ if not."""
        if not self.entries_added:
            return 0
        if not self.entries and sid <= self.last_id:
            return self.entries_added
        if sid == self.last_id:
            return self.entries_added
        if sid > self.last_id:
            return INVALID_ENTRIES_READ
        first = self.first_id
        if self.max_deleted_id == ZERO_ID or self.max_deleted_id < first:
            if sid < first:
                return self.entries_added - len(self.entries)
            if sid == first:
                return self.entries_added - len(self.entries) + 1
        return INVALID_ENTRIES_READ

    def lag(self, group: ConsumerGroup) -> int | None:
        if not self.entries_added:
            return 0
        if group.entries_read != INVALID_ENTRIES_READ and not self.has_tombstones_from(
            group.last_id
        ):
            return self.entries_added - group.entries_read
        read = self.estimate_entries_read(group.last_id)
        if read != INVALID_ENTRIES_READ:
            return self.entries_added - read
        return None

    def advance_group(self, group: ConsumerGroup, sid: StreamId) -> None:
        """A group read past its last ID up to `sid`: keep its entries-read current."""
        if group.entries_read != INVALID_ENTRIES_READ and not self.has_tombstones_from(sid):
            group.entries_read += 1
        elif self.entries_added:
            group.entries_read = self.estimate_entries_read(sid)
        group.last_id = sid

    # -- writing ------------------------------------------------------------------------------

    def append(self, sid: StreamId, pairs: list[bytes], limits: EncodingLimits) -> None:
        """Add an entry whose ID is above `last_id` (the caller checked)."""
        node = self.nodes.peekitem(-1)[1] if self.nodes else None
        if node is not None:
            max_bytes = limits.stream_node_max_bytes
            if max_bytes <= 0 or max_bytes > 2**30:
                max_bytes = 2**30
            if node.total_bytes() + sum(map(len, pairs)) >= max_bytes or (
                limits.stream_node_max_entries
                and node.valid + node.deleted >= limits.stream_node_max_entries
            ):
                node = None
        if node is None:
            node = Node(sid, tuple(pairs[0::2]))
            self.nodes[sid] = node
        node.add(sid, pairs)
        self.entries[sid] = pairs
        self.last_id = sid
        self.entries_added += 1

    def load_entry(self, sid: StreamId, pairs: list[bytes], node: Node) -> None:
        """Add an entry read from a snapshot into `node` (already in `nodes`)."""
        node.add(sid, pairs)
        self.entries[sid] = pairs

    def _node_of(self, sid: StreamId) -> Node:
        index = self.nodes.bisect_right(sid) - 1
        node: Node = self.nodes.peekitem(index)[1]
        return node

    def delete(self, sid: StreamId) -> bool:
        """XDEL of one entry (the caller updates max_deleted_id)."""
        if sid not in self.entries:
            return False
        del self.entries[sid]
        node = self._node_of(sid)
        node.valid -= 1
        node.deleted += 1
        if not node.valid:
            del self.nodes[node.master_id]
        return True

    def trim(self, maxlen: int | None, minid: StreamId | None, approx: bool, limit: int) -> int:
        """Redis's streamTrim: whole nodes first; with `approx` only whole nodes."""
        deleted = 0
        entries, nodes = self.entries, self.nodes
        while nodes:
            if maxlen is not None and len(entries) <= maxlen:
                break
            node = nodes.peekitem(0)[1]
            if limit and deleted + node.valid > limit:
                break
            if maxlen is not None:
                whole = len(entries) - node.valid >= maxlen
            else:
                assert minid is not None
                whole = node.last_id < minid
            if whole:
                for sid in list(self._node_entries(node)):
                    del entries[sid]
                deleted += node.valid
                del nodes[node.master_id]
                continue
            if approx:
                break
            for sid in list(self._node_entries(node)):
                if maxlen is not None and len(entries) <= maxlen:
                    break
                if minid is not None and sid >= minid:
                    break
                del entries[sid]
                node.valid -= 1
                node.deleted += 1
                deleted += 1
            break
        return deleted

    def _node_entries(self, node: Node) -> Iterator[StreamId]:
        index = self.nodes.index(node.master_id)
        if index + 1 < len(self.nodes):
            end = self.nodes.peekitem(index + 1)[0]
            found: Iterator[StreamId] = self.entries.irange(
                node.master_id, end, inclusive=(True, False)
            )
            return found
        rest: Iterator[StreamId] = self.entries.irange(node.master_id)
        return rest

    # -- Aggregate ----------------------------------------------------------------------------

    def encoding(self) -> str:
        return "stream"

    def duplicate(self) -> StreamValue:
        copy = StreamValue()
        for sid, pairs in self.entries.items():
            copy.entries[sid] = list(pairs)
        for master, node in self.nodes.items():
            twin = Node(master, node.fields)
            twin.last_id, twin.valid, twin.deleted, twin.size = (
                node.last_id,
                node.valid,
                node.deleted,
                node.size,
            )
            copy.nodes[master] = twin
        copy.last_id = self.last_id
        copy.max_deleted_id = self.max_deleted_id
        copy.entries_added = self.entries_added
        for name, group in self.groups.items():
            twin_group = ConsumerGroup(name, group.last_id, group.entries_read)
            for cname, consumer in group.consumers.items():
                twin_consumer = twin_group.add_consumer(cname, consumer.seen_time)
                twin_consumer.active_time = consumer.active_time
            for sid, entry in group.pending.items():
                owner = twin_group.consumers[entry.consumer.name]
                nack = PendingEntry(owner, entry.delivery_time, entry.delivery_count)
                twin_group.pending[sid] = nack
                owner.pending[sid] = nack
            copy.groups[name] = twin_group
        return copy

    def rewrite_commands(self, key: bytes) -> list[list[bytes]]:
        """As Redis's AOF rewrite: XADDs (or an XADD MAXLEN 0 for an empty stream), XSETID,
        then per group XGROUP CREATE, and XCLAIM per pending entry (CREATECONSUMER for a
        consumer with nothing pending)."""
        out: list[list[bytes]] = []
        if self.entries:
            for sid, pairs in self.entries.items():
                out.append([b"XADD", key, format_id(sid), *pairs])
        else:
            out.append([b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"])
        out.append(
            [
                b"XSETID",
                key,
                format_id(self.last_id),
                b"ENTRIESADDED",
                b"%d" % self.entries_added,
                b"MAXDELETEDID",
                format_id(self.max_deleted_id),
            ]
        )
        for group in self.sorted_groups():
            out.append(
                [
                    b"XGROUP",
                    b"CREATE",
                    key,
                    group.name,
                    format_id(group.last_id),
                    b"ENTRIESREAD",
                    b"%d" % group.entries_read,
                ]
            )
            for consumer in group.sorted_consumers():
                if not consumer.pending:
                    out.append([b"XGROUP", b"CREATECONSUMER", key, group.name, consumer.name])
                    continue
                for sid, entry in consumer.pending.items():
                    out.append(
                        [
                            b"XCLAIM",
                            key,
                            group.name,
                            consumer.name,
                            b"0",
                            format_id(sid),
                            b"TIME",
                            b"%d" % entry.delivery_time,
                            b"RETRYCOUNT",
                            b"%d" % entry.delivery_count,
                            b"JUSTID",
                            b"FORCE",
                        ]
                    )
        return out

    def mem_usage(self, samples: int = 0) -> int:
        entries = self.entries
        count = len(entries)
        if samples and count > samples:
            sample = [entries.peekitem(i)[1] for i in range(samples)]
            per = sum(_pairs_size(pairs) for pairs in sample) // samples
            total = per * count
        else:
            total = sum(_pairs_size(pairs) for pairs in entries.values())
        total += sys.getsizeof(self) + 64 * len(self.nodes) + 48 * count
        for group in self.groups.values():
            total += 200 + 120 * len(group.pending) + 150 * len(group.consumers)
        return total


def _pairs_size(pairs: list[bytes]) -> int:
    return sys.getsizeof(pairs) + sum(sys.getsizeof(item) for item in pairs)
