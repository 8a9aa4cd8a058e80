"""Reading numeric arguments the way RedisModule_StringToLongLong / StringToDouble do."""

from __future__ import annotations

import math

from ferrite_host.redis_module.api import RedisModuleString


def to_int(arg: RedisModuleString) -> int | None:
    """A strict signed 64-bit integer, or None."""
    try:
        return arg.to_long_long()
    except ValueError:
        return None


def to_float(arg: RedisModuleString) -> float | None:
    """A double (inf allowed, NaN refused), or None."""
    try:
        value = arg.to_double()
    except ValueError:
        return None
    return None if math.isnan(value) else value


def arg_index(args: list[RedisModuleString], word: bytes, start: int = 0) -> int:
    """RMUtil_ArgIndex: the first argument from `start` equal to `word` ignoring case, or -1."""
    for index in range(start, len(args)):
        if bytes(args[index]).lower() == word:
            return index
    return -1


def is_word(arg: RedisModuleString, word: bytes) -> bool:
    return bytes(arg).lower() == word
