"""Data types declared as plain classes: `@module.data_type("acmetally", encver=1)`.

The class's own methods are its callbacks (`rdb_save`, the classmethod `rdb_load`, and
optionally `aof_rewrite`, `mem_usage`, `digest`, `free`, `copy`); the declaration becomes
the Redis-shaped layer's RedisModuleTypeDef, so the keyspace, persistence and the bridge
treat these values as any module type's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ferrite_host.redis_module.errors import ModuleTypeError
from ferrite_host.redis_module.types import RedisModuleTypeDef, TypeMethods

_INSTANCE_METHODS = ("rdb_save", "aof_rewrite", "mem_usage", "digest", "free", "copy")


@dataclass(frozen=True)
class DataType:
    """One declared type: its Redis type name, encoding version and Python class."""

    name: str
    encver: int
    cls: type

    def typedef(self) -> RedisModuleTypeDef:
        return RedisModuleTypeDef(self.name, self.encver).with_methods(self._methods())

    def _methods(self) -> TypeMethods:
        callbacks: dict[str, Any] = {}
        for name in _INSTANCE_METHODS:
            if callable(getattr(self.cls, name, None)):
                callbacks[name] = _calling(name)
        loader = getattr(self.cls, "rdb_load", None)
        if callable(loader):
            callbacks["rdb_load"] = loader
        if ("rdb_save" in callbacks) != ("rdb_load" in callbacks):
            raise ModuleTypeError(
                f"data type '{self.name}' ({self.cls.__name__}) defines only one of rdb_save "
                "and rdb_load; define both (or neither, for a type that is never saved)"
            )
        return TypeMethods(**callbacks)


def _calling(method: str) -> Any:
    """`value.method(*args)` as a plain callback of the value."""

    def call(value: Any, *args: Any) -> Any:
        return getattr(value, method)(*args)

    call.__name__ = method
    return call
