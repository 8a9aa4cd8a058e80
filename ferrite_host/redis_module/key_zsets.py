"""The sorted-set part of the module key API (`RedisModule_Zset*`), mixed into RedisModuleKey.

Writes go through the database's mutators (so WATCH, the dirty counter and the change
stream see them; as in Redis, they send no keyspace notification), and an emptied sorted
set is deleted as Redis's `moduleDelKeyIfEmpty` does. Range iteration keeps one iterator
per key handle, as Redis does: `zset_first_in_*` / `zset_last_in_*` start it,
`zset_range_next` / `zset_range_prev` move it, `zset_range_current_element` reads it,
`zset_range_stop` ends it.
"""

from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING, Any

from ferrite_host.keyspace import ZSetValue
from ferrite_host.keyspace.events import SILENT
from ferrite_host.keyspace.zsets import (
    ADDED,
    NAN,
    NOP,
    UPDATED,
    AddFlags,
    LexRange,
    ScoreRange,
    parse_lex_range,
)

if TYPE_CHECKING:
    from ferrite_host.keyspace import Database
    from ferrite_host.redis_module.api import Status


def _status(ok: bool) -> Status:
    """Status.OK or Status.ERR (imported late: api.py builds its key class from this mixin)."""
    from ferrite_host.redis_module.api import Status

    return Status.OK if ok else Status.ERR


class ZAddFlag(enum.IntFlag):
    """`REDISMODULE_ZADD_*`: input flags (XX, NX, GT, LT) and output flags (ADDED, UPDATED,
    NOP), with Redis's bit values."""

    NONE = 0
    XX = 1 << 0
    NX = 1 << 1
    ADDED = 1 << 2
    UPDATED = 1 << 3
    NOP = 1 << 4
    GT = 1 << 5
    LT = 1 << 6


def _add_flags(flags: int, incr: bool) -> AddFlags:
    """ZADD's option set for module flags (NX, XX, GT, LT) and incrementing."""
    options = AddFlags()
    options.nx = bool(flags & ZAddFlag.NX)
    options.xx = bool(flags & ZAddFlag.XX)
    options.gt = bool(flags & ZAddFlag.GT)
    options.lt = bool(flags & ZAddFlag.LT)
    options.incr = incr
    return options


class _RangeIterator:
    __slots__ = ("index", "span")

    def __init__(self, span: ScoreRange | LexRange, index: int | None) -> None:
        self.span = span
        self.index = index  # None once the end was reached

    def holds(self, member: bytes, score: float) -> bool:
        span = self.span
        if isinstance(span, ScoreRange):
            return span.above_min(score) and span.below_max(score)
        return span.above_min(member) and span.below_max(member)


class ZSetKeyMixin:
    """Sorted-set operations of a module key handle (see RedisModuleKey)."""

    _zrange: _RangeIterator | None = None

    if TYPE_CHECKING:  # provided by RedisModuleKey
        _db: Database
        _name: bytes

        def _value(self) -> Any: ...

        def _writable(self) -> bool: ...

    def _zset_for_write(self) -> ZSetValue | None:
        """The sorted set to write to (a new one for an empty key), None when not allowed."""
        if not self._writable():
            return None
        value = self._value()
        if value is None:
            return ZSetValue()
        return value if type(value) is ZSetValue else None

    def _zset_add(
        self, score: float, member: bytes, flags: int, incr: bool
    ) -> tuple[bool, ZAddFlag, float | None]:
        value = self._zset_for_write()
        if value is None or math.isnan(score):
            return False, ZAddFlag.NONE, None
        options = _add_flags(flags, incr)
        outcome, new_score = value.add_with(bytes(member), score, options)
        if outcome == NAN:
            return False, ZAddFlag.NONE, None
        out = {ADDED: ZAddFlag.ADDED, UPDATED: ZAddFlag.UPDATED, NOP: ZAddFlag.NOP}.get(
            outcome, ZAddFlag.NONE
        )
        if outcome in (ADDED, UPDATED):
            if outcome == ADDED:
                value.note_added(bytes(member), self._db.limits)
            event = "zincr" if incr else "zadd"
            if self._db.get(self._name) is value:
                self._db.changed(self._name, event, SILENT)
            else:
                self._db.set(self._name, value, event=event, cls=SILENT)
        return True, out, None if outcome == NOP else new_score

    def zset_add(self, score: float, member: bytes, flags: int = 0) -> tuple[Status, ZAddFlag]:
        """`RedisModule_ZsetAdd`: add or update `member` with NX/XX/GT/LT `flags`.

        Returns (status, output flags: ADDED, UPDATED or NOP). ERR without WRITE, on another
        type, or for a NaN score; an empty key becomes a sorted set.
        """
        ok, out, _score = self._zset_add(score, member, flags, incr=False)
        return _status(ok), out

    def zset_incrby(
        self, increment: float, member: bytes, flags: int = 0
    ) -> tuple[Status, ZAddFlag, float | None]:
        """`RedisModule_ZsetIncrby`: add `increment` to the score (a new member starts at 0).

        Returns (status, output flags, new score or None when nothing changed). ERR when the
        result would be NaN, without WRITE, or on another type.
        """
        ok, out, score = self._zset_add(increment, member, flags, incr=True)
        return _status(ok), out, score

    def zset_rem(self, member: bytes) -> tuple[Status, bool]:
        """`RedisModule_ZsetRem`: (status, deleted). An empty key is OK, nothing deleted."""
        if not self._writable():
            return _status(False), False
        value = self._value()
        if value is None:
            return _status(True), False
        if type(value) is not ZSetValue:
            return _status(False), False
        if not value.remove(bytes(member)):
            return _status(True), False
        self._db.changed(self._name, "zrem", SILENT)
        if not value:
            self._db.delete(self._name, cls=SILENT)
        return _status(True), True

    def zset_score(self, member: bytes) -> float | None:
        """`RedisModule_ZsetScore`: the member's score, None when missing (or not a zset)."""
        value = self._value()
        if type(value) is not ZSetValue:
            return None
        return value.score(bytes(member))

    # -- range iteration -------------------------------------------------------------------

    def _zset_value(self) -> ZSetValue | None:
        value = self._value()
        return value if type(value) is ZSetValue else None

    def _start_range(self, span: ScoreRange | LexRange, lo: int, hi: int, first: bool) -> bool:
        self._zrange = _RangeIterator(span, (lo if first else hi - 1) if lo < hi else None)
        return True

    def zset_first_in_score_range(
        self, low: float, high: float, low_exclusive: bool = False, high_exclusive: bool = False
    ) -> Status:
        """Start iterating at the lowest member with a score in the range; ERR when the key
        is not a sorted set (an empty range is fine: the end is reached at once)."""
        return _status(self._score_range(low, high, low_exclusive, high_exclusive, first=True))

    def zset_last_in_score_range(
        self, low: float, high: float, low_exclusive: bool = False, high_exclusive: bool = False
    ) -> Status:
        """As `zset_first_in_score_range`, starting at the highest member in the range."""
        return _status(self._score_range(low, high, low_exclusive, high_exclusive, first=False))

    def _score_range(
        self, low: float, high: float, low_ex: bool, high_ex: bool, first: bool
    ) -> bool:
        value = self._zset_value()
        if value is None:
            return False
        span = ScoreRange(low, high, low_ex, high_ex)
        return self._start_range(span, *value.score_span(span), first)

    def zset_first_in_lex_range(self, low: bytes, high: bytes) -> Status:
        """Start iterating at the first member in a ZRANGEBYLEX range (`[a`, `(a`, `-`, `+`);
        ERR when the key is not a sorted set or the range is malformed."""
        return _status(self._lex_range(low, high, first=True))

    def zset_last_in_lex_range(self, low: bytes, high: bytes) -> Status:
        """As `zset_first_in_lex_range`, starting at the last member in the range."""
        return _status(self._lex_range(low, high, first=False))

    def _lex_range(self, low: bytes, high: bytes, first: bool) -> bool:
        value = self._zset_value()
        if value is None:
            return False
        span = parse_lex_range(bytes(low), bytes(high))
        if span is None:
            return False
        return self._start_range(span, *value.lex_span(span, reverse=not first), first)

    def zset_range_current_element(self) -> tuple[bytes, float] | None:
        """(member, score) under the iterator, None at the end or without an iterator."""
        value = self._zset_value()
        iterator = self._zrange
        if value is None or iterator is None or iterator.index is None:
            return None
        if not 0 <= iterator.index < len(value):
            return None
        return value.at(iterator.index)

    def _move(self, step: int) -> bool:
        value = self._zset_value()
        iterator = self._zrange
        if value is None or iterator is None or iterator.index is None:
            return False
        index = iterator.index + step
        if 0 <= index < len(value) and iterator.holds(*value.at(index)):
            iterator.index = index
            return True
        iterator.index = None
        return False

    def zset_range_next(self) -> bool:
        """Move to the next member in range; False (and the end is reached) when none."""
        return self._move(1)

    def zset_range_prev(self) -> bool:
        """Move to the previous member in range; False (and the end is reached) when none."""
        return self._move(-1)

    def zset_range_end_reached(self) -> bool:
        """True when the iterator is past the range (or there is none)."""
        iterator = self._zrange
        return iterator is None or iterator.index is None

    def zset_range_stop(self) -> None:
        """Forget the iterator (safe to call without one)."""
        self._zrange = None
