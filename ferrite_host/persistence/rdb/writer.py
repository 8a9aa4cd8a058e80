"""Writing Redis RDB files (version 10, as Redis 7.0 writes them) and DUMP value encodings.

Values are written in the encodings Redis 7.0 would choose for them: a small hash or sorted
set as one listpack, a small all-integer set as an intset, a list as a quicklist of
listpack nodes, larger values in the plain encodings; strings that read as integers are
integer-encoded and strings over 20 bytes LZF-compressed when that saves space (as with
`rdbcompression yes`). Module values are RDB_TYPE_MODULE_2: the type id, then either the
rdb_save bytes as one string field or (typed IO) the fields the module saved, each with its
module opcode, and the module EOF opcode; module aux data is RDB_OPCODE_MODULE_AUX.
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, BinaryIO, NamedTuple

from ferrite_host import REDIS_COMPAT_VERSION
from ferrite_host.keyspace import EncodingLimits, HashValue, ListValue, SetValue, ZSetValue
from ferrite_host.keyspace.streams import StreamValue
from ferrite_host.keyspace.values import TypedValue, Value
from ferrite_host.persistence.rdb import constants as c
from ferrite_host.persistence.rdb import intset, listpack, lzf, module_id
from ferrite_host.persistence.rdb.crc64 import crc64
from ferrite_host.persistence.snapshot import SaveStats, SnapshotSaveError, show_key
from ferrite_host.strconv import parse_int

#: The Redis version Ferrite's files say wrote them (what RDB version 10 belongs to).
WRITER_REDIS_VERSION = REDIS_COMPAT_VERSION.encode()
_FLUSH_AT = 64 * 1024
_COMPRESS_OVER = 20
_LE64 = struct.Struct("<q")
_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")
_U64_MASK = (1 << 64) - 1
#: REDISMODULE_AUX_BEFORE_RDB / AFTER_RDB.
AUX_BEFORE_RDB = 1
AUX_AFTER_RDB = 2
#: Node sizes (bytes) of Redis's negative list-max-listpack-size settings.
_NODE_BYTES = {-1: 4096, -2: 8192, -3: 16384, -4: 32768, -5: 65536}
_SIZE_SAFETY_LIMIT = 8192
#: What Redis 7.0 adds to an element's length to estimate its listpack entry's size.
_SIZE_ESTIMATE_OVERHEAD = 8
#: Elements at least this big get a PLAIN quicklist node of their own (Redis's 1 GB).
_PACKED_THRESHOLD = 1 << 30


class DbDump(NamedTuple):
    """One database to write: its index, live items, and size hints for RESIZEDB."""

    db: int
    items: Iterable[tuple[bytes, Value, int | None]]
    keys: int
    expires: int


# -- primitives ------------------------------------------------------------------------------


def encode_length(value: int) -> bytes:
    if value < 1 << 6:
        return bytes((value,))
    if value < 1 << 14:
        return bytes((0x40 | (value >> 8), value & 0xFF))
    if value < 1 << 32:
        return b"\x80" + value.to_bytes(4, "big")
    return b"\x81" + value.to_bytes(8, "big")


def _integer_string(value: int) -> bytes | None:
    if -(1 << 7) <= value < 1 << 7:
        return bytes((0xC0 | c.ENC_INT8,)) + value.to_bytes(1, "little", signed=True)
    if -(1 << 15) <= value < 1 << 15:
        return bytes((0xC0 | c.ENC_INT16,)) + value.to_bytes(2, "little", signed=True)
    if -(1 << 31) <= value < 1 << 31:
        return bytes((0xC0 | c.ENC_INT32,)) + value.to_bytes(4, "little", signed=True)
    return None


def encode_string(data: bytes | bytearray | memoryview, compress: bool = True) -> bytes:
    """A string as rdbSaveRawString writes it: integer, LZF or raw."""
    raw = bytes(data)
    size = len(raw)
    if size <= 11:
        number = parse_int(raw)
        if number is not None:
            encoded = _integer_string(number)
            if encoded is not None:
                return encoded
    if compress and size > _COMPRESS_OVER:
        packed = lzf.compress(raw, size - 4)
        if packed is not None:
            return (
                bytes((0xC0 | c.ENC_LZF,))
                + encode_length(len(packed))
                + encode_length(size)
                + packed
            )
    return encode_length(size) + raw


def _score_text(score: float) -> bytes:
    """A score as Redis 7.0's d2string spells it inside a listpack ("%.17g" unless integral)."""
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    if score == 0:
        return b"-0" if math.copysign(1.0, score) < 0 else b"0"
    if -4503599627370495 < score < 4503599627370496 and score == int(score):
        return b"%d" % int(score)
    return b"%.17g" % score


# -- values ----------------------------------------------------------------------------------


def _node_takes(fill: int, node_bytes: int, count: int, size: int) -> bool:
    """Redis 7.0's _quicklistNodeAllowInsert: may a `size`-byte element join this node?"""
    new_size = node_bytes + size + _SIZE_ESTIMATE_OVERHEAD
    if fill < 0 and -fill - 1 < len(_NODE_BYTES):
        return new_size <= _NODE_BYTES[fill]
    return new_size <= _SIZE_SAFETY_LIMIT and count < fill


class ValueEncoder:
    """Encodes values to (RDB type, bytes); `stats` counts module keys it had to skip."""

    def __init__(self, limits: EncodingLimits | None = None, compress: bool = True) -> None:
        self.limits = limits or EncodingLimits()
        self.compress = compress

    def string(self, data: bytes | bytearray | memoryview) -> bytes:
        return encode_string(data, self.compress)

    def encode(self, key: bytes, value: Value) -> tuple[int, bytes]:
        """(type byte, encoded value); module errors are SnapshotSaveError naming the key."""
        if type(value) is bytes or type(value) is bytearray:
            return c.TYPE_STRING, self.string(value)
        if isinstance(value, ListValue):
            return c.TYPE_LIST_QUICKLIST_2, self._list(value)
        if isinstance(value, HashValue):
            return self._hash(value)
        if isinstance(value, SetValue):
            return self._set(value)
        if isinstance(value, ZSetValue):
            return self._zset(value)
        if isinstance(value, StreamValue):
            from ferrite_host.persistence.rdb.streams import encode_stream

            return c.TYPE_STREAM_LISTPACKS_2, encode_stream(value, self.string, encode_length)
        if isinstance(value, TypedValue):
            kept = getattr(value.type, "raw_value", None)
            if kept is not None:  # a stream kept as stored: its own type byte and body
                stored: tuple[int, bytes] = kept(value.value)
                return stored
            return c.TYPE_MODULE_2, self.module(key, value)
        raise SnapshotSaveError(f"key {show_key(key)} holds a value RDB cannot store: {value!r}")

    def _list(self, value: ListValue) -> bytes:
        nodes = list(self._list_nodes(value))
        return encode_length(len(nodes)) + b"".join(nodes)

    def _list_nodes(self, value: ListValue) -> Iterator[bytes]:
        """Listpack nodes split where Redis 7.0's RPUSH would start a new node."""
        fill = self.limits.list_max_listpack_size
        entries: list[bytes] = []
        used = 0
        for item in value:
            size = len(item)
            if size >= _PACKED_THRESHOLD:
                if entries:
                    yield self._packed_node(entries)
                    entries, used = [], 0
                yield encode_length(c.QUICKLIST_NODE_PLAIN) + self.string(item)
                continue
            if entries and not _node_takes(fill, used, len(entries), size):
                yield self._packed_node(entries)
                entries, used = [], 0
            entry = listpack.encode_entry(item)
            entries.append(entry)
            used = (used or 7) + len(entry)
        if entries:
            yield self._packed_node(entries)

    def _packed_node(self, entries: list[bytes]) -> bytes:
        return encode_length(c.QUICKLIST_NODE_PACKED) + self.string(listpack.build(entries))

    def _hash(self, value: HashValue) -> tuple[int, bytes]:
        if value.encoding() == "listpack":
            items = [part for pair in value.items() for part in pair]
            return c.TYPE_HASH_LISTPACK, self.string(listpack.encode(items))
        parts = [encode_length(len(value))]
        for name, content in value.items():
            parts += (self.string(name), self.string(content))
        return c.TYPE_HASH, b"".join(parts)

    def _set(self, value: SetValue) -> tuple[int, bytes]:
        if value.encoding() == "intset":
            numbers = [parse_int(member) for member in value]
            if all(number is not None for number in numbers):
                return c.TYPE_SET_INTSET, self.string(intset.encode(numbers))  # type: ignore[arg-type]
        parts = [encode_length(len(value))]
        parts += (self.string(member) for member in value)
        return c.TYPE_SET, b"".join(parts)

    def _zset(self, value: ZSetValue) -> tuple[int, bytes]:
        if value.encoding() == "listpack":
            items = [part for member, score in value for part in (member, _score_text(score))]
            return c.TYPE_ZSET_LISTPACK, self.string(listpack.encode(items))
        parts = [encode_length(len(value))]
        for member, score in reversed(list(value)):  # Redis writes from the tail
            parts += (self.string(member), _DOUBLE.pack(score))
        return c.TYPE_ZSET_2, b"".join(parts)

    def module(self, key: bytes, value: TypedValue) -> bytes:
        """Type id + fields + EOF opcode; an opaque value is written back as it was read."""
        vtype = value.type
        raw = getattr(vtype, "raw_fields", None)
        if raw is not None:  # a value of a module that is not loaded: unchanged bytes
            mid: int = getattr(vtype, "module_id")  # noqa: B009 - only opaque types have it
            fields: bytes = raw(value.value)
            return encode_length(mid) + fields
        if getattr(vtype, "typed_io", False):
            typed: Any = vtype
            return encode_length(module_id.encode(vtype.name, vtype.encver)) + self.typed_fields(
                key, vtype, lambda: typed.save_fields(value.value, key)
            )
        try:
            payload = vtype.save(value.value)
        except Exception as exc:
            raise SnapshotSaveError(
                f"module type '{vtype.name}' (module '{vtype.module_name}') failed to save key "
                f"{show_key(key)}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise SnapshotSaveError(
                f"module type '{vtype.name}' (module '{vtype.module_name}') rdb_save returned "
                f"{type(payload).__name__} for key {show_key(key)}; it must return bytes"
            )
        return (
            encode_length(module_id.encode(vtype.name, vtype.encver))
            + encode_length(c.MODULE_OPCODE_STRING)
            + self.string(payload)
            + encode_length(c.MODULE_OPCODE_EOF)
        )

    def typed_fields(self, key: bytes | None, vtype: Any, save: Callable[[], list[Any]]) -> bytes:
        """A typed save's fields as Redis's module opcodes encode them, then the EOF opcode."""
        try:
            fields = save()
        except Exception as exc:
            what = f"key {show_key(key)}" if key is not None else "its aux data"
            raise SnapshotSaveError(
                f"module type '{vtype.name}' (module '{vtype.module_name}') failed to save "
                f"{what}: {type(exc).__name__}: {exc}"
            ) from exc
        parts = []
        for opcode, field_value in fields:
            parts.append(encode_length(opcode))
            if opcode == c.MODULE_OPCODE_UINT:
                parts.append(encode_length(field_value))
            elif opcode == c.MODULE_OPCODE_SINT:
                parts.append(encode_length(field_value & _U64_MASK))
            elif opcode == c.MODULE_OPCODE_FLOAT:
                parts.append(_FLOAT.pack(field_value))
            elif opcode == c.MODULE_OPCODE_DOUBLE:
                parts.append(_DOUBLE.pack(field_value))
            else:
                parts.append(self.string(field_value))
        parts.append(encode_length(c.MODULE_OPCODE_EOF))
        return b"".join(parts)

    def module_aux(self, vtype: Any, when: int) -> bytes:
        """One RDB_OPCODE_MODULE_AUX record: type id, the `when` field, the aux fields, EOF."""
        return (
            bytes((c.OP_MODULE_AUX,))
            + encode_length(module_id.encode(vtype.name, vtype.encver))
            + encode_length(c.MODULE_OPCODE_UINT)
            + encode_length(when)
            + self.typed_fields(None, vtype, lambda: vtype.aux_fields(when))
        )


def savable(value: Value) -> bool:
    """False for module values whose type has no rdb_save (they are skipped, as before)."""
    if type(value) is not TypedValue:
        return True
    kept = getattr(value.type, "raw_fields", None) or getattr(value.type, "raw_value", None)
    return kept is not None or bool(value.type.can_save())


# -- files -----------------------------------------------------------------------------------


class _ChecksummedWriter:
    """Buffers output, keeping the running CRC64 of everything written."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._buf = bytearray()
        self.crc = 0

    def write(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) >= _FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            self.crc = crc64(self._buf, self.crc)
            self._out.write(self._buf)
            self._buf = bytearray()


def default_aux(used_memory: int = 0) -> dict[str, bytes | int]:
    """The AUX fields Redis 7.0 writes first (integers integer-encoded, as Redis does)."""
    from ferrite_host import __version__

    return {
        "redis-ver": WRITER_REDIS_VERSION,
        "redis-bits": 64,
        "ctime": int(time.time()),
        "used-mem": used_memory,
        "aof-base": 0,
        "ferrite-ver": __version__.encode(),
    }


def write_rdb(
    out: BinaryIO,
    databases: Iterable[DbDump | tuple[int, Iterable[tuple[bytes, Value, int | None]]]],
    key_delay_us: int = 0,
    aux: Mapping[str, bytes | int] | None = None,
    limits: EncodingLimits | None = None,
    compress: bool = True,
    functions: Iterable[bytes] = (),
    module_types: Iterable[Any] = (),
) -> SaveStats:
    """Write a complete RDB file of `databases` to `out` (not flushed to disk); `functions`
    are the function libraries' code, written as FUNCTION2 records after the aux fields, as
    Redis writes them. Module types with `aux_save` write their aux records where Redis
    does: BEFORE_RDB ones after the aux fields, AFTER_RDB ones after the last database."""
    writer = _ChecksummedWriter(out)
    writer.write(c.MAGIC + b"%04d" % c.RDB_VERSION)
    encoder = ValueEncoder(limits, compress)
    fields = default_aux()
    fields.update(aux or {})
    for name, field_value in fields.items():
        raw = b"%d" % field_value if isinstance(field_value, int) else field_value
        writer.write(bytes((c.OP_AUX,)) + encoder.string(name.encode()) + encoder.string(raw))
    with_aux = [vtype for vtype in module_types if getattr(vtype, "has_aux", None) is not None]
    for vtype in with_aux:
        if vtype.has_aux(AUX_BEFORE_RDB):
            writer.write(encoder.module_aux(vtype, AUX_BEFORE_RDB))
    for code in functions:
        writer.write(bytes((c.OP_FUNCTION2,)) + encoder.string(code))
    stats = SaveStats()
    delay = key_delay_us / 1_000_000
    for database in databases:
        dump = _as_dump(database)
        selected = False
        for key, value, expire_at in dump.items:
            if not savable(value):
                vtype = value.type  # type: ignore[union-attr]
                module, count = stats.skipped.get(vtype.name, (vtype.module_name, 0))
                stats.skipped[vtype.name] = (module, count + 1)
                continue
            rdb_type, body = encoder.encode(key, value)
            if not selected:
                writer.write(
                    bytes((c.OP_SELECTDB,))
                    + encode_length(dump.db)
                    + bytes((c.OP_RESIZEDB,))
                    + encode_length(dump.keys)
                    + encode_length(dump.expires)
                )
                selected = True
            if expire_at is not None:
                writer.write(bytes((c.OP_EXPIRETIME_MS,)) + _LE64.pack(expire_at))
            writer.write(bytes((rdb_type,)) + encoder.string(key) + body)
            stats.keys += 1
            if delay:
                time.sleep(delay)
    for vtype in with_aux:
        if vtype.has_aux(AUX_AFTER_RDB):
            writer.write(encoder.module_aux(vtype, AUX_AFTER_RDB))
    writer.write(bytes((c.OP_EOF,)))
    writer.flush()
    out.write(writer.crc.to_bytes(8, "little"))
    return stats


def _as_dump(database: Any) -> DbDump:
    if isinstance(database, DbDump):
        return database
    index, items = database
    listed = list(items)
    return DbDump(index, listed, len(listed), sum(1 for *_, when in listed if when is not None))


def iter_dumps(keyspace: Any) -> Iterator[DbDump]:
    """Every non-empty database of a Keyspace, with its size hints."""
    for db in keyspace.dbs:
        if len(db):
            yield DbDump(db.index, db.items(), len(db), db.expires_count())
