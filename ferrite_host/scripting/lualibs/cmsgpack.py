"""`cmsgpack`: MessagePack pack/unpack with lua-cmsgpack's choices (as Redis bundles it).

Integral numbers take the smallest integer encoding, others float32 when exact, else
float64; a table is an array when its keys are exactly 1..n, otherwise a map; what
MessagePack cannot hold (functions, userdata) and tables nested deeper than 16 pack as nil.
"""

from __future__ import annotations

import math
import struct
from typing import TYPE_CHECKING, Any

from ferrite_host.scripting.conversion import is_table

if TYPE_CHECKING:
    from ferrite_host.scripting.sandbox import LuaSandbox

NAME = "cmsgpack"
MAX_NESTING = 16


class UnpackError(Exception):
    pass


MISSING = "Missing bytes in input."
BAD_FORMAT = "Bad data format in input."


def _pack_integer(value: int, out: bytearray) -> None:
    if value >= 0:
        if value <= 0x7F:
            out.append(value)
        elif value <= 0xFF:
            out += b"\xcc" + struct.pack(">B", value)
        elif value <= 0xFFFF:
            out += b"\xcd" + struct.pack(">H", value)
        elif value <= 0xFFFFFFFF:
            out += b"\xce" + struct.pack(">I", value)
        else:
            out += b"\xcf" + struct.pack(">Q", min(value, 2**64 - 1))
    elif value >= -32:
        out += struct.pack(">b", value)
    elif value >= -128:
        out += b"\xd0" + struct.pack(">b", value)
    elif value >= -32768:
        out += b"\xd1" + struct.pack(">h", value)
    elif value >= -(2**31):
        out += b"\xd2" + struct.pack(">i", value)
    else:
        out += b"\xd3" + struct.pack(">q", max(value, -(2**63)))


def _pack_number(value: float, out: bytearray) -> None:
    integral = isinstance(value, int) or (math.isfinite(value) and value == math.floor(value))
    if integral and -(2**63) <= value < 2**64:
        _pack_integer(int(value), out)
        return
    as_float = struct.unpack(">f", struct.pack(">f", value))[0] if _fits_float(value) else None
    if as_float is not None and (as_float == value or (math.isnan(value) and math.isnan(as_float))):
        out += b"\xca" + struct.pack(">f", value)
    else:
        out += b"\xcb" + struct.pack(">d", value)


def _fits_float(value: float) -> bool:
    return not math.isfinite(value) or abs(value) <= 3.4028234663852886e38


def _pack_string(value: bytes, out: bytearray) -> None:
    size = len(value)
    if size < 32:
        out.append(0xA0 | size)
    elif size <= 0xFF:
        out += b"\xd9" + struct.pack(">B", size)
    elif size <= 0xFFFF:
        out += b"\xda" + struct.pack(">H", size)
    else:
        out += b"\xdb" + struct.pack(">I", size)
    out += value


def _pack_table(table: Any, out: bytearray, depth: int) -> None:
    items = list(table.items())
    largest = 0
    is_array = True
    for key, _ in items:
        if isinstance(key, bool) or not isinstance(key, (int, float)) or key < 1:
            is_array = False
            break
        if key != math.floor(key):
            is_array = False
            break
        largest = max(largest, int(key))
    if is_array and largest == len(items):
        _header(len(items), 0x90, b"\xdc", b"\xdd", out)
        for index in range(1, largest + 1):
            _pack_value(table[index], out, depth + 1)
        return
    _header(len(items), 0x80, b"\xde", b"\xdf", out)
    for key, value in items:
        _pack_value(key, out, depth + 1)
        _pack_value(value, out, depth + 1)


def _header(size: int, fix: int, mid: bytes, big: bytes, out: bytearray) -> None:
    if size < 16:
        out.append(fix | size)
    elif size <= 0xFFFF:
        out += mid + struct.pack(">H", size)
    else:
        out += big + struct.pack(">I", size)


def _pack_value(value: Any, out: bytearray, depth: int) -> None:
    if value is None:
        out.append(0xC0)
    elif isinstance(value, bool):
        out.append(0xC3 if value else 0xC2)
    elif isinstance(value, (int, float)):
        _pack_number(value, out)
    elif isinstance(value, bytes):
        _pack_string(value, out)
    elif is_table(value) and depth < MAX_NESTING:
        _pack_table(value, out, depth)
    else:
        out.append(0xC0)


class Unpacker:
    def __init__(self, sandbox: LuaSandbox, data: bytes, pos: int = 0) -> None:
        self.sandbox = sandbox
        self.data = data
        self.pos = pos

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise UnpackError(MISSING)
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def number(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def value(self) -> Any:
        code = self.take(1)[0]
        if code <= 0x7F:
            return code
        if code >= 0xE0:
            return code - 0x100
        if 0xA0 <= code <= 0xBF:
            return self.take(code & 0x1F)
        if 0x90 <= code <= 0x9F:
            return self.array(code & 0x0F)
        if 0x80 <= code <= 0x8F:
            return self.map(code & 0x0F)
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if code in simple:
            return simple[code]
        numbers = {
            0xCA: ">f",
            0xCB: ">d",
            0xCC: ">B",
            0xCD: ">H",
            0xCE: ">I",
            0xCF: ">Q",
            0xD0: ">b",
            0xD1: ">h",
            0xD2: ">i",
            0xD3: ">q",
        }
        if code in numbers:
            value = self.number(numbers[code])
            return float(value) if code == 0xCF or code == 0xD3 else value
        sized = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}
        if code in sized:
            return self.take(self.number(sized[code]))
        if code in (0xDC, 0xDD):
            return self.array(self.number(">H" if code == 0xDC else ">I"))
        if code in (0xDE, 0xDF):
            return self.map(self.number(">H" if code == 0xDE else ">I"))
        raise UnpackError(BAD_FORMAT)

    def array(self, size: int) -> Any:
        table = self.sandbox.table()
        for index in range(1, size + 1):
            table[index] = self.value()
        return table

    def map(self, size: int) -> Any:
        table = self.sandbox.table()
        for _ in range(size):
            key = self.value()
            value = self.value()
            if key is not None:
                table[key] = value
        return table


def build(sandbox: LuaSandbox) -> Any:
    def pack(*args: Any) -> tuple[bool, Any]:
        if not args:
            return False, b"bad argument #0 to 'pack' (MessagePack pack needs input.)"
        out = bytearray()
        for value in args:
            _pack_value(value, out, 0)
        return True, bytes(out)

    def unpack_from(data: Any, limit: int, offset: int) -> tuple[Any, ...]:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            from ferrite_host.scripting.conversion import lua_number_text

            data = lua_number_text(data)
        if not isinstance(data, bytes):
            raise UnpackError("bad argument #1 to 'unpack' (string expected)")
        unpacker = Unpacker(sandbox, data, offset)
        values: list[Any] = []
        while unpacker.pos < len(data) and (limit <= 0 or len(values) < limit):
            values.append(unpacker.value())
        next_offset = unpacker.pos if unpacker.pos < len(data) else -1
        return next_offset, *values

    def guarded(function: Any) -> Any:
        def call(*args: Any) -> tuple[Any, ...]:
            try:
                return (True, *function(*args))
            except UnpackError as exc:
                return False, str(exc).encode()

        return call

    def unpack(data: Any = None, *rest: Any) -> tuple[Any, ...]:
        return unpack_from(data, 0, 0)[1:]

    def unpack_one(data: Any = None, offset: Any = 0, *rest: Any) -> tuple[Any, ...]:
        return unpack_from(data, 1, int(offset or 0))

    def unpack_limit(
        data: Any = None, limit: Any = 0, offset: Any = 0, *rest: Any
    ) -> tuple[Any, ...]:
        return unpack_from(data, int(limit or 0), int(offset or 0))

    table = sandbox.table()
    table[b"pack"] = sandbox.lua_error_function(pack)
    table[b"unpack"] = sandbox.lua_error_function(guarded(unpack))
    table[b"unpack_one"] = sandbox.lua_error_function(guarded(unpack_one))
    table[b"unpack_limit"] = sandbox.lua_error_function(guarded(unpack_limit))
    table[b"_NAME"] = b"cmsgpack"
    table[b"_VERSION"] = b"lua-cmsgpack 0.4.0"
    table[b"_COPYRIGHT"] = b"Copyright (C) 2012, Salvatore Sanfilippo"
    table[b"_DESCRIPTION"] = b"MessagePack C implementation for Lua"
    return table
