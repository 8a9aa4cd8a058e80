"""The set type: a Python set of member bytes."""

from __future__ import annotations

import sys

from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.lists import REWRITE_BATCH
from ferrite_host.keyspace.values import Aggregate
from ferrite_host.strconv import parse_int


class SetValue(set[bytes], Aggregate):
    """A Redis set. `hashtable` records Redis's one-way conversion out of intset."""

    __slots__ = ("hashtable",)
    TYPE = "set"

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.hashtable = False

    def update_encoding(self, limits: EncodingLimits) -> None:
        """Intset while every member is a 64-bit integer and the set is small (never back)."""
        if self.hashtable:
            return
        if len(self) > limits.set_max_intset_entries or not all(
            parse_int(member) is not None for member in self
        ):
            self.hashtable = True

    def encoding(self) -> str:
        return "hashtable" if self.hashtable else "intset"

    def duplicate(self) -> SetValue:
        copy = SetValue(self)
        copy.hashtable = self.hashtable
        return copy

    def rewrite_commands(self, key: bytes) -> list[list[bytes]]:
        items = list(self)
        return [
            [b"SADD", key, *items[i : i + REWRITE_BATCH]]
            for i in range(0, len(items), REWRITE_BATCH)
        ]

    def mem_usage(self) -> int:
        return sys.getsizeof(self) + sum(sys.getsizeof(member) for member in self)
