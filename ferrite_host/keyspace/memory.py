"""What one key costs, as the running `used_memory` total counts it.

The database adds an entry's cost when a key appears or its value changes and takes it off
when the key goes, so used_memory is a sum kept current, never a scan. Strings cost what
their bytes object costs; containers are measured from a sample of their members (a write
to a large one stays O(samples)); module values report through their type's `mem_usage`.
"""

from __future__ import annotations

import logging
import sys

from ferrite_host.keyspace.values import Aggregate, TypedValue, Value

log = logging.getLogger("ferrite")

#: A bytes object's header: `sys.getsizeof(b"x" * n) == n + BYTES_HEADER`.
BYTES_HEADER = sys.getsizeof(b"")
#: The slots a key takes in the value dict and the access-field dict, with their share of
#: the tables' spare room (measured with tracemalloc on 100k keys, CPython 3.11).
KEY_ENTRY_BYTES = 104
#: A key's slot in the expiry dict plus the expiry int it holds (the key name the expiry
#: dict holds is counted apart: it may be its own copy, made from the EXPIRE command line).
EXPIRE_ENTRY_BYTES = 88
#: Members measured per container write (the rest are estimated from them).
CONTAINER_SAMPLES = 16


def value_size(value: Value) -> int:
    """Bytes a stored value takes, as used_memory counts it."""
    kind = type(value)
    if kind is bytes:
        return len(value) + BYTES_HEADER  # type: ignore[arg-type]
    if kind is TypedValue:
        return sys.getsizeof(value) + _module_usage(value)  # type: ignore[arg-type]
    if isinstance(value, Aggregate):
        return value.mem_usage(CONTAINER_SAMPLES)
    return sys.getsizeof(value)


def key_size(key: bytes) -> int:
    """A new key's own cost: its name and its dict slots."""
    return len(key) + BYTES_HEADER + KEY_ENTRY_BYTES


def expire_size(key: bytes) -> int:
    """What giving `key` a TTL costs."""
    return len(key) + BYTES_HEADER + EXPIRE_ENTRY_BYTES


def _module_usage(value: TypedValue) -> int:
    try:
        return max(0, int(value.type.mem_usage(value.value)))
    except Exception:  # a module callback must not break a write
        log.exception("mem_usage of type %s failed", value.type.name)
        return 0
