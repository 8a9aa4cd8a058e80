"""Data types declared as plain classes: `@module.data_type("acmetally", encver=1)`.

The class's own methods are its callbacks (`rdb_save`, the classmethod `rdb_load`, and
optionally `aof_rewrite`, `mem_usage`, `digest`, `free`, `copy`); the declaration becomes
the Redis-shaped layer's RedisModuleTypeDef, so the keyspace, persistence and the bridge
treat these values as any module type's.

`@module.data_type("name", encver=1, typed_io=True)` takes Redis's shapes instead:
`rdb_save(self, io)`, the classmethod `rdb_load(cls, io, encver)` (None refuses the
value), `aof_rewrite(self, io, key)` calling `io.emit_aof(...)`; and for module-global
state the classmethods `aux_save(cls, io, when)` / `aux_load(cls, io, encver, when)`,
run where `aux_triggers` (AuxWhen flags) says.
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
    typed_io: bool = False
    aux_triggers: int = 0

    def typedef(self) -> RedisModuleTypeDef:
        methods = self._typed_methods() if self.typed_io else self._methods()
        return RedisModuleTypeDef(self.name, self.encver).with_methods(methods)

    def _typed_methods(self) -> TypeMethods:
        cls = self.cls
        callbacks: dict[str, Any] = {"typed_io": True}
        for name in ("mem_usage", "digest", "free", "copy"):
            if callable(getattr(cls, name, None)):
                callbacks[name] = _calling(name)
        if callable(getattr(cls, "rdb_save", None)):
            callbacks["rdb_save"] = lambda io, value: value.rdb_save(io)
        if callable(getattr(cls, "rdb_load", None)):
            callbacks["rdb_load"] = getattr(cls, "rdb_load")  # noqa: B009
        if callable(getattr(cls, "aof_rewrite", None)):
            callbacks["aof_rewrite"] = lambda io, key, value: value.aof_rewrite(io, key)
        if callable(getattr(cls, "aux_save", None)) and callable(getattr(cls, "aux_load", None)):
            callbacks["aux_save"] = getattr(cls, "aux_save")  # noqa: B009
            callbacks["aux_load"] = getattr(cls, "aux_load")  # noqa: B009
            callbacks["aux_save_triggers"] = self.aux_triggers
        return TypeMethods(**callbacks)

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
