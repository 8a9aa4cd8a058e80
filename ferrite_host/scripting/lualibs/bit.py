"""Lua BitOp (`bit`), 32-bit operations on Lua numbers, as Redis bundles it."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.scripting.sandbox import LuaSandbox

NAME = "bit"
_DOUBLE = struct.Struct("<d")
_HEX = b"0123456789abcdef"


class BitError(Exception):
    pass


def _arg(args: tuple[Any, ...], index: int, name: str) -> int:
    """A Lua number normalised to 32 bits the way BitOp does (via the 2^52+2^51 trick)."""
    if index >= len(args) or args[index] is None:
        raise BitError(f"bad argument #{index + 1} to '{name}' (number expected, got no value)")
    value = args[index]
    if isinstance(value, bytes):
        try:
            value = float(value)
        except ValueError:
            value = None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        got = "boolean" if isinstance(value, bool) else "string" if value is None else "table"
        raise BitError(f"bad argument #{index + 1} to '{name}' (number expected, got {got})")
    return _normalise(float(value))


def _normalise(value: float) -> int:
    """BitOp's conversion: add 2^52+2^51 and keep the low 32 bits of the double."""
    biased = _DOUBLE.pack(value + 6755399441055744.0)
    return _signed(int.from_bytes(biased[:4], "little"))


def _signed(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def tobit(*args: Any) -> int:
    return _arg(args, 0, "tobit")


def bnot(*args: Any) -> int:
    return _signed(~_arg(args, 0, "bnot"))


def _fold(name: str, op: Callable[[int, int], int]) -> Callable[..., int]:
    def fold(*args: Any) -> int:
        result = _arg(args, 0, name)
        for index in range(1, len(args)):
            result = op(result, _arg(args, index, name))
        return _signed(result)

    return fold


def _shift(name: str, op: Callable[[int, int], int]) -> Callable[..., int]:
    def shift(*args: Any) -> int:
        value = _arg(args, 0, name) & 0xFFFFFFFF
        count = _arg(args, 1, name) & 31
        return _signed(op(value, count))

    return shift


def _arshift(value: int, count: int) -> int:
    return _signed(value) >> count


def _rol(value: int, count: int) -> int:
    return (value << count) | (value >> (32 - count)) if count else value


def _ror(value: int, count: int) -> int:
    return (value >> count) | (value << (32 - count)) if count else value


def bswap(*args: Any) -> int:
    value = _arg(args, 0, "bswap") & 0xFFFFFFFF
    return _signed(int.from_bytes(value.to_bytes(4, "little"), "big"))


def tohex(*args: Any) -> bytes:
    value = _arg(args, 0, "tohex") & 0xFFFFFFFF
    digits = _arg(args, 1, "tohex") if len(args) > 1 and args[1] is not None else 8
    upper = digits < 0
    count = min(-digits if upper else digits, 8)
    text = b"%0*x" % (8, value)
    text = text[8 - count :] if count else b""
    return text.upper() if upper else text


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "tobit": tobit,
    "bnot": bnot,
    "band": _fold("band", lambda a, b: a & b),
    "bor": _fold("bor", lambda a, b: a | b),
    "bxor": _fold("bxor", lambda a, b: a ^ b),
    "lshift": _shift("lshift", lambda v, n: v << n),
    "rshift": _shift("rshift", lambda v, n: v >> n),
    "arshift": _shift("arshift", _arshift),
    "rol": _shift("rol", _rol),
    "ror": _shift("ror", _ror),
    "bswap": bswap,
    "tohex": tohex,
}


def build(sandbox: LuaSandbox) -> Any:
    table = sandbox.table()
    for name, function in FUNCTIONS.items():
        table[name.encode()] = sandbox.lua_error_function(_guard(function))
    return table


def _guard(function: Callable[..., Any]) -> Callable[..., tuple[bool, Any]]:
    def guarded(*args: Any) -> tuple[bool, Any]:
        try:
            return True, function(*args)
        except BitError as exc:
            return False, str(exc).encode()

    return guarded
