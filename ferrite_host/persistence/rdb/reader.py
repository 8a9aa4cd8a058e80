"""Reading Redis RDB files (versions 1 to 11) and the value part of DUMP payloads.

Every encoding Redis 7.0 writes or still reads for the built-in types is understood: plain
strings, lists, sets, hashes and sorted sets (text and binary scores), integer and LZF
strings, ziplists, quicklists of ziplists or listpacks, listpacks, intsets and zipmaps.
Module values (RDB_TYPE_MODULE_2) are kept as their typed field stream until the whole file
checked out, and only then handed to the module's rdb_load.

The reader never trusts the file: every length is checked against what is left and every
error is a `SnapshotError` with the byte offset of what was wrong.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from ferrite_host.keyspace import EncodingLimits, HashValue, ListValue, SetValue, ZSetValue
from ferrite_host.keyspace.streams import StreamValue
from ferrite_host.keyspace.values import Aggregate, TypedValue
from ferrite_host.persistence.rdb import constants as c
from ferrite_host.persistence.rdb import intset, listpack, lzf, module_id, ziplist, zipmap
from ferrite_host.persistence.rdb.crc64 import crc64
from ferrite_host.persistence.rdb.errors import EncodingError
from ferrite_host.persistence.snapshot import (
    ModulePayload,
    SnapshotContents,
    SnapshotError,
    show_key,
)

_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")
_LE32 = struct.Struct("<I")
_LE64 = struct.Struct("<q")


@dataclass(slots=True)
class RdbModulePayload(ModulePayload):
    """A module value as RDB stores it: the type id and its typed fields (opcode, value).

    `data` is the value's one string field (what a bytes-blob rdb_load reads), or None when
    the fields are not exactly one string; `raw` is the field stream as stored (opcodes and
    EOF marker included), so the value can be written back byte for byte.
    """

    module_id: int = 0
    stored_name: str = ""
    fields: list[tuple[int, object]] = field(default_factory=list)
    raw: bytes = b""


@dataclass(slots=True)
class RdbModuleAux:
    """One module aux record (RDB_OPCODE_MODULE_AUX): the type, when it was saved, fields."""

    module_id: int
    stored_name: str
    when: int
    fields: list[tuple[int, object]]


@dataclass
class RdbContents(SnapshotContents):
    #: FUNCTION2 payloads (library source code), in file order.
    functions: list[bytes] = field(default_factory=list)
    #: Type names of module aux data (RDB_OPCODE_MODULE_AUX) the file holds.
    module_aux: list[str] = field(default_factory=list)
    #: The module aux records themselves, in file order.
    module_aux_records: list[RdbModuleAux] = field(default_factory=list)
    #: Keys with an empty aggregate, which Redis skips too.
    empty_keys: int = 0


class RdbCursor:
    """Reads RDB primitives from bytes; a short read or bad value is a SnapshotError."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.keys = 0

    def fail(self, reason: str, offset: int | None = None) -> SnapshotError:
        return SnapshotError(self.pos if offset is None else offset, reason, self.keys)

    def byte(self, what: str) -> int:
        if self.pos >= self.end:
            raise self.fail(f"unexpected end of file reading {what}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, size: int, what: str) -> bytes:
        stop = self.pos + size
        if stop > self.end:
            raise self.fail(
                f"unexpected end of file reading {what} ({size} bytes needed, "
                f"{self.end - self.pos} left)"
            )
        chunk = self.data[self.pos : stop]
        self.pos = stop
        return chunk

    def length_or_encoding(self, what: str) -> tuple[int, bool]:
        """(length, False) or (string encoding number, True)."""
        start = self.pos
        first = self.byte(what)
        kind = first >> 6
        if kind == c.LEN_6BIT:
            return first & 0x3F, False
        if kind == c.LEN_14BIT:
            return ((first & 0x3F) << 8) | self.byte(what), False
        if kind == c.LEN_ENCODED:
            return first & 0x3F, True
        if first == c.LEN_32BIT:
            return int.from_bytes(self.take(4, what), "big"), False
        if first == c.LEN_64BIT:
            return int.from_bytes(self.take(8, what), "big"), False
        raise self.fail(f"unknown length encoding 0x{first:02x} in {what}", start)

    def length(self, what: str) -> int:
        start = self.pos
        value, encoded = self.length_or_encoding(what)
        if encoded:
            raise self.fail(f"{what} is a string encoding, a length was expected", start)
        return value

    def count(self, what: str, least_bytes_each: int = 1) -> int:
        """A length counting items that follow; refused when the rest cannot hold them."""
        start = self.pos
        value = self.length(what)
        if value * least_bytes_each > self.end - self.pos:
            raise self.fail(
                f"{what} is {value} but only {self.end - self.pos} bytes are left "
                "(truncated or corrupted)",
                start,
            )
        return value

    def string(self, what: str) -> bytes:
        start = self.pos
        value, encoded = self.length_or_encoding(what)
        if not encoded:
            if value > self.end - self.pos:
                raise self.fail(
                    f"{what} claims {value} bytes but only {self.end - self.pos} are left "
                    "(truncated or corrupted)",
                    start,
                )
            return self.take(value, what)
        if value == c.ENC_INT8:
            return b"%d" % int.from_bytes(self.take(1, what), "little", signed=True)
        if value == c.ENC_INT16:
            return b"%d" % int.from_bytes(self.take(2, what), "little", signed=True)
        if value == c.ENC_INT32:
            return b"%d" % int.from_bytes(self.take(4, what), "little", signed=True)
        if value == c.ENC_LZF:
            compressed = self.length(what)
            size = self.length(what)
            body = self.take(compressed, what)
            try:
                return lzf.decompress(body, size)
            except lzf.LzfError as exc:
                raise self.fail(f"bad LZF-compressed {what}: {exc}", start) from None
        raise self.fail(f"unknown string encoding {value} in {what}", start)

    def binary_double(self, what: str) -> float:
        return float(_DOUBLE.unpack(self.take(8, what))[0])

    def text_double(self, what: str) -> float:
        start = self.pos
        size = self.byte(what)
        if size == 253:
            return float("nan")
        if size == 254:
            return float("inf")
        if size == 255:
            return float("-inf")
        raw = self.take(size, what)
        try:
            return float(raw)
        except ValueError:
            raise self.fail(f"{what} {raw!r} is not a number", start) from None


# -- values ----------------------------------------------------------------------------------

#: What a value decodes to before modules get to see it.
Loaded = bytes | Aggregate | RdbModulePayload | TypedValue


def read_value(
    cursor: RdbCursor, rdb_type: int, key: bytes, limits: EncodingLimits | None = None
) -> Loaded:
    """One value of type `rdb_type`; a built-in aggregate already has its encoding set."""
    reader = _READERS.get(rdb_type)
    if reader is None and rdb_type in c.STREAM_TYPES:
        from ferrite_host.persistence.rdb.streams import read_stream

        return read_stream(cursor, rdb_type)
    if reader is None:
        raise cursor.fail(_unknown_type(rdb_type, key))
    start = cursor.pos
    try:
        value = reader(cursor)
    except EncodingError as exc:
        raise cursor.fail(
            f"bad {_TYPE_NAMES.get(rdb_type, 'value')} of key {show_key(key)}: {exc}", start
        ) from None
    except SnapshotError as exc:
        exc.reason += f" (value of key {show_key(key)})"
        exc.args = (f"at offset {exc.offset}: {exc.reason}",)
        raise
    update = getattr(value, "update_encoding", None)
    if update is not None:
        update(limits or EncodingLimits())
    return value


def _unknown_type(rdb_type: int, key: bytes) -> str:
    if rdb_type == c.TYPE_MODULE_PRE_GA:
        return (
            f"key {show_key(key)} is a module value in the pre-4.0 format, which is not supported"
        )
    return f"unknown value type {rdb_type} for key {show_key(key)} (corrupted file?)"


def _blob(cursor: RdbCursor, what: str) -> bytes:
    return cursor.string(what)


def _list_plain(cursor: RdbCursor) -> Aggregate:
    size = cursor.count("the list length")
    return ListValue(cursor.string("a list element") for _ in range(size))


def _list_ziplist(cursor: RdbCursor) -> Aggregate:
    return ListValue(ziplist.decode(_blob(cursor, "a list ziplist")))


def _list_quicklist(cursor: RdbCursor) -> Aggregate:
    nodes = cursor.count("the quicklist node count")
    value = ListValue()
    for _ in range(nodes):
        value.extend(ziplist.decode(_blob(cursor, "a quicklist node")))
    return value


def _list_quicklist_2(cursor: RdbCursor) -> Aggregate:
    nodes = cursor.count("the quicklist node count", 2)
    value = ListValue()
    for _ in range(nodes):
        at = cursor.pos
        container = cursor.length("a quicklist node container")
        blob = _blob(cursor, "a quicklist node")
        if container == c.QUICKLIST_NODE_PLAIN:
            value.append(blob)
        elif container == c.QUICKLIST_NODE_PACKED:
            value.extend(listpack.decode(blob))
        else:
            raise cursor.fail(f"unknown quicklist node container {container}", at)
    return value


def _set_plain(cursor: RdbCursor) -> Aggregate:
    size = cursor.count("the set size")
    return _unique_set([cursor.string("a set member") for _ in range(size)])


def _unique_set(members: list[bytes]) -> Aggregate:
    value = SetValue(members)
    if len(value) != len(members):
        raise EncodingError("the set holds a member twice")
    return value


def _set_intset(cursor: RdbCursor) -> Aggregate:
    return _unique_set(intset.decode(_blob(cursor, "an intset")))


def _set_listpack(cursor: RdbCursor) -> Aggregate:
    return _unique_set(listpack.decode(_blob(cursor, "a set listpack")))


def _zset_with(score: Callable[[RdbCursor, str], float]) -> Callable[[RdbCursor], Aggregate]:
    def read(cursor: RdbCursor) -> Aggregate:
        size = cursor.count("the sorted set size", 2)
        value = ZSetValue()
        for _ in range(size):
            member = cursor.string("a sorted set member")
            at = cursor.pos
            points = score(cursor, "a sorted set score")
            if points != points:
                raise cursor.fail("a sorted set score is NaN", at)
            if not value.add(member, points):
                raise EncodingError("the sorted set holds a member twice")
        return value

    return read


def _zset_pairs(items: list[bytes]) -> Aggregate:
    if len(items) % 2:
        raise EncodingError("the sorted set's encoding holds an odd number of entries")
    value = ZSetValue()
    for index in range(0, len(items), 2):
        try:
            points = float(items[index + 1])
        except ValueError:
            raise EncodingError(f"score {items[index + 1]!r} is not a number") from None
        if points != points:
            raise EncodingError("a sorted set score is NaN")
        if not value.add(items[index], points):
            raise EncodingError("the sorted set holds a member twice")
    return value


def _zset_ziplist(cursor: RdbCursor) -> Aggregate:
    return _zset_pairs(ziplist.decode(_blob(cursor, "a sorted set ziplist")))


def _zset_listpack(cursor: RdbCursor) -> Aggregate:
    return _zset_pairs(listpack.decode(_blob(cursor, "a sorted set listpack")))


def _hash_plain(cursor: RdbCursor) -> Aggregate:
    size = cursor.count("the hash size", 2)
    items = []
    for _ in range(size):
        items.append(cursor.string("a hash field"))
        items.append(cursor.string("a hash value"))
    return _hash_pairs(items)


def _hash_pairs(items: list[bytes]) -> Aggregate:
    if len(items) % 2:
        raise EncodingError("the hash's encoding holds an odd number of entries")
    value = HashValue(zip(items[0::2], items[1::2], strict=True))
    if len(value) * 2 != len(items):
        raise EncodingError("the hash holds a field twice")
    return value


def _hash_ziplist(cursor: RdbCursor) -> Aggregate:
    return _hash_pairs(ziplist.decode(_blob(cursor, "a hash ziplist")))


def _hash_listpack(cursor: RdbCursor) -> Aggregate:
    return _hash_pairs(listpack.decode(_blob(cursor, "a hash listpack")))


def _hash_zipmap(cursor: RdbCursor) -> Aggregate:
    return _hash_pairs(zipmap.decode(_blob(cursor, "a hash zipmap")))


def _string(cursor: RdbCursor) -> bytes:
    return cursor.string("the string value")


def _module(cursor: RdbCursor) -> RdbModulePayload:
    mid = cursor.length("the module type id")
    name, encver = module_id.decode(mid)
    start = cursor.pos
    fields = read_module_fields(cursor)
    strings = [value for opcode, value in fields if opcode == c.MODULE_OPCODE_STRING]
    data = strings[0] if len(fields) == 1 and len(strings) == 1 else None
    raw = cursor.data[start : cursor.pos]
    shown = module_id.shown_name(name)
    return RdbModulePayload(shown, "", encver, data, mid, name, fields, raw)  # type: ignore[arg-type]


def read_module_fields(cursor: RdbCursor) -> list[tuple[int, object]]:
    """The typed fields of a module value up to its EOF opcode."""
    fields: list[tuple[int, object]] = []
    while True:
        at = cursor.pos
        opcode = cursor.length("a module field opcode")
        if opcode == c.MODULE_OPCODE_EOF:
            return fields
        value: object
        if opcode in (c.MODULE_OPCODE_SINT, c.MODULE_OPCODE_UINT):
            value = cursor.length("a module integer field")
            if opcode == c.MODULE_OPCODE_SINT and value >= 1 << 63:
                value -= 1 << 64
        elif opcode == c.MODULE_OPCODE_FLOAT:
            value = _FLOAT.unpack(cursor.take(4, "a module float field"))[0]
        elif opcode == c.MODULE_OPCODE_DOUBLE:
            value = cursor.binary_double("a module double field")
        elif opcode == c.MODULE_OPCODE_STRING:
            value = cursor.string("a module string field")
        else:
            raise cursor.fail(f"unknown module field opcode {opcode}", at)
        fields.append((opcode, value))


_READERS: dict[int, Callable[[RdbCursor], Loaded]] = {
    c.TYPE_STRING: _string,
    c.TYPE_LIST: _list_plain,
    c.TYPE_SET: _set_plain,
    c.TYPE_ZSET: _zset_with(RdbCursor.text_double),
    c.TYPE_HASH: _hash_plain,
    c.TYPE_ZSET_2: _zset_with(RdbCursor.binary_double),
    c.TYPE_MODULE_2: _module,
    c.TYPE_HASH_ZIPMAP: _hash_zipmap,
    c.TYPE_LIST_ZIPLIST: _list_ziplist,
    c.TYPE_SET_INTSET: _set_intset,
    c.TYPE_ZSET_ZIPLIST: _zset_ziplist,
    c.TYPE_HASH_ZIPLIST: _hash_ziplist,
    c.TYPE_LIST_QUICKLIST: _list_quicklist,
    c.TYPE_HASH_LISTPACK: _hash_listpack,
    c.TYPE_ZSET_LISTPACK: _zset_listpack,
    c.TYPE_LIST_QUICKLIST_2: _list_quicklist_2,
    c.TYPE_SET_LISTPACK: _set_listpack,
}

_TYPE_NAMES = {
    c.TYPE_HASH_ZIPMAP: "zipmap",
    c.TYPE_LIST_ZIPLIST: "ziplist",
    c.TYPE_SET_INTSET: "intset",
    c.TYPE_ZSET_ZIPLIST: "ziplist",
    c.TYPE_HASH_ZIPLIST: "ziplist",
    c.TYPE_LIST_QUICKLIST: "quicklist",
    c.TYPE_HASH_LISTPACK: "listpack",
    c.TYPE_ZSET_LISTPACK: "listpack",
    c.TYPE_LIST_QUICKLIST_2: "quicklist",
    c.TYPE_SET_LISTPACK: "listpack",
    c.TYPE_LIST: "list",
    c.TYPE_SET: "set",
    c.TYPE_ZSET: "sorted set",
    c.TYPE_ZSET_2: "sorted set",
    c.TYPE_HASH: "hash",
}


def is_empty(value: Loaded) -> bool:
    if isinstance(value, StreamValue):  # an empty stream is a value (it keeps its groups)
        return False
    return isinstance(value, Aggregate) and not len(value)  # type: ignore[arg-type]


# -- whole files -----------------------------------------------------------------------------


def is_rdb(data: bytes) -> bool:
    return data.startswith(c.MAGIC) or (len(data) < len(c.MAGIC) and c.MAGIC.startswith(data))


def parse_rdb(data: bytes, limits: EncodingLimits | None = None) -> RdbContents:
    """Parse and verify a whole RDB file held in memory; SnapshotError on any damage."""
    cursor = RdbCursor(data)
    version = _read_header(cursor)
    contents = RdbContents(version, {}, [], 0)
    seen: set[tuple[int, bytes]] = set()
    db = 0
    expire_at: int | None = None
    while True:
        op_at = cursor.pos
        op = cursor.byte("a record type")
        if op == c.OP_EOF:
            break
        if op == c.OP_EXPIRETIME_MS:
            expire_at = _LE64.unpack(cursor.take(8, "an expiry time"))[0]
        elif op == c.OP_EXPIRETIME:
            expire_at = _LE32.unpack(cursor.take(4, "an expiry time"))[0] * 1000
        elif op == c.OP_SELECTDB:
            db = cursor.length("a database number")
        elif op == c.OP_RESIZEDB:
            cursor.length("the database size")
            cursor.length("the expires size")
        elif op == c.OP_AUX:
            name = cursor.string("an aux field name").decode("utf-8", "replace")
            contents.aux[name] = cursor.string("an aux field value")
        elif op == c.OP_IDLE:
            cursor.length("an LRU idle time")
        elif op == c.OP_FREQ:
            cursor.byte("an LFU frequency")
        elif op == c.OP_MODULE_AUX:
            record = _module_aux(cursor)
            contents.module_aux.append(module_id.shown_name(record.stored_name))
            contents.module_aux_records.append(record)
        elif op == c.OP_FUNCTION2:
            contents.functions.append(cursor.string("a function library"))
        elif op == c.OP_FUNCTION_PRE_GA:
            raise cursor.fail("pre-release function format (Redis 7.0 RC) is not supported", op_at)
        else:
            key = cursor.string("a key")
            value = read_value(cursor, op, key, limits)
            slot = (db, key)
            if slot in seen:
                raise cursor.fail(f"duplicate key {show_key(key)} in db {db}", op_at)
            seen.add(slot)
            cursor.keys += 1
            if is_empty(value):
                contents.empty_keys += 1
            else:
                contents.records.append((db, key, expire_at, value))
            expire_at = None
    contents.data_end = cursor.pos
    if version >= 5:
        _verify_checksum(cursor, data)
    if cursor.pos != len(data):
        raise cursor.fail(f"{len(data) - cursor.pos} unexpected bytes after the end of the file")
    return contents


def _read_header(cursor: RdbCursor) -> int:
    raw = cursor.take(c.HEADER_SIZE, "the header")
    digits = raw[len(c.MAGIC) :]
    if not raw.startswith(c.MAGIC) or not digits.isdigit():
        raise cursor.fail("not an RDB file (bad magic bytes)", 0)
    version = int(digits)
    if not 1 <= version <= c.MAX_READ_VERSION:
        raise cursor.fail(
            f"RDB format version {version} is not supported (this Ferrite reads versions 1 to "
            f"{c.MAX_READ_VERSION})",
            len(c.MAGIC),
        )
    return version


def _module_aux(cursor: RdbCursor) -> RdbModuleAux:
    mid = cursor.length("a module aux type id")
    name, _ = module_id.decode(mid)
    at = cursor.pos
    if cursor.length("a module aux opcode") != c.MODULE_OPCODE_UINT:
        raise cursor.fail("module aux data without its 'when' field", at)
    when = cursor.length("a module aux 'when' field")
    return RdbModuleAux(mid, name, when, read_module_fields(cursor))


def _verify_checksum(cursor: RdbCursor, data: bytes) -> None:
    end = cursor.pos
    stored = int.from_bytes(cursor.take(8, "the checksum"), "little")
    if stored == 0:
        return  # written with rdbchecksum no
    computed = crc64(memoryview(data)[:end])
    if stored != computed:
        raise cursor.fail(
            f"checksum mismatch (stored 0x{stored:016x}, computed 0x{computed:016x}): the file "
            "is corrupted",
            end,
        )
