"""RedisModuleIO: the typed field stream of Redis's module type callbacks.

A type registered with `TypeMethods(typed_io=True)` saves and loads its values field by
field (`io.save_unsigned`, `io.load_string`, ...), each field tagged with Redis's module
opcode, so the RDB record is the one a C module calling RedisModule_SaveUnsigned & co.
writes (and a real Redis with the same module reads it). The same handle carries
`emit_aof` for `aof_rewrite(io, key, value)` and the aux-data callbacks.

The persistence layer turns the fields into bytes (and back): this file only knows the
opcode numbers, which are Redis's (RDB_MODULE_OPCODE_*).
"""

from __future__ import annotations

import enum
import logging
import math
from typing import Any

from ferrite_host.core.loglevels import level_of
from ferrite_host.strconv import to_bytes

log = logging.getLogger("ferrite")

#: Redis's RDB_MODULE_OPCODE_* numbers (what tags each field of a module value).
OPCODE_EOF = 0
OPCODE_SINT = 1
OPCODE_UINT = 2
OPCODE_FLOAT = 3
OPCODE_DOUBLE = 4
OPCODE_STRING = 5

_KIND = {
    OPCODE_SINT: "a signed integer",
    OPCODE_UINT: "an unsigned integer",
    OPCODE_FLOAT: "a float",
    OPCODE_DOUBLE: "a double",
    OPCODE_STRING: "a string",
}
_U64 = 1 << 64
_I64_MIN = -(1 << 63)

#: One field as saved or loaded: (opcode, int | float | bytes).
Field = tuple[int, Any]


class AuxWhen(enum.IntFlag):
    """REDISMODULE_AUX_BEFORE_RDB / AFTER_RDB: when `aux_save` runs (`aux_save_triggers`)."""

    BEFORE_RDB = 1 << 0
    AFTER_RDB = 1 << 1


class ModuleIOError(Exception):
    """A typed load read past the fields or a field of another kind, in a module without
    HANDLE_IO_ERRORS: the load fails (Redis would stop the server here)."""


def long_double_text(value: float) -> bytes:
    """RM_SaveLongDouble's string: a hex float, as Redis's ld2string(LD_STR_HEX) writes."""
    if math.isnan(value):
        return b"nan" if math.copysign(1.0, value) > 0 else b"-nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return float(value).hex().encode()


def parse_long_double(text: bytes) -> float | None:
    """strtold's reading of a saved long double (hex or decimal, inf, nan); None if bad.

    Python has no long double: the value is rounded to a double.
    """
    word = text.strip().decode("ascii", "replace").lower()
    try:
        if "0x" in word:
            return float.fromhex(word)
        return float(word)
    except ValueError:
        return None


class RedisModuleIO:
    """What `rdb_save`, `rdb_load`, `aof_rewrite` and the aux callbacks get (RedisModuleIO*).

    Saving appends fields; loading reads them back in order. A load that runs out of
    fields or meets a field of another kind is an IO error: with the module option
    HANDLE_IO_ERRORS the `load_*` call returns 0 / 0.0 / None and `is_io_error()` turns
    True (check it and return None); without, it raises ModuleIOError and the load fails.
    """

    def __init__(
        self,
        fields: list[Field] | None = None,
        *,
        handle_errors: bool = False,
        key: bytes | None = None,
        db: int = -1,
        type_name: str = "",
        module_name: str = "",
    ) -> None:
        self._input = fields
        self._pos = 0
        self.fields: list[Field] = []
        self.commands: list[list[bytes]] = []
        self._handle_errors = handle_errors
        self._error = False
        self._key = key
        self._db = db
        self._type_name = type_name
        self._module_name = module_name

    # -- saving -----------------------------------------------------------------------------

    def save_unsigned(self, value: int) -> None:
        """RM_SaveUnsigned: an integer 0 .. 2**64-1."""
        number = int(value)
        if not 0 <= number < _U64:
            raise OverflowError(f"save_unsigned: {number} is not an unsigned 64-bit integer")
        self.fields.append((OPCODE_UINT, number))

    def save_signed(self, value: int) -> None:
        """RM_SaveSigned: a signed 64-bit integer, stored as Redis stores it: its two's
        complement as an unsigned field (Redis never writes the SINT opcode)."""
        number = int(value)
        if not _I64_MIN <= number < -_I64_MIN:
            raise OverflowError(f"save_signed: {number} is not a signed 64-bit integer")
        self.fields.append((OPCODE_UINT, number % _U64))

    def save_double(self, value: float) -> None:
        """RM_SaveDouble: 8 bytes, binary."""
        self.fields.append((OPCODE_DOUBLE, float(value)))

    def save_float(self, value: float) -> None:
        """RM_SaveFloat: 4 bytes, binary (single precision: the value is rounded)."""
        self.fields.append((OPCODE_FLOAT, float(value)))

    def save_long_double(self, value: float) -> None:
        """RM_SaveLongDouble: a string field holding a hex float, as Redis stores it."""
        self.fields.append((OPCODE_STRING, long_double_text(value)))

    def save_string(self, value: bytes | bytearray | memoryview | str) -> None:
        """RM_SaveString: a binary-safe string (a RedisModuleString, bytes or text)."""
        self.fields.append((OPCODE_STRING, to_bytes(value)))

    def save_string_buffer(self, value: bytes | bytearray | memoryview | str) -> None:
        """RM_SaveStringBuffer: the same field as `save_string`."""
        self.save_string(value)

    # -- loading ----------------------------------------------------------------------------

    def _next(self, opcode: int) -> Any:
        fields = self._input
        if self._error:
            return None
        if fields is None or self._pos >= len(fields):
            return self._fail(f"{_KIND[opcode]} was read past the end of the value's fields")
        found, value = fields[self._pos]
        if found != opcode:
            return self._fail(f"{_KIND[opcode]} was read where {_KIND.get(found, '?')} is stored")
        self._pos += 1
        return value

    def _fail(self, reason: str) -> None:
        where = f" of key '{self._key.decode('utf-8', 'replace')}'" if self._key else ""
        message = (
            f"Error loading data from RDB: {reason} (field {self._pos + 1}{where}, "
            f"module type '{self._type_name}', module '{self._module_name}')"
        )
        self._error = True
        if not self._handle_errors:
            raise ModuleIOError(message)
        log.warning("%s", message)
        return None

    def load_unsigned(self) -> int:
        """RM_LoadUnsigned (0 after an IO error)."""
        value = self._next(OPCODE_UINT)
        return 0 if value is None else int(value)

    def load_signed(self) -> int:
        """RM_LoadSigned: an unsigned field read as two's complement, as Redis reads it (a
        SINT field, which Redis never writes, is accepted too); 0 after an IO error."""
        fields = self._input
        if fields is not None and self._pos < len(fields) and fields[self._pos][0] == OPCODE_SINT:
            value = self._next(OPCODE_SINT)
        else:
            value = self._next(OPCODE_UINT)
        if value is None:
            return 0
        number = int(value)
        return number - _U64 if number >= 1 << 63 else number

    def load_double(self) -> float:
        """RM_LoadDouble (0.0 after an IO error)."""
        value = self._next(OPCODE_DOUBLE)
        return 0.0 if value is None else float(value)

    def load_float(self) -> float:
        """RM_LoadFloat (0.0 after an IO error)."""
        value = self._next(OPCODE_FLOAT)
        return 0.0 if value is None else float(value)

    def load_long_double(self) -> float:
        """RM_LoadLongDouble, rounded to a double (0.0 after an IO error)."""
        raw = self._next(OPCODE_STRING)
        if raw is None:
            return 0.0
        value = parse_long_double(bytes(raw))
        if value is None:
            self._fail(f"the string {bytes(raw)!r} is not a long double")
            return 0.0
        return value

    def load_string(self) -> Any:
        """RM_LoadString: a RedisModuleString (None after an IO error)."""
        from ferrite_host.redis_module.api import RedisModuleString

        raw = self._next(OPCODE_STRING)
        return None if raw is None else RedisModuleString(bytes(raw))

    def load_string_buffer(self) -> bytes | None:
        """RM_LoadStringBuffer: plain bytes (None after an IO error)."""
        raw = self._next(OPCODE_STRING)
        return None if raw is None else bytes(raw)

    def is_io_error(self) -> bool:
        """RM_IsIOError: a load failed (only seen with HANDLE_IO_ERRORS)."""
        return self._error

    def unread(self) -> int:
        """Fields the load left unread (a value that does not end where its fields end)."""
        return 0 if self._input is None else len(self._input) - self._pos

    # -- the rest of RedisModuleIO ----------------------------------------------------------

    def emit_aof(self, command: str | bytes, *args: object) -> None:
        """RM_EmitAOF inside `aof_rewrite`: one command that rebuilds (part of) the value."""
        self.commands.append([to_bytes(command), *(to_bytes(arg) for arg in args)])

    def get_key_name_from_io(self) -> bytes | None:
        """RM_GetKeyNameFromIO: the key being saved or loaded (None for aux data)."""
        return self._key

    def get_db_id_from_io(self) -> int:
        """RM_GetDbIdFromIO: the key's database (-1 when not known, as for aux data)."""
        return self._db

    def log_io_error(self, level: str, message: str) -> None:
        """RM_LogIOError: a log line from inside a type callback."""
        log.log(level_of(level), "<%s> %s", self._module_name or "?", message)


__all__ = ["AuxWhen", "ModuleIOError", "RedisModuleIO"]
