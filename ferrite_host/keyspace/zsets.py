"""The sorted-set type: member -> score, plus the members ordered by (score, member).

Ordering is sortedcontainers' SortedList of (score, member) pairs: Redis's order (score,
then member bytes) falls out of tuple comparison, and rank/range lookups are O(log n).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from sortedcontainers import SortedList

from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.lists import REWRITE_BATCH
from ferrite_host.keyspace.values import Aggregate
from ferrite_host.strconv import format_float


class ZSetValue(Aggregate):
    """A Redis sorted set. `skiplist` records Redis's one-way conversion out of listpack."""

    __slots__ = ("order", "scores", "skiplist")
    TYPE = "zset"

    def __init__(self) -> None:
        self.scores: dict[bytes, float] = {}
        self.order: SortedList = SortedList()
        self.skiplist = False

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: object) -> bool:
        return member in self.scores

    def __iter__(self) -> Iterator[tuple[bytes, float]]:
        """(member, score) pairs from the lowest score up."""
        for score, member in self.order:
            yield member, score

    def score(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def add(self, member: bytes, score: float) -> bool:
        """Set `member`'s score; True when the member is new."""
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return False
            self.order.remove((old, member))
        self.scores[member] = score
        self.order.add((score, member))
        return old is None

    def remove(self, member: bytes) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self.order.remove((old, member))
        return True

    def rank(self, member: bytes) -> int | None:
        """0-based rank from the lowest score, None when absent."""
        score = self.scores.get(member)
        if score is None:
            return None
        return int(self.order.index((score, member)))

    def update_encoding(self, limits: EncodingLimits) -> None:
        """Convert to skiplist once the set outgrows the listpack limits (never back)."""
        if self.skiplist:
            return
        longest = limits.zset_max_listpack_value
        if len(self) > limits.zset_max_listpack_entries or any(
            len(member) > longest for member in self.scores
        ):
            self.skiplist = True

    def encoding(self) -> str:
        return "skiplist" if self.skiplist else "listpack"

    def duplicate(self) -> ZSetValue:
        copy = ZSetValue()
        copy.scores = dict(self.scores)
        copy.order = SortedList(self.order)
        copy.skiplist = self.skiplist
        return copy

    def rewrite_commands(self, key: bytes) -> list[list[bytes]]:
        pairs = [part for member, score in self for part in (format_float(score), member)]
        step = REWRITE_BATCH * 2
        return [[b"ZADD", key, *pairs[i : i + step]] for i in range(0, len(pairs), step)]

    def mem_usage(self) -> int:
        per_member = sys.getsizeof(0.5) + 64  # the score, its tuple and list slot
        return sys.getsizeof(self.scores) + sum(
            sys.getsizeof(member) + per_member for member in self.scores
        )
