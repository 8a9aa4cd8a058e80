"""Redis's 64-bit module type id: 9 name characters of 6 bits each, then a 10-bit encver.

Redis requires type names of exactly 9 characters; Ferrite allows 1 to 9. A shorter name is
padded on the right with underscores to 9 characters ("hello" is stored as "hello____"), the
same rule on every host, so a Ferrite module's values keep one id wherever they go. Reading,
a 9-character name matches the registered type whose padded name it is; trailing
underscores are dropped when the name is shown for a type that is not loaded.
"""

from __future__ import annotations

from collections.abc import Mapping

from ferrite_host.keyspace.values import ValueType
from ferrite_host.persistence.rdb.constants import (
    MODULE_NAME_CHARSET,
    MODULE_NAME_LENGTH,
    MODULE_NAME_PAD,
)

_CODES = {char: code for code, char in enumerate(MODULE_NAME_CHARSET)}
ENCVER_BITS = 10
ENCVER_MASK = (1 << ENCVER_BITS) - 1


def stored_name(name: str) -> str:
    """The 9-character name a type is stored under."""
    return name.ljust(MODULE_NAME_LENGTH, MODULE_NAME_PAD)


def encode(name: str, encver: int) -> int:
    """The id of type `name` at encoding version `encver`; ValueError on an invalid name."""
    full = stored_name(name)
    if len(full) != MODULE_NAME_LENGTH or not 0 <= encver <= ENCVER_MASK:
        raise ValueError(f"module type {name!r}/{encver} has no Redis type id")
    packed = 0
    for char in full:
        code = _CODES.get(char)
        if code is None:
            raise ValueError(f"module type name {name!r} has a character outside Redis's set")
        packed = (packed << 6) | code
    return (packed << ENCVER_BITS) | encver


def decode(module_id: int) -> tuple[str, int]:
    """(9-character name, encver) of a type id."""
    packed = module_id >> ENCVER_BITS
    chars = []
    for _ in range(MODULE_NAME_LENGTH):
        chars.append(MODULE_NAME_CHARSET[packed & 0x3F])
        packed >>= 6
    return "".join(reversed(chars)), module_id & ENCVER_MASK


def shown_name(full_name: str) -> str:
    """The name TYPE and log lines use for a type known only by its stored name."""
    return full_name.rstrip(MODULE_NAME_PAD) or full_name


def find_type(types: Mapping[str, ValueType], full_name: str) -> ValueType | None:
    """The registered type stored under `full_name`, if one is loaded."""
    exact = types.get(shown_name(full_name)) or types.get(full_name)
    if exact is not None and stored_name(exact.name) == full_name:
        return exact
    for candidate in types.values():
        if stored_name(candidate.name) == full_name:
            return candidate
    return None
