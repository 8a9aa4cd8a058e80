"""The sorted-set type: member -> score, plus the members ordered by (score, member).

Ordering is sortedcontainers' SortedList of (score, member) pairs: Redis's order (score,
then member bytes) falls out of tuple comparison, and rank/range lookups are O(log n).
Ranges are answered as index spans `[lo, hi)` of that order, so every range command
(ZRANGE, ZCOUNT, ZREMRANGEBY*, the module API's range iterators) shares one lookup.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sortedcontainers import SortedList

from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.lists import REWRITE_BATCH
from ferrite_host.keyspace.values import Aggregate, sampled_total
from ferrite_host.strconv import format_float


class _Top:
    """Compares greater than any member, so `(score, TOP)` sorts after every `score` pair."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __le__(self, other: object) -> bool:
        return other is self

    def __ge__(self, other: object) -> bool:
        return True


_TOP = _Top()


@dataclass(frozen=True)
class ScoreRange:
    """A score interval as ZRANGEBYSCORE spells it (`(` makes an end exclusive)."""

    min: float
    max: float
    min_exclusive: bool = False
    max_exclusive: bool = False

    def is_empty(self) -> bool:
        return self.min > self.max or (
            self.min == self.max and (self.min_exclusive or self.max_exclusive)
        )

    def above_min(self, score: float) -> bool:
        return score > self.min if self.min_exclusive else score >= self.min

    def below_max(self, score: float) -> bool:
        return score < self.max if self.max_exclusive else score <= self.max


@dataclass(frozen=True)
class LexBound:
    """One end of a lex range: `-` (infinite = -1), `+` (infinite = 1), `[x` or `(x`."""

    value: bytes = b""
    exclusive: bool = False
    infinite: int = 0


@dataclass(frozen=True)
class LexRange:
    min: LexBound
    max: LexBound

    def above_min(self, member: bytes) -> bool:
        bound = self.min
        if bound.infinite:
            return bound.infinite < 0
        return member > bound.value if bound.exclusive else member >= bound.value

    def below_max(self, member: bytes) -> bool:
        bound = self.max
        if bound.infinite:
            return bound.infinite > 0
        return member < bound.value if bound.exclusive else member <= bound.value

    def is_empty(self) -> bool:
        low, high = self.min, self.max
        if low.infinite > 0 or high.infinite < 0:
            return True
        if low.infinite or high.infinite:
            return False
        return low.value > high.value or (
            low.value == high.value and (low.exclusive or high.exclusive)
        )


def parse_lex_bound(raw: bytes) -> LexBound | None:
    """One ZRANGEBYLEX bound (`[x`, `(x`, `-`, `+`), None when malformed."""
    if raw == b"+":
        return LexBound(infinite=1)
    if raw == b"-":
        return LexBound(infinite=-1)
    if raw[:1] == b"(":
        return LexBound(raw[1:], exclusive=True)
    if raw[:1] == b"[":
        return LexBound(raw[1:])
    return None


def parse_lex_range(low: bytes, high: bytes) -> LexRange | None:
    first, last = parse_lex_bound(low), parse_lex_bound(high)
    if first is None or last is None:
        return None
    return LexRange(first, last)


class AddFlags:
    """ZADD's conditions (NX XX GT LT), CH and INCR, as ZADD and the module API give them."""

    __slots__ = ("ch", "gt", "incr", "lt", "nx", "xx")

    def __init__(self) -> None:
        self.nx = self.xx = self.gt = self.lt = self.ch = self.incr = False


#: Outcomes of `ZSetValue.add_with`.
ADDED, UPDATED, UNCHANGED, NOP, NAN = "added", "updated", "unchanged", "nop", "nan"


class ZSetValue(Aggregate):
    """A Redis sorted set. `skiplist` records Redis's one-way conversion out of listpack."""

    __slots__ = ("order", "scan_snapshot", "scores", "skiplist")
    TYPE = "zset"

    def __init__(self) -> None:
        self.scores: dict[bytes, float] = {}
        self.order: SortedList = SortedList()
        self.skiplist = False
        #: What ZSCAN keeps between calls (commands.scanning.SlotSnapshot).
        self.scan_snapshot: Any = None

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
        if score == 0.0 and not self.skiplist:
            score = 0.0  # a listpack stores -0 as the integer 0, as Redis's does
        old = self.scores.get(member)
        if old is not None:
            if old == score:
                return False
            self.order.remove((old, member))
        self.scores[member] = score
        self.order.add((score, member))
        return old is None

    def add_with(self, member: bytes, score: float, flags: AddFlags) -> tuple[str, float]:
        """One ZADD step under `flags`: (ADDED | UPDATED | UNCHANGED | NOP | NAN, score).

        NAN means an increment gave NaN (inf + -inf) and nothing changed.
        """
        current = self.scores.get(member)
        if current is None:
            if flags.xx:
                return NOP, score
            self.add(member, score)
            return ADDED, score
        if flags.nx:
            return NOP, current
        if flags.incr:
            score += current
            if score != score:
                return NAN, current
        if (flags.lt and score >= current) or (flags.gt and score <= current):
            return NOP, current
        if score != current:
            self.add(member, score)
            return UPDATED, score
        return UNCHANGED, score

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

    # -- ranges as index spans of the order ------------------------------------------------

    def at(self, index: int) -> tuple[bytes, float]:
        """The (member, score) pair at rank `index`."""
        score, member = self.order[index]
        return member, score

    def pairs(self, lo: int, hi: int, reverse: bool = False) -> list[tuple[bytes, float]]:
        """(member, score) for ranks lo..hi-1, from the highest down when `reverse`."""
        if lo >= hi:
            return []
        found = [(member, score) for score, member in self.order.islice(lo, hi, reverse)]
        return found

    def score_span(self, span: ScoreRange) -> tuple[int, int]:
        """The ranks [lo, hi) whose scores lie in `span`."""
        if span.is_empty():
            return 0, 0
        order = self.order
        lo = (
            order.bisect_right((span.min, _TOP))
            if span.min_exclusive
            else order.bisect_left((span.min,))
        )
        hi = (
            order.bisect_left((span.max,))
            if span.max_exclusive
            else order.bisect_right((span.max, _TOP))
        )
        return lo, max(lo, hi)

    def lex_span(self, span: LexRange, reverse: bool = False) -> tuple[int, int]:
        """The ranks [lo, hi) whose members lie in `span` (members of one score, as Redis
        expects; with mixed scores the walk is Redis's: from the first member in range in
        the walking direction, on while members stay in range)."""
        order = self.order
        size = len(order)
        if span.is_empty() or not size:
            return 0, 0
        first_score, last_score = order[0][0], order[-1][0]
        if first_score == last_score:
            lo = self._lex_bisect(span.min, first_score, lower=True)
            hi = self._lex_bisect(span.max, first_score, lower=False)
            return lo, max(lo, hi)
        if not span.above_min(order[-1][1]) or not span.below_max(order[0][1]):
            return 0, 0  # Redis first tests the range against the last and first members
        if not reverse:
            lo = next((i for i in range(size) if span.above_min(order[i][1])), size)
            hi = lo
            while hi < size and span.below_max(order[hi][1]):
                hi += 1
            return lo, hi
        hi = next((i + 1 for i in range(size - 1, -1, -1) if span.below_max(order[i][1])), 0)
        lo = hi
        while lo > 0 and span.above_min(order[lo - 1][1]):
            lo -= 1
        return lo, hi

    def _lex_bisect(self, bound: LexBound, score: float, lower: bool) -> int:
        order = self.order
        if bound.infinite:
            return 0 if bound.infinite < 0 else len(order)
        # lower bound: first rank >= value ('[') or > value ('('); upper: first rank past it.
        if bound.exclusive == lower:
            return int(order.bisect_right((score, bound.value)))
        return int(order.bisect_left((score, bound.value)))

    def remove_span(self, lo: int, hi: int) -> int:
        """Remove ranks lo..hi-1; the number removed."""
        if lo >= hi:
            return 0
        doomed = list(self.order.islice(lo, hi))
        del self.order[lo:hi]
        for _score, member in doomed:
            del self.scores[member]
        return len(doomed)

    def pop(self, count: int, highest: bool = False) -> list[tuple[bytes, float]]:
        """Remove and return up to `count` members from the low end (or high end)."""
        size = len(self.order)
        count = min(count, size)
        if count <= 0:
            return []
        lo, hi = (size - count, size) if highest else (0, count)
        taken = self.pairs(lo, hi, reverse=highest)
        self.remove_span(lo, hi)
        return taken

    def random_pairs(self, count: int, unique: bool) -> list[tuple[bytes, float]]:
        """`count` random pairs: distinct ones (at most all, then in order) or with repeats."""
        size = len(self.order)
        if not size:
            return []
        if not unique:
            return [self.at(random.randrange(size)) for _ in range(count)]
        if count >= size:
            return list(self)
        return [self.at(index) for index in random.sample(range(size), count)]

    # -- encoding --------------------------------------------------------------------------

    def update_encoding(self, limits: EncodingLimits) -> None:
        """Convert to skiplist once the set outgrows the listpack limits (never back)."""
        if self.skiplist:
            return
        longest = limits.zset_max_listpack_value
        if len(self) > limits.zset_max_listpack_entries or any(
            len(member) > longest for member in self.scores
        ):
            self.skiplist = True

    def note_added(self, member: bytes, limits: EncodingLimits) -> None:
        """`update_encoding` after one member was added: checks just that member."""
        if not self.skiplist and (
            len(self) > limits.zset_max_listpack_entries
            or len(member) > limits.zset_max_listpack_value
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

    def mem_usage(self, samples: int = 0) -> int:
        per_member = sys.getsizeof(0.5) + 64  # the score, its tuple and list slot
        members = sampled_total(self.scores, len(self.scores), samples, sys.getsizeof)
        return sys.getsizeof(self.scores) + members + per_member * len(self.scores)
