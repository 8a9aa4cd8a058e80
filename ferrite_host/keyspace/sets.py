"""The set type: a Python set of member bytes."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable
from typing import Any

from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.lists import REWRITE_BATCH
from ferrite_host.keyspace.values import Aggregate, sampled_total
from ferrite_host.strconv import parse_int


class SetValue(set[bytes], Aggregate):
    """A Redis set. `hashtable` records Redis's one-way conversion out of intset."""

    __slots__ = ("_pool", "hashtable", "scan_snapshot")
    TYPE = "set"

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.hashtable = False
        #: Members to draw random picks from (a set has no random access): a snapshot that
        #: may hold members removed since (skipped when drawn) and is rebuilt once the set
        #: holds more members than it, so SPOP in a loop costs O(1) per pop, not O(N).
        self._pool: list[bytes] | None = None
        #: What SSCAN keeps between calls (commands.scanning.SlotSnapshot).
        self.scan_snapshot: Any = None

    def update_encoding(self, limits: EncodingLimits) -> None:
        """Intset while every member is a 64-bit integer and the set is small (never back)."""
        if self.hashtable:
            return
        if len(self) > limits.set_max_intset_entries or not all(
            parse_int(member) is not None for member in self
        ):
            self.hashtable = True

    def note_added(self, added: Iterable[bytes], limits: EncodingLimits) -> None:
        """`update_encoding` for a set that only grew by `added`: checks just those."""
        if self.hashtable:
            return
        if len(self) > limits.set_max_intset_entries or not all(
            parse_int(member) is not None for member in added
        ):
            self.hashtable = True

    def random_member(self, remove: bool = False) -> bytes:
        """One member chosen uniformly (the set must not be empty); `remove` pops it."""
        while True:
            pool = self._pool
            if pool is None or len(pool) < len(self):
                pool = self._pool = list(self)
            index = random.randrange(len(pool))
            member = pool[index]
            present = member in self
            if not present or remove:
                pool[index] = pool[-1]
                pool.pop()
            if present:
                if remove:
                    self.discard(member)
                return member

    def random_members(self, count: int) -> list[bytes]:
        """`count` distinct members (all of them, in set order, when count >= size)."""
        if count >= len(self):
            return list(self)
        return random.sample(list(self), count)

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

    def mem_usage(self, samples: int = 0) -> int:
        return sys.getsizeof(self) + sampled_total(self, len(self), samples, sys.getsizeof)
