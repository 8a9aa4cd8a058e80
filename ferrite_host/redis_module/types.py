"""Module data types: declaring one (`RedisModuleTypeDef`), and the handle the server uses.

A module declares a type with a name, an encoding version and its callbacks; registering
it returns a `RedisModuleType` handle. Values stored in the keyspace carry that handle, so
the rest of the server (TYPE, WRONGTYPE checks, COPY, MEMORY USAGE, DEBUG DIGEST-VALUE,
persistence) works on module values without knowing anything about modules.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ferrite_host.redis_module.errors import ModuleTypeError
from ferrite_host.redis_module.rdb_io import AuxWhen, Field, RedisModuleIO
from ferrite_host.strconv import to_bytes

log = logging.getLogger("ferrite")

#: Type names: 1-9 characters of Redis's type-name charset.
TYPE_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,9}")
#: Encoding versions fit in the 10 low bits of Redis's 64-bit type id.
MAX_ENCVER = 1023

RdbSaveFn = Callable[[Any], bytes]
RdbLoadFn = Callable[[bytes, int], Any]
AofRewriteFn = Callable[[Any, bytes], "list[list[bytes]] | None"]
MemUsageFn = Callable[[Any], int]
DigestFn = Callable[[Any], bytes]
FreeFn = Callable[[Any], None]
CopyFn = Callable[[Any], Any]
#: The typed shapes (`typed_io=True`): rdb_save(io, value), rdb_load(io, encver) -> value,
#: aof_rewrite(io, key, value); aux_save(io, when), aux_load(io, encver, when) -> Status.
TypedSaveFn = Callable[[RedisModuleIO, Any], None]
TypedLoadFn = Callable[[RedisModuleIO, int], Any]
AuxSaveFn = Callable[[RedisModuleIO, int], None]
AuxLoadFn = Callable[[RedisModuleIO, int, int], Any]
#: RM_SetModuleOptions' HANDLE_IO_ERRORS bit (see api.ModuleOption).
_HANDLE_IO_ERRORS = 1


@dataclass(frozen=True)
class TypeMethods:
    """The callbacks of a module type (Redis's `RedisModuleTypeMethods`); all optional.

    - `rdb_save(value) -> bytes`: serialise for snapshots (and DUMP-like uses).
    - `rdb_load(data: bytes, encver: int) -> value`: rebuild; `encver` is the version that
      wrote `data`, so a newer module can read older encodings.
    - `aof_rewrite(value, key: bytes) -> list[list[bytes]]`: commands that rebuild the value.
    - `mem_usage(value) -> int`: bytes used (MEMORY USAGE).
    - `digest(value) -> bytes`: content fingerprint (DEBUG DIGEST-VALUE).
    - `free(value)`: the value left the keyspace (delete, overwrite, expiry, flush).
    - `copy(value) -> value`: deep copy for COPY; without it COPY answers
      "ERR not supported for this module key".

    `typed_io=True` chooses Redis's shapes instead, for ports of C modules:
    `rdb_save(io, value)` / `rdb_load(io, encver) -> value or None` with a
    `RedisModuleIO` (`io.save_unsigned(...)`, `io.load_string()`...), each field stored with
    Redis's module opcodes; `aof_rewrite(io, key, value)` calling `io.emit_aof(...)`.
    `aux_save(io, when)` / `aux_load(io, encver, when) -> Status` (either shape) save
    module-global state before and/or after the keyspace, as `aux_save_triggers`
    (`AuxWhen.BEFORE_RDB | AuxWhen.AFTER_RDB`) says; aux data always uses the typed IO.

    A field left empty falls back to the method of the same name when the value is a
    `ModuleTypeValue` subclass that defines it.
    """

    rdb_save: RdbSaveFn | None = None
    rdb_load: RdbLoadFn | None = None
    aof_rewrite: AofRewriteFn | None = None
    mem_usage: MemUsageFn | None = None
    digest: DigestFn | None = None
    free: FreeFn | None = None
    copy: CopyFn | None = None
    typed_io: bool = False
    aux_save: AuxSaveFn | None = None
    aux_load: AuxLoadFn | None = None
    aux_save_triggers: int = 0

    def __repr__(self) -> str:
        present = [f.name for f in dataclasses.fields(self) if getattr(self, f.name)]
        return f"TypeMethods({', '.join(present) or 'none'})"


class ModuleTypeValue:
    """Optional base class for module values: its methods stand in for empty TypeMethods.

    Override what your type supports. `rdb_load` is a classmethod: declare the class with
    `RedisModuleTypeDef(...).with_value_class(MyValue)` so loading knows what to build.
    """

    def rdb_save(self) -> bytes:
        """Serialise this value (needed for persistence)."""
        raise NotImplementedError

    @classmethod
    def rdb_load(cls, data: bytes, encver: int) -> ModuleTypeValue:
        """Rebuild a value written by `rdb_save` at encoding version `encver`."""
        raise NotImplementedError

    def aof_rewrite(self, key: bytes) -> list[list[bytes]] | None:
        """Commands that recreate this value at `key`; None when not supported."""
        return None

    def mem_usage(self) -> int:
        """Approximate bytes used."""
        return 0

    def digest(self) -> bytes | None:
        """Bytes identifying the content; None when not supported."""
        return None

    def free(self) -> None:
        """Release resources when the value leaves the keyspace."""

    def copy(self) -> ModuleTypeValue:
        """A deep copy for COPY."""
        raise NotImplementedError


def _overrides(cls: type | None, name: str) -> bool:
    """Whether `cls` (a ModuleTypeValue subclass) defines its own `name`."""
    if cls is None or not isinstance(cls, type) or not issubclass(cls, ModuleTypeValue):
        return False
    return getattr(cls, name) is not getattr(ModuleTypeValue, name)


def _value_method(value: Any, name: str) -> Callable[..., Any] | None:
    if isinstance(value, ModuleTypeValue) and _overrides(type(value), name):
        method: Callable[..., Any] = getattr(value, name)
        return method
    return None


@dataclass(frozen=True)
class RedisModuleTypeDef:
    """A type declaration: `RedisModuleTypeDef("mytype", 1).with_methods(TypeMethods(...))`.

    `name` is what TYPE answers: 1-9 characters of `A-Z a-z 0-9 _ -`, unique among all
    loaded modules. `encver` (0..1023) is stored with saved values and handed back to
    `rdb_load`.
    """

    name: str
    encver: int = 0
    methods: TypeMethods = TypeMethods()
    value_class: type[ModuleTypeValue] | None = None

    @property
    def encoding_version(self) -> int:
        """The seed's name for `encver`."""
        return self.encver

    def with_methods(self, methods: TypeMethods) -> RedisModuleTypeDef:
        """A copy of this declaration using `methods`."""
        return dataclasses.replace(self, methods=methods)

    def with_value_class(self, value_class: type[ModuleTypeValue]) -> RedisModuleTypeDef:
        """A copy whose empty callbacks fall back to `value_class` (and its `rdb_load`)."""
        return dataclasses.replace(self, value_class=value_class)

    def validate(self) -> None:
        """Raise ModuleTypeError naming what is wrong with this declaration (Redis's rules)."""
        if not isinstance(self.name, str) or not TYPE_NAME_RE.fullmatch(self.name):
            raise ModuleTypeError(
                f"invalid module type name {self.name!r}: use 1 to 9 characters of "
                "A-Z, a-z, 0-9, '_' and '-'"
            )
        if not isinstance(self.encver, int) or not 0 <= self.encver <= MAX_ENCVER:
            raise ModuleTypeError(
                f"invalid encoding version {self.encver!r} for module type '{self.name}': "
                f"use an integer from 0 to {MAX_ENCVER}"
            )
        if self.name == "AAAAAAAAA" and self.encver == 0:
            raise ModuleTypeError("module type name 'AAAAAAAAA' with encver 0 is reserved")
        if not isinstance(self.methods, TypeMethods):
            raise ModuleTypeError(
                f"methods of module type '{self.name}' must be a TypeMethods, "
                f"got {type(self.methods).__name__}"
            )
        methods = self.methods
        if methods.typed_io and self.value_class is not None:
            raise ModuleTypeError(
                f"module type '{self.name}': typed_io takes its callbacks from TypeMethods, "
                "not from a value class"
            )
        if (methods.aux_save is None) != (methods.aux_load is None):
            raise ModuleTypeError(
                f"module type '{self.name}' declares only one of aux_save and aux_load"
            )
        if methods.aux_save is not None and not methods.aux_save_triggers & (
            AuxWhen.BEFORE_RDB | AuxWhen.AFTER_RDB
        ):
            raise ModuleTypeError(
                f"module type '{self.name}' has aux_save but no aux_save_triggers: use "
                "AuxWhen.BEFORE_RDB and/or AuxWhen.AFTER_RDB"
            )


def _as_bytes(value: Any, what: str) -> bytes:
    try:
        return to_bytes(value)
    except TypeError:
        raise ModuleTypeError(f"{what} must produce bytes, got {type(value).__name__}") from None


class RedisModuleType:
    """The handle of a registered module type: what keyspace values point to.

    Implements the keyspace's `ValueType` protocol by calling the module's callbacks (or the
    `ModuleTypeValue` methods of the stored value when a callback is left empty).
    """

    def __init__(self, typedef: RedisModuleTypeDef, module_name: str) -> None:
        self.typedef = typedef
        self.name = typedef.name
        self.encver = typedef.encver
        self.module_name = module_name
        self.methods = typedef.methods
        self.value_class = typedef.value_class
        #: Redis's RDB shape (typed fields) instead of one bytes field.
        self.typed_io = typedef.methods.typed_io
        #: The owning module's current set_module_options flags (set at registration).
        self.module_options: Callable[[], int] = lambda: 0

    def __repr__(self) -> str:
        return f"<RedisModuleType {self.name} encver={self.encver} module={self.module_name}>"

    def _callback(self, name: str, value: Any) -> Callable[..., Any] | None:
        """The TypeMethods field, else the value's own ModuleTypeValue method, else None."""
        method: Callable[..., Any] | None = getattr(self.methods, name)
        if method is not None:
            return lambda *args: method(value, *args)
        return _value_method(value, name)

    def release(self, value: Any) -> None:
        """`free`: a failing callback is logged, never allowed to break the keyspace write."""
        callback = self._callback("free", value)
        if callback is None:
            return
        try:
            callback()
        except Exception:
            log.exception(
                "free callback of module type '%s' (module %s) failed", self.name, self.module_name
            )

    def mem_usage(self, value: Any) -> int:
        """`mem_usage` (0 without one, never negative): MEMORY USAGE."""
        callback = self._callback("mem_usage", value)
        return max(0, int(callback())) if callback is not None else 0

    def digest(self, value: Any) -> bytes:
        """`digest` as bytes (empty without one): DEBUG DIGEST(-VALUE)."""
        callback = self._callback("digest", value)
        if callback is None:
            return b""
        result = callback()
        return b"" if result is None else _as_bytes(result, f"digest of module type '{self.name}'")

    def has_copy(self) -> bool:
        """Whether COPY can duplicate values of this type."""
        return self.methods.copy is not None or _overrides(self.value_class, "copy")

    def copy(self, value: Any) -> Any:
        """A deep copy; NotImplementedError("not supported for this module key") without one."""
        callback = self._callback("copy", value)
        if callback is None:
            raise NotImplementedError("not supported for this module key")
        return callback()

    def can_save(self) -> bool:
        """Whether values can be persisted (an `rdb_save` is declared)."""
        return self.methods.rdb_save is not None or _overrides(self.value_class, "rdb_save")

    def save(self, value: Any) -> bytes:
        """`rdb_save`, checked to produce bytes; ModuleTypeError without one."""
        if self.typed_io:
            raise ModuleTypeError(f"module type '{self.name}' saves typed fields, not bytes")
        callback = self._callback("rdb_save", value)
        if callback is None:
            raise ModuleTypeError(
                f"module type '{self.name}' (module {self.module_name}) has no rdb_save"
            )
        return _as_bytes(callback(), f"rdb_save of module type '{self.name}'")

    def load(self, data: bytes, encver: int) -> Any:
        """`rdb_load` for data written at `encver`; ModuleTypeError without one or on None."""
        if self.typed_io:
            raise ModuleTypeError(f"module type '{self.name}' loads typed fields, not bytes")
        if self.methods.rdb_load is not None:
            value = self.methods.rdb_load(data, encver)
        elif self.value_class is not None and _overrides(self.value_class, "rdb_load"):
            value = self.value_class.rdb_load(data, encver)
        else:
            raise ModuleTypeError(
                f"module type '{self.name}' (module {self.module_name}) has no rdb_load"
            )
        if value is None:
            raise ModuleTypeError(
                f"rdb_load of module type '{self.name}' (module {self.module_name}) returned None "
                f"for data written at encver {encver}"
            )
        return value

    def _io(self, fields: list[Field] | None, key: bytes | None, db: int) -> RedisModuleIO:
        handle = bool(self.module_options() & _HANDLE_IO_ERRORS)
        return RedisModuleIO(
            fields,
            handle_errors=handle,
            key=key,
            db=db,
            type_name=self.name,
            module_name=self.module_name,
        )

    def save_fields(self, value: Any, key: bytes | None = None, db: int = -1) -> list[Field]:
        """Typed `rdb_save(io, value)`: the fields it saved, in order."""
        if self.methods.rdb_save is None:
            raise ModuleTypeError(
                f"module type '{self.name}' (module {self.module_name}) has no rdb_save"
            )
        io = self._io(None, key, db)
        self.methods.rdb_save(io, value)  # type: ignore[call-arg]
        return io.fields

    def load_fields(
        self, fields: list[Field], encver: int, key: bytes | None = None, db: int = -1
    ) -> Any:
        """Typed `rdb_load(io, encver)`; ModuleTypeError (or ModuleIOError) saying why not."""
        if self.methods.rdb_load is None:
            raise ModuleTypeError(
                f"module type '{self.name}' (module {self.module_name}) has no rdb_load"
            )
        io = self._io(fields, key, db)
        value = self.methods.rdb_load(io, encver)  # type: ignore[arg-type]
        if io.is_io_error() or value is None:
            if value is not None:
                self.release(value)
            raise ModuleTypeError(
                f"rdb_load of module type '{self.name}' (module {self.module_name}) "
                + ("reported an IO error" if io.is_io_error() else "returned None")
                + f" for data written at encver {encver}"
            )
        if io.unread():
            self.release(value)
            raise ModuleTypeError(
                f"rdb_load of module type '{self.name}' (module {self.module_name}) left "
                f"{io.unread()} of {len(fields)} field(s) unread: the value is not terminated "
                "by the module value EOF marker where the module stopped reading"
            )
        return value

    def has_aux(self, when: int) -> bool:
        """Whether `aux_save` runs at `when` (AuxWhen.BEFORE_RDB or AFTER_RDB)."""
        return self.methods.aux_save is not None and bool(self.methods.aux_save_triggers & when)

    def aux_fields(self, when: int) -> list[Field]:
        """`aux_save(io, when)`: the module-global fields to store at `when`."""
        assert self.methods.aux_save is not None
        io = self._io(None, None, -1)
        self.methods.aux_save(io, when)
        return io.fields

    def load_aux(self, fields: list[Field], encver: int, when: int) -> None:
        """`aux_load(io, encver, when)`; ModuleTypeError when it fails or is missing."""
        if self.methods.aux_load is None:
            raise ModuleTypeError(
                f"module type '{self.name}' (module {self.module_name}) has no aux_load"
            )
        io = self._io(fields, None, -1)
        result = self.methods.aux_load(io, encver, when)
        if io.is_io_error() or (result is not None and int(result) == 1):
            raise ModuleTypeError(
                f"The RDB file contains module AUX data for the module type '{self.name}', "
                f"that the responsible module ({self.module_name}) is not able to load"
            )

    def aof_rewrite(self, value: Any, key: bytes) -> list[list[bytes]] | None:
        """The commands that rebuild `value` at `key` (as bytes), or None without `aof_rewrite`."""
        if self.typed_io:
            if self.methods.aof_rewrite is None:
                return None
            io = self._io(None, key, -1)
            self.methods.aof_rewrite(io, key, value)  # type: ignore[call-arg]
            return io.commands
        callback = self._callback("aof_rewrite", value)
        if callback is None:
            return None
        commands = callback(key)
        if commands is None:
            return None
        what = f"aof_rewrite of module type '{self.name}'"
        return [[_as_bytes(arg, what) for arg in command] for command in commands]


class ModuleTypeRegistry:
    """The data types one module declared, by name (case-sensitive, as Redis compares)."""

    def __init__(self, module_name: str = "") -> None:
        self.module_name = module_name
        self._types: dict[str, RedisModuleType] = {}

    def register(self, typedef: RedisModuleTypeDef) -> RedisModuleType:
        """Validate and add a declaration; ModuleTypeError if invalid or already declared."""
        typedef.validate()
        if typedef.name in self._types:
            raise ModuleTypeError(f"module type already registered: {typedef.name}")
        handle = RedisModuleType(typedef, self.module_name)
        self._types[typedef.name] = handle
        return handle

    def unregister(self, name: str) -> None:
        """Remove a declaration; ModuleTypeError if there is none by that name."""
        if self._types.pop(name, None) is None:
            raise ModuleTypeError(f"module type not found: {name}")

    def get(self, name: str) -> RedisModuleType | None:
        """The handle of type `name`, or None."""
        return self._types.get(name)

    def type_names(self) -> list[str]:
        """Declared type names, sorted."""
        return sorted(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __iter__(self) -> Iterator[RedisModuleType]:
        return iter(list(self._types.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._types


__all__ = [
    "ModuleTypeError",
    "ModuleTypeRegistry",
    "ModuleTypeValue",
    "RedisModuleType",
    "RedisModuleTypeDef",
    "TypeMethods",
]
