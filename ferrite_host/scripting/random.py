"""`math.random` / `math.randomseed` as Redis 7.0 provides them.

Redis replaces Lua's functions with its own drand48-style generator (48-bit linear
congruential, a=0x5DEECE66D, c=0xB), so a script that calls `math.randomseed(n)` gets the
same sequence as under Redis. Each Lua state starts from a random seed, as Redis 7.0's do.
"""

from __future__ import annotations

import math
import secrets
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.scripting.sandbox import LuaSandbox

_A, _C, _MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1
_MAX = 2**31 - 1


class RedisRandom:
    def __init__(self) -> None:
        self.seed(secrets.randbits(31))

    def seed(self, value: int) -> None:
        self._x = (((value & 0xFFFFFFFF) << 16) | 0x330E) & _MASK

    def next_31(self) -> int:
        self._x = (_A * self._x + _C) & _MASK
        return self._x >> 17

    def random(self, *args: Any) -> tuple[bool, Any]:
        r = (self.next_31() % _MAX) / _MAX
        if not args:
            return True, r
        if len(args) > 2:
            return False, b"wrong number of arguments"
        numbers: list[int] = []
        for index, arg in enumerate(args):
            number = _integer(arg)
            if number is None:
                got = _lua_type(arg)
                return False, (
                    f"bad argument #{index + 1} to 'random' (number expected, got {got})".encode()
                )
            numbers.append(number)
        if len(numbers) == 1:
            low, high = 1, numbers[0]
            which = 1
        else:
            low, high = numbers[0], numbers[1]
            which = 2
        if low > high:
            return False, f"bad argument #{which} to 'random' (interval is empty)".encode()
        return True, math.floor(r * (high - low + 1)) + low

    def randomseed(self, *args: Any) -> tuple[bool, Any]:
        number = _integer(args[0]) if args else None
        if number is None:
            got = _lua_type(args[0]) if args else "no value"
            return False, f"bad argument #1 to 'randomseed' (number expected, got {got})".encode()
        self.seed(number)
        return True, None

    def install(self, sandbox: LuaSandbox) -> None:
        real_math = sandbox.runtime.globals()[b"math"]
        real_math[b"random"] = sandbox.lua_error_function(self.random)
        real_math[b"randomseed"] = sandbox.lua_error_function(self.randomseed)


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, bytes):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def _lua_type(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, bytes):
        return "string"
    return "table"
