"""Snapshots: what both formats share, and Ferrite's previous format (still read).

Snapshots are written in Redis's RDB format (`persistence/rdb/`). Files in Ferrite's
previous format, version 1 (documented in docs/persistence.md), still load:

    file    := magic(8) version(u16 BE) flags(u16 BE) record* eof checksum
    record  := 0xFA aux-name aux-value                       (metadata)
             | 0xFE varint(db)                               (following keys belong to db)
             | 0x00 kflags [expire] key value                (string key)
             | 0x01 kflags [expire] key type module varint(encver) payload   (module key)
    eof     := 0xFF varint(total keys written)
    checksum:= u32 BE zlib.crc32 of every byte before it

Strings (keys, values, names, payloads) are varint(length) + bytes; varints are unsigned
LEB128; `kflags` bit 0 says an expiry follows as an i64 BE absolute Unix time in ms.

Reading never trusts the file: every length is checked against what is left, every error
becomes a `SnapshotError` carrying the offset, and nothing is handed to the keyspace (or to a
module's `rdb_load`) until the whole file parsed and its checksum matched.
"""

from __future__ import annotations

import contextlib
import os
import struct
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ferrite_host import REDIS_COMPAT_VERSION, __version__
from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.values import Aggregate, TypedValue, Value, ValueType
from ferrite_host.persistence.files import snapshot_temp_name, write_atomically

MAGIC = b"FERRITE\x00"
FORMAT_VERSION = 1
HEADER_SIZE = len(MAGIC) + 4

OP_STRING = 0x00
OP_MODULE = 0x01
OP_AUX = 0xFA
OP_SELECTDB = 0xFE
OP_EOF = 0xFF

KEY_HAS_EXPIRY = 0x01
_KNOWN_KEY_FLAGS = KEY_HAS_EXPIRY

_I64 = struct.Struct(">q")
_U32 = struct.Struct(">I")
_VARINT_1 = [bytes((n,)) for n in range(0x80)]
_FLUSH_AT = 64 * 1024

#: (db index, live (key, value, absolute expiry ms or None) triples) for one database.
DbItems = tuple[int, Iterable[tuple[bytes, Value, "int | None"]]]


class SnapshotError(Exception):
    """The file is not a readable snapshot: where (byte offset) and why."""

    def __init__(self, offset: int, reason: str, keys_read: int = 0) -> None:
        super().__init__(f"at offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason
        self.keys_read = keys_read


class SnapshotLoadError(Exception):
    """The file is intact but a value in it cannot be rebuilt (module missing, rdb_load raised)."""


class SnapshotSaveError(Exception):
    """Writing the snapshot failed; the previous snapshot (if any) is untouched."""


def show_key(key: bytes) -> str:
    """A key as log lines and errors show it: quoted, binary bytes escaped."""
    return repr(key.decode("utf-8", "backslashreplace"))


def varint(value: int) -> bytes:
    if value < 0x80:
        return _VARINT_1[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def lenbytes(data: bytes | bytearray | memoryview) -> bytes:
    return varint(len(data)) + bytes(data)


# -- writing ---------------------------------------------------------------------------------


@dataclass
class SaveStats:
    keys: int = 0
    #: type name -> (module name, keys skipped because the type has no rdb_save)
    skipped: dict[str, tuple[str, int]] = field(default_factory=dict)

    def skipped_warnings(self) -> list[str]:
        return [
            f"Skipped {count} key(s) of module type '{name}' (module '{module}'): the type has "
            "no rdb_save callback, so its values are not persisted"
            for name, (module, count) in sorted(self.skipped.items())
        ]


class _ChecksummedWriter:
    """Buffers output, keeping the running CRC32 of everything written."""

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
            self.crc = zlib.crc32(self._buf, self.crc)
            self._out.write(self._buf)
            self._buf = bytearray()


def write_snapshot(
    out: BinaryIO,
    databases: Iterable[DbItems],
    key_delay_us: int = 0,
    aux: Mapping[str, bytes] | None = None,
) -> SaveStats:
    """Write a complete snapshot of `databases` to `out` (not flushed to disk)."""
    writer = _ChecksummedWriter(out)
    writer.write(MAGIC + struct.pack(">HH", FORMAT_VERSION, 0))
    for name, aux_value in default_aux(aux).items():
        writer.write(bytes((OP_AUX,)) + lenbytes(name.encode()) + lenbytes(aux_value))
    stats = SaveStats()
    delay = key_delay_us / 1_000_000
    for index, items in databases:
        selected = False
        for key, value, expire_at in items:
            record = _key_record(key, value, expire_at, stats)
            if record is None:
                continue
            if not selected:
                writer.write(bytes((OP_SELECTDB,)) + varint(index))
                selected = True
            writer.write(record)
            stats.keys += 1
            if delay:
                time.sleep(delay)
    writer.write(bytes((OP_EOF,)) + varint(stats.keys))
    writer.flush()
    out.write(_U32.pack(writer.crc))
    return stats


def default_aux(extra: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    aux = {
        "ferrite-ver": __version__.encode(),
        "redis-ver": REDIS_COMPAT_VERSION.encode(),
        "ctime-ms": b"%d" % int(time.time() * 1000),
    }
    aux.update(extra or {})
    return aux


def _key_record(key: bytes, value: Value, expire_at: int | None, stats: SaveStats) -> bytes | None:
    head = b"\x00" if expire_at is None else b"\x01" + _I64.pack(expire_at)
    if type(value) is not TypedValue:
        return b"\x00" + head + lenbytes(key) + lenbytes(value)  # type: ignore[arg-type]
    vtype = value.type
    if not vtype.can_save():
        module, count = stats.skipped.get(vtype.name, (vtype.module_name, 0))
        stats.skipped[vtype.name] = (module, count + 1)
        return None
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
        b"\x01"
        + head
        + lenbytes(key)
        + lenbytes(vtype.name.encode())
        + lenbytes(vtype.module_name.encode())
        + varint(vtype.encver)
        + lenbytes(payload)
    )


# -- reading ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ModulePayload:
    type_name: str
    module_name: str
    encver: int
    data: bytes


#: db index, key, absolute expiry ms or None, string bytes, a built-in aggregate (RDB) or a
#: module payload
Record = tuple[int, bytes, "int | None", "bytes | Aggregate | TypedValue | ModulePayload"]


@dataclass
class SnapshotContents:
    version: int
    aux: dict[str, bytes]
    records: list[Record]
    #: Offset of the checksum trailer (the end of the data it covers).
    data_end: int

    def key_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for db, *_ in self.records:
            counts[db] = counts.get(db, 0) + 1
        return counts

    def module_types(self) -> dict[tuple[str, str], int]:
        """(type name, module name) -> number of keys."""
        types: dict[tuple[str, str], int] = {}
        for *_, value in self.records:
            if isinstance(value, ModulePayload):
                slot = (value.type_name, value.module_name)
                types[slot] = types.get(slot, 0) + 1
        return types


class _Cursor:
    """Reads from the file's bytes; every short read or bad value is a SnapshotError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.keys = 0

    def fail(self, reason: str, offset: int | None = None) -> SnapshotError:
        return SnapshotError(self.pos if offset is None else offset, reason, self.keys)

    def byte(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise self.fail(f"unexpected end of file reading {what}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, size: int, what: str) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            left = len(self.data) - self.pos
            raise self.fail(
                f"unexpected end of file reading {what} ({size} bytes needed, {left} left)"
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def varint(self, what: str) -> int:
        start = self.pos
        value = shift = 0
        while True:
            byte = self.byte(what)
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise self.fail(f"malformed length in {what}", start)

    def string(self, what: str) -> bytes:
        start = self.pos
        size = self.varint(what)
        if size > len(self.data) - self.pos:
            raise self.fail(
                f"{what} claims {size} bytes but only {len(self.data) - self.pos} are left "
                "(truncated or corrupted)",
                start,
            )
        return self.take(size, what)

    def text(self, what: str) -> str:
        start = self.pos
        raw = self.string(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what} is not valid UTF-8", start) from None


def parse_snapshot(data: bytes, limits: EncodingLimits | None = None) -> SnapshotContents:
    """Parse and verify a whole snapshot held in memory; raises SnapshotError on any damage.

    The first bytes decide the format: Redis's RDB ("REDIS"), which Ferrite writes, or
    Ferrite's previous format ("FERRITE\\0"), which it still reads.
    """
    from ferrite_host.persistence.rdb.reader import is_rdb, parse_rdb

    if is_rdb(data) or not MAGIC.startswith(data[: len(MAGIC)]):
        if not is_rdb(data):
            raise SnapshotError(
                0, "not a snapshot file (neither Redis RDB nor Ferrite magic bytes)"
            )
        return parse_rdb(data, limits)
    return parse_legacy_snapshot(data)


def parse_legacy_snapshot(data: bytes) -> SnapshotContents:
    """Parse and verify a snapshot in Ferrite's previous format (version 1)."""
    cursor = _Cursor(data)
    version = _read_header(cursor)
    aux: dict[str, bytes] = {}
    records: list[Record] = []
    seen: set[tuple[int, bytes]] = set()
    db = 0
    while True:
        op_at = cursor.pos
        op = cursor.byte("a record type")
        if op == OP_EOF:
            break
        if op == OP_AUX:
            name = cursor.text("an aux field name")
            aux[name] = cursor.string("an aux field value")
        elif op == OP_SELECTDB:
            db = cursor.varint("a database number")
        elif op in (OP_STRING, OP_MODULE):
            record = _read_key(cursor, op, db)
            slot = (db, record[1])
            if slot in seen:
                raise cursor.fail(f"duplicate key {show_key(record[1])} in db {db}", op_at)
            seen.add(slot)
            records.append(record)
            cursor.keys += 1
        else:
            raise cursor.fail(f"unknown record type 0x{op:02x} (corrupted file?)", op_at)
    count_at = cursor.pos
    declared = cursor.varint("the key count")
    data_end = cursor.pos
    stored = _U32.unpack(cursor.take(4, "the checksum"))[0]
    if cursor.pos != len(data):
        raise cursor.fail(
            f"{len(data) - cursor.pos} unexpected bytes after the checksum", cursor.pos
        )
    computed = zlib.crc32(memoryview(data)[:data_end])
    if stored != computed:
        raise cursor.fail(
            f"checksum mismatch (stored 0x{stored:08x}, computed 0x{computed:08x}): the file is "
            "corrupted",
            data_end,
        )
    if declared != len(records):
        raise cursor.fail(f"the file declares {declared} keys but holds {len(records)}", count_at)
    return SnapshotContents(version, aux, records, data_end)


def _read_header(cursor: _Cursor) -> int:
    data = cursor.data
    if len(data) < len(MAGIC) and MAGIC.startswith(data):
        raise cursor.fail("unexpected end of file reading the header")
    if not data.startswith(MAGIC):
        raise cursor.fail("not a Ferrite snapshot (bad magic bytes)", 0)
    cursor.pos = len(MAGIC)
    version, flags = struct.unpack(">HH", cursor.take(4, "the header"))
    if version > FORMAT_VERSION or version == 0:
        raise cursor.fail(
            f"snapshot format version {version} is not supported (this Ferrite reads version "
            f"{FORMAT_VERSION}); upgrade Ferrite to read it",
            len(MAGIC),
        )
    if flags:
        raise cursor.fail(f"unknown header flags 0x{flags:04x}", len(MAGIC) + 2)
    return int(version)


def _read_key(cursor: _Cursor, op: int, db: int) -> Record:
    flags_at = cursor.pos
    flags = cursor.byte("key flags")
    if flags & ~_KNOWN_KEY_FLAGS:
        raise cursor.fail(f"unknown key flags 0x{flags:02x}", flags_at)
    expire_at = _I64.unpack(cursor.take(8, "an expiry time"))[0] if flags & KEY_HAS_EXPIRY else None
    key = cursor.string("a key")
    try:
        if op == OP_STRING:
            return db, key, expire_at, cursor.string("the value")
        type_name = cursor.text("the module type name")
        module_name = cursor.text("the module name")
        encver = cursor.varint("the encoding version")
        payload = cursor.string("the module payload")
    except SnapshotError as exc:
        exc.reason += f" of key {show_key(key)}"
        exc.args = (f"at offset {exc.offset}: {exc.reason}",)
        raise
    return db, key, expire_at, ModulePayload(type_name, module_name, encver, payload)


# -- turning records into values -------------------------------------------------------------


@dataclass
class LoadedData:
    #: db index -> [(key, value, expiry)] ready to put into the keyspace
    dbs: dict[int, list[tuple[bytes, Value, int | None]]]
    loaded: int = 0
    expired: int = 0
    #: type name -> keys kept opaque because their module is not loaded
    opaque: dict[str, int] = field(default_factory=dict)


def restore_module_value(
    module_types: Mapping[str, ValueType],
    payload: ModulePayload,
    key: bytes,
) -> TypedValue:
    """Rebuild one module value with its type's rdb_load; SnapshotLoadError names what failed."""
    vtype = module_types.get(payload.type_name)
    if vtype is None:
        raise SnapshotLoadError(
            f"no matching module type '{payload.type_name}' for key {show_key(key)}: it belongs to "
            f"module '{payload.module_name}', which is not loaded. Install that module "
            f"(pip install) and make sure it loads (check --module / --disable-module)"
        )
    if payload.encver > vtype.encver:
        raise SnapshotLoadError(
            f"key {show_key(key)} of module type '{payload.type_name}' was saved with encoding "
            f"version {payload.encver}, newer than the {vtype.encver} that module "
            f"'{vtype.module_name}' supports; upgrade the module"
        )
    try:
        value = vtype.load(payload.data, payload.encver)
    except Exception as exc:
        raise SnapshotLoadError(
            f"module type '{payload.type_name}' (module '{vtype.module_name}') failed to load "
            f"key {show_key(key)}: {type(exc).__name__}: {exc}"
        ) from exc
    return TypedValue(vtype, value)


def build_values(
    contents: SnapshotContents,
    module_types: Mapping[str, ValueType],
    databases: int,
    now_ms: int,
    keep_unknown_modules: bool = False,
) -> LoadedData:
    """Every live key as a keyspace value; expired keys are dropped (and counted).

    RDB module values whose module is not loaded are kept opaque when `keep_unknown_modules`
    (counted per type name in `opaque`), else refused with SnapshotLoadError.
    """
    from ferrite_host.persistence.rdb.modules import ModuleValueError, rebuild
    from ferrite_host.persistence.rdb.reader import RdbModulePayload

    loaded = LoadedData({})
    for db, _key, _, _ in contents.records:
        if db >= databases:
            raise SnapshotLoadError(
                f"the snapshot has keys in db {db} but this server has only {databases} "
                f"databases; start it with --databases {db + 1} or more"
            )
    built: list[TypedValue] = []
    try:
        for db, key, expire_at, raw in contents.records:
            if expire_at is not None and expire_at <= now_ms:
                loaded.expired += 1
                continue
            value: Value
            if isinstance(raw, RdbModulePayload):
                try:
                    typed = rebuild(module_types, raw, show_key(key), keep_unknown_modules, key)
                except ModuleValueError as exc:
                    raise SnapshotLoadError(str(exc)) from None
                if typed.type.module_name == "(not loaded)":
                    loaded.opaque[typed.type.name] = loaded.opaque.get(typed.type.name, 0) + 1
                built.append(typed)
                value = typed
            elif isinstance(raw, ModulePayload):
                typed = restore_module_value(module_types, raw, key)
                built.append(typed)
                value = typed
            else:
                value = raw
            loaded.dbs.setdefault(db, []).append((key, value, expire_at))
            loaded.loaded += 1
    except SnapshotLoadError:
        for typed in built:  # nothing reaches the keyspace: let the module free what it built
            _release_quietly(typed)
        raise
    return loaded


def _release_quietly(typed: TypedValue) -> None:
    # a failing free must not hide the load error being reported
    with contextlib.suppress(Exception):
        typed.type.release(typed.value)


def read_file(path: str | os.PathLike[str]) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def iter_databases(keyspace: Any) -> Iterator[DbItems]:
    """(index, items) for every non-empty database of a Keyspace."""
    for db in keyspace.dbs:
        if len(db):
            yield db.index, db.items()


def save_snapshot(
    path: Path,
    keyspace: Any,
    key_delay_us: int = 0,
    compress: bool = True,
    functions: Iterable[bytes] = (),
    module_types: Iterable[Any] = (),
) -> SaveStats:
    """Write the keyspace (and the function libraries' code, the module types' aux data)
    to `path` as Redis RDB, crash-safely (temp-<pid>.rdb, fsync, rename, fsync dir)."""
    from ferrite_host.persistence.rdb.writer import iter_dumps, write_rdb

    temp = path.parent / snapshot_temp_name(os.getpid())

    def write(handle: BinaryIO) -> SaveStats:
        return write_rdb(
            handle,
            iter_dumps(keyspace),
            key_delay_us,
            limits=keyspace.limits,
            compress=compress,
            functions=functions,
            module_types=module_types,
        )

    return write_atomically(path, temp, write)
