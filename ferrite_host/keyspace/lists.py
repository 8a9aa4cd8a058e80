"""The list type: a deque of bytes, as cheap per element as Python allows."""

from __future__ import annotations

import sys
from collections import deque

from ferrite_host.keyspace.values import Aggregate, sampled_total

#: Elements per command when an AOF rewrite rebuilds an aggregate (Redis writes 64).
REWRITE_BATCH = 64


class ListValue(deque[bytes], Aggregate):
    """A Redis list. Redis 7.0 stores every list as a quicklist, whatever its size."""

    __slots__ = ()
    TYPE = "list"

    def encoding(self) -> str:
        return "quicklist"

    def duplicate(self) -> ListValue:
        return ListValue(self)

    def rewrite_commands(self, key: bytes) -> list[list[bytes]]:
        items = list(self)
        return [
            [b"RPUSH", key, *items[start : start + REWRITE_BATCH]]
            for start in range(0, len(items), REWRITE_BATCH)
        ]

    def mem_usage(self, samples: int = 0) -> int:
        return sys.getsizeof(self) + sampled_total(self, len(self), samples, sys.getsizeof)
