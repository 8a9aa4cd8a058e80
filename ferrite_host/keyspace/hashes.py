"""The hash type: a dict of field -> value bytes."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.lists import REWRITE_BATCH
from ferrite_host.keyspace.values import Aggregate, sampled_total


class HashValue(dict[bytes, bytes], Aggregate):
    """A Redis hash. `hashtable` records Redis's one-way conversion out of listpack."""

    __slots__ = ("hashtable",)
    TYPE = "hash"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.hashtable = False

    def update_encoding(
        self, limits: EncodingLimits, incoming: Iterable[bytes] | None = None
    ) -> None:
        """Convert to hashtable once the hash outgrows the listpack limits (never back).

        `incoming` are the fields and values a command just stored: as in Redis, only they
        are measured, not the whole hash again. Without them (loading, RESTORE) every stored
        field and value is measured.
        """
        if self.hashtable:
            return
        longest = limits.hash_max_listpack_value
        if incoming is None:
            incoming = (part for item in self.items() for part in item)
        if len(self) > limits.hash_max_listpack_entries or any(
            len(arg) > longest for arg in incoming
        ):
            self.hashtable = True

    def encoding(self) -> str:
        return "hashtable" if self.hashtable else "listpack"

    def duplicate(self) -> HashValue:
        copy = HashValue(self)
        copy.hashtable = self.hashtable
        return copy

    def rewrite_commands(self, key: bytes) -> list[list[bytes]]:
        pairs = [part for item in self.items() for part in item]
        step = REWRITE_BATCH * 2
        return [[b"HSET", key, *pairs[i : i + step]] for i in range(0, len(pairs), step)]

    def mem_usage(self, samples: int = 0) -> int:
        return sys.getsizeof(self) + sampled_total(self.items(), len(self), samples, _pair_size)


def _pair_size(pair: tuple[bytes, bytes]) -> int:
    return sys.getsizeof(pair[0]) + sys.getsizeof(pair[1])
