"""The sorted-set calls of a Pythonic `Key`: members as bytes, scores as floats.

Writes run on the Redis-shaped `RedisModule_Zset*` calls (the same encodings, event names
and deletion of an emptied set); reads walk the stored value directly, in score order.
"""

from __future__ import annotations

import math

from ferrite_host.keyspace import ZSetValue
from ferrite_host.keyspace.zsets import ScoreRange
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.key_base import KeyBase, inclusive_span
from ferrite_host.redis_module.api import Status
from ferrite_host.redis_module.key_zsets import ZAddFlag
from ferrite_host.strconv import to_bytes

Member = bytes | str
#: ZADD's own text for a NaN score or a NaN increment result.
NOT_A_FLOAT = "ERR resulting score is not a number (NaN)"


def _zadd_flags(nx: bool, xx: bool, gt: bool, lt: bool) -> int:
    if nx and (xx or gt or lt):
        raise ReplyError("ERR GT, LT, and/or NX options at the same time are not compatible")
    flags = ZAddFlag.NONE.value
    for wanted, bit in ((nx, ZAddFlag.NX), (xx, ZAddFlag.XX), (gt, ZAddFlag.GT), (lt, ZAddFlag.LT)):
        if wanted:
            flags |= bit.value
    return flags


class ZSetKeyMixin(KeyBase):
    """Sorted-set calls of `Key` (RedisModule_Zset* with Python values)."""

    __slots__ = ()

    def zset_add(
        self,
        member: Member,
        score: float,
        *,
        nx: bool = False,
        xx: bool = False,
        gt: bool = False,
        lt: bool = False,
    ) -> bool:
        """Add or update `member` (ZADD's NX/XX/GT/LT); True when it was added."""
        flags = _zadd_flags(nx, xx, gt, lt)
        if math.isnan(score):
            raise ReplyError(NOT_A_FLOAT)
        status, out = self._for_write(ZSetValue).zset_add(score, to_bytes(member), flags)
        return status is Status.OK and bool(out & ZAddFlag.ADDED)

    def zset_incr(self, member: Member, increment: float) -> float:
        """Add `increment` to the score (a new member starts at 0); the new score."""
        status, _out, score = self._for_write(ZSetValue).zset_incrby(increment, to_bytes(member))
        if status is Status.ERR or score is None:
            raise ReplyError(NOT_A_FLOAT)
        return score

    def zset_rem(self, member: Member) -> bool:
        """Remove `member`; True when it was there. An emptied sorted set is deleted."""
        if self._stored(ZSetValue) is None:
            return False
        _status, removed = self._for_write(ZSetValue).zset_rem(to_bytes(member))
        return removed

    def zset_score(self, member: Member) -> float | None:
        stored = self._stored(ZSetValue)
        return None if stored is None else stored.score(to_bytes(member))

    def zset_len(self) -> int:
        stored = self._stored(ZSetValue)
        return 0 if stored is None else len(stored)

    def zset_range(
        self, start: int = 0, stop: int = -1, *, reverse: bool = False
    ) -> list[tuple[bytes, float]]:
        """(member, score) pairs by rank, `start` to `stop` inclusive (ZRANGE's indexes)."""
        stored = self._stored(ZSetValue)
        if stored is None:
            return []
        size = len(stored)
        span = inclusive_span(start, stop, size)
        if not span:
            return []
        if reverse:
            return stored.pairs(size - span.stop, size - span.start, reverse=True)
        return stored.pairs(span.start, span.stop)

    def zset_range_by_score(
        self,
        low: float = -math.inf,
        high: float = math.inf,
        *,
        low_exclusive: bool = False,
        high_exclusive: bool = False,
    ) -> list[tuple[bytes, float]]:
        """(member, score) pairs whose score lies between `low` and `high`, lowest first."""
        stored = self._stored(ZSetValue)
        if stored is None:
            return []
        lo, hi = stored.score_span(ScoreRange(low, high, low_exclusive, high_exclusive))
        return stored.pairs(lo, hi)
