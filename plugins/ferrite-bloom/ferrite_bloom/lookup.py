"""Opening a key that should hold one of the module's structures (RedisBloom's getValue)."""

from __future__ import annotations

from typing import Any

from ferrite_host.redis_module.api import (
    ERRORMSG_WRONGTYPE,
    KeyMode,
    KeyType,
    RedisModuleCtx,
    RedisModuleKey,
    RedisModuleString,
)

_READ_WRITE = KeyMode.READ | KeyMode.WRITE


class Lookup:
    """What a key holds: nothing, a value of the expected type, or something else."""

    __slots__ = ("empty", "key", "mismatch", "value")

    def __init__(self, key: RedisModuleKey | None, handle: Any) -> None:
        self.key = key
        self.value: Any = None
        self.empty = key is None or key.key_type() == KeyType.EMPTY
        self.mismatch = False
        if not self.empty:
            assert key is not None
            if key.key_type() == KeyType.MODULE and key.module_type_get_type() is handle:
                self.value = key.module_type_get_value()
            else:
                self.mismatch = True

    def store(self, handle: Any, value: Any) -> None:
        """Put a new value at the key (opened for writing)."""
        assert self.key is not None
        self.key.module_type_set_value(handle, value)
        self.value = value
        self.empty = False

    def error(self, missing: str, exists: str = "ERR item exists") -> str:
        """The error RedisBloom answers for this lookup: wrong type, missing, or existing."""
        if self.mismatch:
            return ERRORMSG_WRONGTYPE
        return missing if self.empty else exists


def open_value(ctx: RedisModuleCtx, name: RedisModuleString, handle: Any, write: bool) -> Lookup:
    """Open `name` (for writing when `write`) and classify what it holds."""
    return Lookup(ctx.open_key(name, _READ_WRITE if write else KeyMode.READ), handle)
