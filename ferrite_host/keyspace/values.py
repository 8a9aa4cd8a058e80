"""What a database can hold: strings, or typed values whose type carries its callbacks.

Strings are stored as plain `bytes` (or `bytearray` once a module asked for writable DMA):
no wrapper object, so a string key costs what a Python dict entry costs. Anything else is a
`TypedValue` pairing the value with a `ValueType` (a module type handle).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ValueType(Protocol):
    """A non-string value type as the keyspace sees it."""

    name: str

    def release(self, value: Any) -> None:
        """Called once when a value of this type leaves the keyspace for good."""


class TypedValue:
    __slots__ = ("type", "value")

    def __init__(self, vtype: ValueType, value: Any) -> None:
        self.type = vtype
        self.value = value

    def __repr__(self) -> str:
        return f"TypedValue({self.type.name}, {self.value!r})"


Value = bytes | bytearray | TypedValue


def is_string(value: object) -> bool:
    return type(value) is bytes or type(value) is bytearray


def type_name(value: Value) -> str:
    """What TYPE answers for a value."""
    if isinstance(value, TypedValue):
        return value.type.name
    return "string"


def release(value: Value) -> None:
    """Let a typed value's owner free it; strings need nothing."""
    if isinstance(value, TypedValue):
        value.type.release(value.value)
