"""The "hellotype" value: a sorted list of signed 64-bit integers, and its type callbacks."""

from __future__ import annotations

import bisect
import struct

from ferrite_host.redis_module.types import RedisModuleTypeDef, TypeMethods

TYPE_NAME = "hellotype"
ENCODING_VERSION = 0

_COUNT = struct.Struct("<Q")
_INT64 = struct.Struct("<q")
#: What hellotype.c's mem_usage reports: the list header plus one node per element.
_HEADER_BYTES = 16
_NODE_BYTES = 16


class HelloTypeValue:
    """Integers kept in ascending order; duplicates are kept, as upstream's linked list does."""

    __slots__ = ("items",)

    def __init__(self, items: list[int] | None = None) -> None:
        self.items: list[int] = sorted(items) if items else []

    def insert(self, number: int) -> None:
        bisect.insort(self.items, number)

    def range(self, first: int, count: int) -> list[int]:
        return self.items[first : first + count]

    def __len__(self) -> int:
        return len(self.items)


def rdb_save(value: HelloTypeValue) -> bytes:
    """Count, then each element: the shape of upstream's SaveUnsigned + SaveSigned stream."""
    return _COUNT.pack(len(value.items)) + b"".join(_INT64.pack(n) for n in value.items)


def rdb_load(data: bytes, encver: int) -> HelloTypeValue:
    if encver != ENCODING_VERSION:
        raise ValueError(f"hellotype cannot load encoding version {encver}")
    (count,) = _COUNT.unpack_from(data, 0)
    expected = _COUNT.size + count * _INT64.size
    if len(data) != expected:
        raise ValueError(f"hellotype payload is {len(data)} bytes, expected {expected}")
    items = [_INT64.unpack_from(data, _COUNT.size + i * _INT64.size)[0] for i in range(count)]
    return HelloTypeValue(items)


def aof_rewrite(value: HelloTypeValue, key: bytes) -> list[list[bytes]]:
    """One HELLOTYPE.INSERT per element, as upstream's EmitAOF loop writes."""
    return [[b"HELLOTYPE.INSERT", key, str(n).encode()] for n in value.items]


def mem_usage(value: HelloTypeValue) -> int:
    return _HEADER_BYTES + _NODE_BYTES * len(value.items)


def digest(value: HelloTypeValue) -> bytes:
    """The elements in order (DigestAddLongLong each, then DigestEndSequence)."""
    return b"".join(_INT64.pack(n) for n in value.items) + b"\x00"


def free(value: HelloTypeValue) -> None:
    value.items.clear()


def type_definition() -> RedisModuleTypeDef:
    return RedisModuleTypeDef(TYPE_NAME, ENCODING_VERSION).with_methods(
        TypeMethods(
            rdb_save=rdb_save,
            rdb_load=rdb_load,
            aof_rewrite=aof_rewrite,
            mem_usage=mem_usage,
            digest=digest,
            free=free,
        )
    )
