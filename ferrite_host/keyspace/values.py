"""What a database can hold: strings, or typed values whose type carries its callbacks.

Strings are stored as plain `bytes` (or `bytearray` once a module asked for writable DMA):
no wrapper object, so a string key costs what a Python dict entry costs. Anything else is a
`TypedValue` pairing the value with a `ValueType` (a module type handle).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


@runtime_checkable
class ValueType(Protocol):
    """A non-string value type (a module type handle) as the rest of the server sees it.

    The keyspace itself only calls `release`; the other methods are what built-in commands
    and persistence call on typed values, so they never need to know about modules.
    """

    #: What TYPE answers (the module type's name, e.g. "hellotype").
    name: str
    #: Encoding version the type writes now (stored with saved values).
    encver: int
    #: Name of the module that registered the type (named in load errors).
    module_name: str

    def release(self, value: Any) -> None:
        """Called once when a value of this type leaves the keyspace for good (`free`)."""

    def mem_usage(self, value: Any) -> int:
        """Bytes used, for MEMORY USAGE (0 when the type has no `mem_usage`)."""

    def digest(self, value: Any) -> bytes:
        """Bytes that identify the value's content, for DEBUG DIGEST(-VALUE)."""

    def copy(self, value: Any) -> Any:
        """A deep copy for COPY; raises NotImplementedError when the type has no copy."""

    def can_save(self) -> bool:
        """True when the type has `rdb_save` and so can be persisted."""

    def save(self, value: Any) -> bytes:
        """Serialise with the type's `rdb_save`."""

    def load(self, data: bytes, encver: int) -> Any:
        """Rebuild with the type's `rdb_load`, given the encver that wrote `data`."""

    def aof_rewrite(self, value: Any, key: bytes) -> list[list[bytes]] | None:
        """Commands that rebuild the value, or None when the type has no `aof_rewrite`."""


class TypedValue:
    __slots__ = ("type", "value")

    def __init__(self, vtype: ValueType, value: Any) -> None:
        self.type = vtype
        self.value = value

    def __repr__(self) -> str:
        return f"TypedValue({self.type.name}, {self.value!r})"


class Aggregate:
    """Mixin of the built-in aggregate types (list, hash, set, sorted set).

    Each is a subclass of a Python container plus this mixin, so a stored list costs what
    a deque costs; generic commands (TYPE, OBJECT ENCODING, COPY, MEMORY USAGE, AOF rewrite)
    reach every type through these few methods and never switch on the concrete class.
    """

    __slots__ = ()

    #: What TYPE answers ("list", "hash", "set", "zset").
    TYPE: ClassVar[str] = ""

    def encoding(self) -> str:
        """What OBJECT ENCODING answers (Redis 7.0's names: listpack, quicklist, ...)."""
        raise NotImplementedError

    def duplicate(self) -> Aggregate:
        """An independent deep copy, for COPY."""
        raise NotImplementedError

    def rewrite_commands(self, key: bytes) -> list[list[bytes]]:
        """Commands that rebuild the value from nothing, for an AOF rewrite."""
        raise NotImplementedError

    def mem_usage(self, samples: int = 0) -> int:
        """Bytes the value takes, members included, for MEMORY USAGE; with `samples`, an
        estimate from that many members (what used_memory keeps as the value changes)."""
        raise NotImplementedError


def sampled_total(members: Iterable[T], count: int, samples: int, size: Callable[[T], int]) -> int:
    """The summed `size` of `count` members: exact when `samples` is 0 or covers them all,
    else the first `samples` members' average times `count` (as MEMORY USAGE SAMPLES
    estimates), so measuring a large container costs O(samples)."""
    if not samples or count <= samples:
        return sum(size(member) for member in members)
    return sum(size(member) for member in islice(members, samples)) * count // samples


Value = bytes | bytearray | TypedValue | Aggregate


def is_string(value: object) -> bool:
    return type(value) is bytes or type(value) is bytearray


def type_name(value: Value) -> str:
    """What TYPE answers for a value."""
    if isinstance(value, TypedValue):
        return value.type.name
    if isinstance(value, Aggregate):
        return value.TYPE
    return "string"


def release(value: Value) -> None:
    """Let a typed value's owner free it; strings need nothing."""
    if isinstance(value, TypedValue):
        value.type.release(value.value)
