"""The append-only file: RESP commands in the order they succeeded.

Writing: `AofWriter` appends encoded blocks (a SELECT first whenever the database changes)
with the configured fsync policy. Reading: `iter_commands` walks the file strictly and says
exactly where it ends early (a truncated tail) or stops making sense (a format error).
Rewriting: `rewrite_commands` yields the shortest command list that rebuilds the dataset.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from ferrite_host.keyspace.values import Aggregate, TypedValue, Value
from ferrite_host.persistence.snapshot import DbItems, show_key

log = logging.getLogger("ferrite")

#: Longest `*<n>` / `$<n>` header line accepted (Redis's numbers fit in far less).
_MAX_HEADER = 32
RESTORE_COMMAND = b"FERRITE.RESTORE"


class AofTruncated(Exception):
    """The file ends in the middle of a command; `offset` is where the last whole one ends."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"at offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason


class AofFormatError(Exception):
    """The bytes at `offset` are not a RESP command: the file is corrupted, not just cut."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"at offset {offset}: {reason}")
        self.offset = offset
        self.reason = reason


# -- encoding --------------------------------------------------------------------------------


def _as_bytes(arg: object) -> bytes:
    if type(arg) is bytes:
        return arg
    if isinstance(arg, (bytearray, memoryview)):
        return bytes(arg)
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, int):
        return b"%d" % arg
    if isinstance(arg, float):
        return repr(arg).encode()
    return bytes(arg)  # type: ignore[call-overload,no-any-return]


def encode_command(argv: Iterable[object]) -> bytes:
    args = list(argv)
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if type(arg) is bytes else _as_bytes(arg)
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def select_command(db: int) -> bytes:
    return encode_command((b"SELECT", b"%d" % db))


@dataclass
class CommandStream:
    """Encodes blocks for one file, remembering which db the file has selected last."""

    selected_db: int = -1

    def encode(self, db: int, commands: list[list[bytes]]) -> bytes:
        if db == self.selected_db and len(commands) == 1 and len(commands[0]) != 2:
            return encode_command(commands[0])  # the common case: one write, same database
        parts = []
        if db != self.selected_db:
            parts.append(select_command(db))
            self.selected_db = db
        for argv in commands:
            parts.append(encode_command(argv))
            if len(argv) == 2 and argv[0].lower() == b"select":
                with contextlib.suppress(ValueError):
                    self.selected_db = int(argv[1])
        return b"".join(parts)


# -- reading ---------------------------------------------------------------------------------


@dataclass
class AofCommand:
    offset: int
    end: int
    argv: list[bytes]


def _header(data: bytes, pos: int, marker: int, what: str) -> tuple[int, int]:
    """Parse `<marker><digits>CRLF` at pos; returns (number, position after the line)."""
    if pos >= len(data):
        raise _Short(f"end of file before {what}")
    if data[pos] != marker:
        raise AofFormatError(
            pos, f"expected '{chr(marker)}' starting {what}, found byte 0x{data[pos]:02x}"
        )
    end = data.find(b"\r\n", pos, pos + _MAX_HEADER)
    if end < 0:
        rest = data[pos + 1 : pos + _MAX_HEADER]
        if len(data) - pos < _MAX_HEADER and (
            rest.removesuffix(b"\r").isdigit() or rest in (b"", b"\r")
        ):
            raise _Short(f"end of file inside {what}")
        raise AofFormatError(pos, f"malformed {what}")
    digits = data[pos + 1 : end]
    if not digits.isdigit() or (len(digits) > 1 and digits[0] == 0x30):
        raise AofFormatError(pos, f"malformed {what}: {data[pos:end]!r}")
    return int(digits), end + 2


class _Short(Exception):
    """Internal: the data ran out inside the current command."""


def iter_commands(data: bytes) -> Iterator[AofCommand]:
    """Every whole command in `data`; raises AofTruncated or AofFormatError where it stops."""
    pos = 0
    size = len(data)
    while pos < size:
        start = pos
        try:
            argc, pos = _header(data, pos, 0x2A, "a command (*<count>)")
            if argc < 1:
                raise AofFormatError(start, "a command with no arguments")
            argv: list[bytes] = []
            for _ in range(argc):
                arg_at = pos
                length, pos = _header(data, pos, 0x24, "an argument ($<length>)")
                end = pos + length
                if end + 2 > size:
                    raise _Short("end of file inside an argument")
                if data[end : end + 2] != b"\r\n":
                    raise AofFormatError(arg_at, "argument not followed by CRLF (wrong length?)")
                argv.append(data[pos:end])
                pos = end + 2
        except _Short as exc:
            raise AofTruncated(start, str(exc)) from None
        yield AofCommand(start, pos, argv)


@dataclass
class ParsedAof:
    """Replayable commands grouped into units (one command, or a whole MULTI ... EXEC)."""

    units: list[list[AofCommand]] = field(default_factory=list)
    #: Offset where the valid data ends, when the file has a truncated tail.
    truncated_at: int | None = None
    truncated_reason: str = ""
    size: int = 0


def parse_aof(data: bytes) -> ParsedAof:
    """Split the file into units; a cut tail (or an unfinished MULTI) is reported, not replayed.

    Raises AofFormatError for damage that is not a truncated tail.
    """
    parsed = ParsedAof(size=len(data))
    block: list[AofCommand] | None = None
    try:
        for command in iter_commands(data):
            name = command.argv[0].lower()
            if name == b"multi":
                if block is not None:
                    raise AofFormatError(command.offset, "MULTI inside an unfinished MULTI block")
                block = [command]
            elif block is not None:
                block.append(command)
                if name == b"exec":
                    parsed.units.append(block)
                    block = None
            elif name == b"exec":
                raise AofFormatError(command.offset, "EXEC without MULTI")
            else:
                parsed.units.append([command])
    except AofTruncated as exc:
        parsed.truncated_at = block[0].offset if block else exc.offset
        parsed.truncated_reason = exc.reason
        return parsed
    if block is not None:
        parsed.truncated_at = block[0].offset
        parsed.truncated_reason = "the file ends inside a MULTI block (no EXEC)"
    return parsed


# -- writing ---------------------------------------------------------------------------------


class AofWriter:
    """The open append-only file: appends, fsync policies and write-error bookkeeping."""

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self.fd = fd
        self.size = os.fstat(fd).st_size
        self.stream = CommandStream()
        #: Bytes a failed write could not store yet; retried before anything newer.
        self.pending = bytearray()
        self.last_write_ok = True
        self.unsynced = False
        self.last_fsync = time.monotonic()
        self._fsync_thread: threading.Thread | None = None
        self.delayed_fsyncs = 0

    @classmethod
    def open(cls, path: str) -> AofWriter:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        return cls(path, fd)

    def append(self, data: bytes) -> bool:
        """Write now (before the client's reply leaves); False if the write failed."""
        if self.pending:
            self.pending += data
            return self.retry_pending()
        try:
            self._write_all(data)
        except OSError as exc:
            self._write_failed(exc, data)
            return False
        self.last_write_ok = True
        return True

    def retry_pending(self) -> bool:
        if not self.pending:
            return True
        data = bytes(self.pending)
        self.pending = bytearray()
        try:
            self._write_all(data)
        except OSError as exc:
            self._write_failed(exc, data)
            return False
        if not self.last_write_ok:
            log.warning("AOF write error looks solved, Ferrite can write again.")
        self.last_write_ok = True
        return True

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            self.size += written
            view = view[written:]
        self.unsynced = True

    def _write_failed(self, exc: OSError, data: bytes) -> None:
        if self.last_write_ok:
            log.warning("Error writing to the AOF file %s: %s", self.path, exc.strerror)
        self.last_write_ok = False
        # What part of `data` reached the file is unknown after a short write; Redis trims
        # back to the last whole command, we keep the whole block to retry.
        self.pending = bytearray(data) + self.pending

    def fsync_now(self) -> None:
        self.wait_background_fsync()
        os.fsync(self.fd)
        self.unsynced = False
        self.last_fsync = time.monotonic()

    def fsync_in_background(self) -> None:
        """everysec: fsync off the event loop; skipped while the previous one still runs."""
        if not self.unsynced:
            self.last_fsync = time.monotonic()
            return
        thread = self._fsync_thread
        if thread is not None and thread.is_alive():
            self.delayed_fsyncs += 1
            return
        self.unsynced = False
        self.last_fsync = time.monotonic()
        thread = threading.Thread(target=self._fsync_quietly, name="ferrite-aof-fsync", daemon=True)
        self._fsync_thread = thread
        thread.start()

    def pending_fsync(self) -> bool:
        return self._fsync_thread is not None and self._fsync_thread.is_alive()

    def _fsync_quietly(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError as exc:
            log.warning("fsync of the AOF file %s failed: %s", self.path, exc.strerror)

    def wait_background_fsync(self) -> None:
        if self._fsync_thread is not None:
            self._fsync_thread.join()
            self._fsync_thread = None

    def close(self) -> None:
        self.wait_background_fsync()
        if self.pending:
            self.retry_pending()
        with contextlib.suppress(OSError):
            os.fsync(self.fd)
        os.close(self.fd)


# -- rewriting -------------------------------------------------------------------------------


@dataclass
class RewriteStats:
    keys: int = 0
    restored: int = 0
    #: type name -> (module name, keys that could not be written)
    skipped: dict[str, tuple[str, int]] = field(default_factory=dict)

    def skipped_warnings(self) -> list[str]:
        return [
            f"AOF rewrite skipped {count} key(s) of module type '{name}' (module '{module}'): the "
            "type has neither aof_rewrite nor rdb_save"
            for name, (module, count) in sorted(self.skipped.items())
        ]


class RewriteError(Exception):
    """A module callback failed while rewriting; the old file is kept."""


def rewrite_commands(databases: Iterable[DbItems], stats: RewriteStats) -> Iterator[list[bytes]]:
    """Commands that rebuild every live key: SELECT per db, then per key its commands."""
    for index, items in databases:
        selected = False
        for key, value, expire_at in items:
            commands = _key_commands(key, value, expire_at, stats)
            if not commands:
                continue
            if not selected:
                yield [b"SELECT", b"%d" % index]
                selected = True
            yield from commands
            stats.keys += 1


def _dump_restore(key: bytes, value: TypedValue) -> list[bytes]:
    """A typed-IO value without aof_rewrite: RESTORE of its DUMP payload (Redis's format)."""
    from ferrite_host.persistence.rdb.dump import dump_payload

    return [b"RESTORE", key, b"0", dump_payload(key, value), b"REPLACE"]


def _key_commands(
    key: bytes, value: Value, expire_at: int | None, stats: RewriteStats
) -> list[list[bytes]]:
    expiry = [[b"PEXPIREAT", key, b"%d" % expire_at]] if expire_at is not None else []
    if isinstance(value, Aggregate):
        return [*value.rewrite_commands(key), *expiry]
    if type(value) is not TypedValue:
        return [[b"SET", key, bytes(value)], *expiry]  # type: ignore[arg-type]
    vtype = value.type
    try:
        rebuilt = vtype.aof_rewrite(value.value, key)
        if rebuilt is not None:
            return [[_as_bytes(arg) for arg in argv] for argv in rebuilt] + expiry
        if not vtype.can_save():
            module, count = stats.skipped.get(vtype.name, (vtype.module_name, 0))
            stats.skipped[vtype.name] = (module, count + 1)
            return []
        if getattr(vtype, "typed_io", False):
            stats.restored += 1
            return [_dump_restore(key, value), *expiry]
        payload = bytes(vtype.save(value.value))
    except Exception as exc:
        raise RewriteError(
            f"module type '{vtype.name}' (module '{vtype.module_name}') failed to rewrite key "
            f"{show_key(key)}: {type(exc).__name__}: {exc}"
        ) from exc
    stats.restored += 1
    restore = [RESTORE_COMMAND, key, vtype.name.encode(), b"%d" % vtype.encver, payload]
    if expire_at is not None:
        restore += [b"PXAT", b"%d" % expire_at]
    return [[*restore, b"MODULE", vtype.module_name.encode()]]


def write_rewrite(
    out: BinaryIO,
    databases: Iterable[DbItems],
    key_delay_us: int = 0,
    preamble: Iterable[list[bytes]] = (),
) -> RewriteStats:
    """Write the rewritten file body to `out` (not synced); `preamble` commands (the
    function libraries) come first."""
    stats = RewriteStats()
    buffer: list[bytes] = [encode_command(argv) for argv in preamble]
    buffered = sum(len(chunk) for chunk in buffer)
    delay = key_delay_us / 1_000_000
    last_keys = 0
    for argv in rewrite_commands(databases, stats):
        chunk = encode_command(argv)
        buffer.append(chunk)
        buffered += len(chunk)
        if buffered >= 64 * 1024:
            out.write(b"".join(buffer))
            buffer, buffered = [], 0
        if delay and stats.keys != last_keys:
            last_keys = stats.keys
            time.sleep(delay)
    out.write(b"".join(buffer))
    return stats
