"""Module values read from RDB: rebuilt by their module, or kept opaque when it is missing.

A loaded module's bytes-blob `rdb_load` gets the value's one string field. A value whose
module is not loaded becomes an `OpaqueModuleValue` of an `OpaqueModuleType` (unless the
server is told to refuse, as it did before): TYPE shows the type's name, DEL, RENAME, MOVE,
DUMP and RESTORE work, and snapshots write its fields back exactly as they were read, so
installing the module later finds the value intact.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ferrite_host.keyspace.values import TypedValue, ValueType
from ferrite_host.persistence.rdb import constants as c
from ferrite_host.persistence.rdb import module_id
from ferrite_host.persistence.rdb.reader import RdbModuleAux, RdbModulePayload

log = logging.getLogger("ferrite")


class OpaqueModuleValue:
    """The stored field stream of one value (opcodes and EOF marker included)."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def __repr__(self) -> str:
        return f"OpaqueModuleValue({len(self.raw)} bytes)"


class OpaqueModuleType:
    """Stands in for a module type that is not loaded (one instance per type id)."""

    module_name = "(not loaded)"

    def __init__(self, mid: int) -> None:
        self.module_id = mid
        self.stored_name, self.encver = module_id.decode(mid)
        self.name = module_id.shown_name(self.stored_name)

    def __repr__(self) -> str:
        return f"<OpaqueModuleType {self.name} encver={self.encver}>"

    def raw_fields(self, value: OpaqueModuleValue) -> bytes:
        return value.raw

    def release(self, value: Any) -> None:
        """Nothing to free: the value is only bytes."""

    def mem_usage(self, value: OpaqueModuleValue) -> int:
        return len(value.raw)

    def digest(self, value: OpaqueModuleValue) -> bytes:
        return value.raw

    def copy(self, value: OpaqueModuleValue) -> OpaqueModuleValue:
        return OpaqueModuleValue(value.raw)

    def has_copy(self) -> bool:
        return True

    def can_save(self) -> bool:
        return True

    def save(self, value: OpaqueModuleValue) -> bytes:
        raise NotImplementedError(f"module type '{self.name}' is not loaded: only its raw fields")

    def load(self, data: bytes, encver: int) -> Any:
        raise NotImplementedError(f"module type '{self.name}' is not loaded")

    def aof_rewrite(self, value: OpaqueModuleValue, key: bytes) -> list[list[bytes]]:
        """A RESTORE of the value's DUMP payload, which any Ferrite replays as it was."""
        from ferrite_host.persistence.rdb.dump import dump_payload

        typed = TypedValue(self, value)
        return [[b"RESTORE", key, b"0", dump_payload(key, typed), b"REPLACE"]]


_OPAQUE_TYPES: dict[int, OpaqueModuleType] = {}


def opaque_type(mid: int) -> OpaqueModuleType:
    vtype = _OPAQUE_TYPES.get(mid)
    if vtype is None:
        vtype = _OPAQUE_TYPES[mid] = OpaqueModuleType(mid)
    return vtype


def is_opaque(value: object) -> bool:
    return isinstance(value, TypedValue) and isinstance(value.type, OpaqueModuleType)


class ModuleValueError(Exception):
    """A module value that cannot be rebuilt; the message says which and why."""


def rebuild(
    module_types: Mapping[str, ValueType],
    payload: RdbModulePayload,
    key_text: str,
    keep_unknown: bool,
    key: bytes | None = None,
) -> TypedValue:
    """The keyspace value for one RDB module value (see the module docstring)."""
    vtype = module_id.find_type(module_types, payload.stored_name)
    if vtype is None:
        if keep_unknown:
            return TypedValue(opaque_type(payload.module_id), OpaqueModuleValue(payload.raw))
        raise ModuleValueError(
            f"no matching module type '{payload.type_name}' for key {key_text}: the module that "
            "registers it is not loaded. Install that module (pip install) and make sure it "
            "loads (check --module / --disable-module), or set keep-unknown-module-values yes"
        )
    if payload.encver > vtype.encver:
        raise ModuleValueError(
            f"key {key_text} of module type '{payload.type_name}' was saved with encoding "
            f"version {payload.encver}, newer than the {vtype.encver} that module "
            f"'{vtype.module_name}' supports; upgrade the module"
        )
    if getattr(vtype, "typed_io", False):
        try:
            value = vtype.load_fields(payload.fields, payload.encver, key)  # type: ignore[attr-defined]
        except Exception as exc:
            raise ModuleValueError(
                f"module type '{payload.type_name}' (module '{vtype.module_name}') failed to "
                f"load key {key_text}: {exc}"
            ) from exc
        return TypedValue(vtype, value)
    if payload.data is None:
        raise ModuleValueError(
            f"key {key_text} of module type '{payload.type_name}' holds "
            f"{len(payload.fields)} typed field(s) ({_field_kinds(payload)}); module "
            f"'{vtype.module_name}' reads one bytes field with its rdb_load"
        )
    try:
        value = vtype.load(payload.data, payload.encver)
    except Exception as exc:
        raise ModuleValueError(
            f"module type '{payload.type_name}' (module '{vtype.module_name}') failed to load "
            f"key {key_text}: {type(exc).__name__}: {exc}"
        ) from exc
    return TypedValue(vtype, value)


_KINDS = {
    c.MODULE_OPCODE_SINT: "signed",
    c.MODULE_OPCODE_UINT: "unsigned",
    c.MODULE_OPCODE_FLOAT: "float",
    c.MODULE_OPCODE_DOUBLE: "double",
    c.MODULE_OPCODE_STRING: "string",
}


def _field_kinds(payload: RdbModulePayload) -> str:
    return ", ".join(_KINDS.get(opcode, "?") for opcode, _ in payload.fields) or "none"


def log_opaque_types(counts: Mapping[str, int]) -> None:
    for name, count in sorted(counts.items()):
        log.warning(
            "Kept %d key(s) of module type '%s' as opaque values: the module that registers it "
            "is not loaded. They are saved back unchanged; install the module to use them",
            count,
            name,
        )


class ModuleAuxError(Exception):
    """Module aux data its module could not load; the message says which."""


def load_module_aux(
    module_types: Mapping[str, ValueType], records: list[RdbModuleAux], when: int
) -> list[str]:
    """Hand the aux records saved at `when` to their types' `aux_load`, in file order.

    Returns the names of types not loaded (their records are skipped; the caller logs them);
    ModuleAuxError when a loaded module refuses its data.
    """
    missing = []
    for record in records:
        if record.when != when:
            continue
        vtype = module_id.find_type(module_types, record.stored_name)
        if vtype is None or not hasattr(vtype, "load_aux"):
            missing.append(module_id.shown_name(record.stored_name))
            continue
        _, encver = module_id.decode(record.module_id)
        try:
            vtype.load_aux(record.fields, encver, when)
        except Exception as exc:
            raise ModuleAuxError(str(exc)) from exc
    return missing
