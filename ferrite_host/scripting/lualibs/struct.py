"""`struct`: Roberto Ierusalimschy's struct library (pack, unpack, size) as Redis bundles it.

Formats: `>`/`<` byte order (little-endian by default, as on x86-64), `!n` maximum
alignment, `x` padding, `b B h H l L T i[n] I[n]` integers (1, 2, 8, 8, 4 bytes by
default), `f d` floats, `s` zero-terminated and `c[n]` fixed-length strings.
"""

from __future__ import annotations

import struct as pystruct
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.scripting.sandbox import LuaSandbox

NAME = "struct"
NATIVE_ALIGN = 8
MAX_INT_SIZE = 32
_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "i": 4, "I": 4}


class StructError(Exception):
    pass


class Option:
    def __init__(self, code: str, size: int, little: bool, align: int) -> None:
        self.code = code
        self.size = size
        self.little = little
        self.align = align


def _options(fmt: str, function: str) -> Iterator[Option]:
    little = True
    max_align = 1
    pos = 0
    while pos < len(fmt):
        code = fmt[pos]
        pos += 1
        digits = ""
        while pos < len(fmt) and fmt[pos].isdigit():
            digits += fmt[pos]
            pos += 1
        if code == " ":
            continue
        if code == ">":
            little = False
        elif code == "<":
            little = True
        elif code == "!":
            max_align = int(digits) if digits else NATIVE_ALIGN
        elif code in _SIZES:
            size = _SIZES[code]
            if code in "iI" and digits:
                size = int(digits)
                if size > MAX_INT_SIZE:
                    raise StructError(
                        f"bad argument #1 to '{function}' (integral size {size} is larger "
                        f"than limit of {MAX_INT_SIZE})"
                    )
            yield Option(code, size, little, min(size, max_align))
        elif code == "x":
            yield Option("x", 1, little, 1)
        elif code in "fd":
            size = 4 if code == "f" else 8
            yield Option(code, size, little, min(size, max_align))
        elif code == "c":
            yield Option("c", int(digits) if digits else 0, little, 1)
        elif code == "s":
            yield Option("s", 0, little, 1)
        else:
            raise StructError(f"bad argument #1 to '{function}' (invalid format option '{code}')")


def _padding(offset: int, align: int) -> int:
    if align <= 1:
        return 0
    return (align - offset % align) % align


def _number(args: tuple[Any, ...], index: int) -> float:
    value = args[index] if index < len(args) else None
    if isinstance(value, bytes):
        try:
            return float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StructError(
            f"bad argument #{index + 1} to 'pack' (number expected, got {_type(value)})"
        )
    return value


def _string(args: tuple[Any, ...], index: int) -> bytes:
    value = args[index] if index < len(args) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from ferrite_host.scripting.conversion import lua_number_text

        return lua_number_text(value)
    if not isinstance(value, bytes):
        raise StructError(
            f"bad argument #{index + 1} to 'pack' (string expected, got {_type(value)})"
        )
    return value


def _type(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, bytes):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    return "table"


def pack(*args: Any) -> bytes:
    fmt = _format(args, "pack")
    out = bytearray()
    index = 1
    for option in _options(fmt, "pack"):
        out += b"\x00" * _padding(len(out), option.align)
        code = option.code
        if code == "x":
            out.append(0)
            continue
        if code in _SIZES:
            value = int(_number(args, index))
            index += 1
            raw = (value & ((1 << (8 * option.size)) - 1)).to_bytes(option.size, "little")
            out += raw if option.little else raw[::-1]
        elif code in "fd":
            value_f = _number(args, index)
            index += 1
            order = "<" if option.little else ">"
            out += pystruct.pack(order + code, value_f)
        elif code == "c":
            data = _string(args, index)
            size = option.size or len(data)
            if len(data) < size:
                raise StructError(f"bad argument #{index + 1} to 'pack' (string too short)")
            out += data[:size]
            index += 1
        elif code == "s":
            data = _string(args, index)
            if b"\x00" in data:
                raise StructError(f"bad argument #{index + 1} to 'pack' (string contains zeros)")
            out += data + b"\x00"
            index += 1
    return bytes(out)


def _format(args: tuple[Any, ...], function: str) -> str:
    fmt = args[0] if args else None
    if not isinstance(fmt, bytes):
        raise StructError(f"bad argument #1 to '{function}' (string expected, got {_type(fmt)})")
    return fmt.decode("latin-1")


def unpack(*args: Any) -> tuple[Any, ...]:
    fmt = _format(args, "unpack")
    data = args[1] if len(args) > 1 else None
    if not isinstance(data, bytes):
        raise StructError(f"bad argument #2 to 'unpack' (string expected, got {_type(data)})")
    start = args[2] if len(args) > 2 and args[2] is not None else 1
    if not isinstance(start, (int, float)) or isinstance(start, bool):
        raise StructError(f"bad argument #3 to 'unpack' (number expected, got {_type(start)})")
    pos = int(start) - 1
    if pos < 0 or pos > len(data):
        raise StructError("bad argument #3 to 'unpack' (offset out of range)")
    results: list[Any] = []
    for option in _options(fmt, "unpack"):
        pos += _padding(pos, option.align)
        code = option.code
        if code != "s" and pos + option.size > len(data):
            raise StructError("bad argument #2 to 'unpack' (data string too short)")
        if code == "x":
            pos += 1
        elif code in _SIZES:
            raw = data[pos : pos + option.size]
            pos += option.size
            value = int.from_bytes(raw, "little" if option.little else "big")
            if code.islower() and option.size <= 8 and value >= 1 << (8 * option.size - 1):
                value -= 1 << (8 * option.size)
            results.append(float(value) if abs(value) >= 2**53 else value)
        elif code in "fd":
            order = "<" if option.little else ">"
            results.append(pystruct.unpack(order + code, data[pos : pos + option.size])[0])
            pos += option.size
        elif code == "c":
            size = option.size
            if size == 0:
                if not results or not isinstance(results[-1], (int, float)):
                    raise StructError(
                        "bad argument #1 to 'unpack' (format 'c0' needs a previous size)"
                    )
                size = int(results.pop())
                if pos + size > len(data):
                    raise StructError("bad argument #2 to 'unpack' (data string too short)")
            results.append(data[pos : pos + size])
            pos += size
        elif code == "s":
            end = data.find(b"\x00", pos)
            if end < 0:
                raise StructError("bad argument #2 to 'unpack' (unfinished string in data)")
            results.append(data[pos:end])
            pos = end + 1
    return (*results, pos + 1)


def size(*args: Any) -> int:
    fmt = _format(args, "size")
    total = 0
    for option in _options(fmt, "size"):
        if option.code == "s" or (option.code == "c" and option.size == 0):
            raise StructError(
                f"bad argument #1 to 'size' (option '{option.code}' has no fixed size)"
            )
        total += _padding(total, option.align) + option.size
    return total


def build(sandbox: LuaSandbox) -> Any:
    def guarded(function: Any, multiple: bool) -> Any:
        def call(*args: Any) -> tuple[Any, ...]:
            try:
                result = function(*args)
            except StructError as exc:
                return False, str(exc).encode()
            return (True, *result) if multiple else (True, result)

        return call

    table = sandbox.table()
    table[b"pack"] = sandbox.lua_error_function(guarded(pack, False))
    table[b"unpack"] = sandbox.lua_error_function(guarded(unpack, True))
    table[b"size"] = sandbox.lua_error_function(guarded(size, False))
    return table
