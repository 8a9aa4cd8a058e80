"""Per-key access tracking for LRU and LFU eviction, in Redis's 24-bit field.

Redis keeps 24 bits per object: under an LRU policy the clock (seconds, wrapping at 2^24)
of the last access; under an LFU policy the last decrement time in minutes (16 bits) and a
logarithmic access counter (8 bits). Ferrite keeps the same small int per key, and reads it
according to the policy in force, so switching policies at run time misreads old fields for
a while exactly as Redis does.
"""

from __future__ import annotations

import random
import time

LRU_CLOCK_MAX = (1 << 24) - 1
#: Milliseconds per LRU clock tick.
LRU_CLOCK_RESOLUTION = 1000
#: The counter a new key starts with, so it is not evicted before it had a chance.
LFU_INIT_VAL = 5
_LFU_MINUTES_MAX = 65535


def lru_clock() -> int:
    """Redis's LRU_CLOCK(): seconds, wrapping at 24 bits."""
    return int(time.time() * 1000) // LRU_CLOCK_RESOLUTION & LRU_CLOCK_MAX


def lfu_minutes() -> int:
    """Redis's LFUGetTimeInMinutes(): minutes, wrapping at 16 bits."""
    return int(time.time()) // 60 & _LFU_MINUTES_MAX


def idle_ms(field: int, clock: int) -> int:
    """Milliseconds since the access an LRU field records (estimateObjectIdleTime)."""
    if clock >= field:
        return (clock - field) * LRU_CLOCK_RESOLUTION
    return (clock + (LRU_CLOCK_MAX - field)) * LRU_CLOCK_RESOLUTION


def lru_field_for_idle(idle: int, clock: int) -> int:
    """The LRU field of a key last used `idle` milliseconds ago (RESTORE IDLETIME,
    RM_SetLRU)."""
    absolute = clock - idle // LRU_CLOCK_RESOLUTION
    return absolute + LRU_CLOCK_MAX if absolute < 0 else absolute


def lfu_counter(field: int, minutes: int, decay_time: int) -> int:
    """The LFU counter after the decay due since the field was written (LFUDecrAndReturn)."""
    counter = field & 255
    if not decay_time:
        return counter
    last = field >> 8
    elapsed = minutes - last if minutes >= last else _LFU_MINUTES_MAX - last + minutes
    periods = elapsed // decay_time
    if not periods:
        return counter
    return 0 if periods > counter else counter - periods


def lfu_increment(counter: int, log_factor: int) -> int:
    """One access: the counter grows with probability 1/((counter-5)*factor+1)."""
    if counter == 255:
        return 255
    base = max(counter - LFU_INIT_VAL, 0)
    if random.random() < 1.0 / (base * log_factor + 1):
        return counter + 1
    return counter


def lfu_field(minutes: int, counter: int) -> int:
    return (minutes << 8) | counter


class AccessClock:
    """The keyspace's view of time for access fields, refreshed by the server cron (as
    Redis caches its LRU clock) and of the LFU parameters CONFIG SET keeps current."""

    __slots__ = ("clock", "decay_time", "lfu", "log_factor", "minutes")

    def __init__(self) -> None:
        #: True under an LFU maxmemory policy: accesses bump counters instead of clocks.
        self.lfu = False
        self.clock = lru_clock()
        self.minutes = lfu_minutes()
        self.log_factor = 10
        self.decay_time = 1

    def refresh(self) -> None:
        self.clock = lru_clock()
        self.minutes = lfu_minutes()

    def fresh_field(self) -> int:
        """The field of a key just created."""
        return lfu_field(self.minutes, LFU_INIT_VAL) if self.lfu else self.clock

    def touched(self, field: int) -> int:
        """The field after one more access (Redis's updateLFU, or the LRU clock)."""
        if not self.lfu:
            return self.clock
        counter = lfu_counter(field, self.minutes, self.decay_time)
        return lfu_field(self.minutes, lfu_increment(counter, self.log_factor))

    def idle_ms(self, field: int) -> int:
        """Idle time by the cached clock, the one accesses are stamped with (as Redis
        reads server.lruclock for both), so a key just used reads 0."""
        return idle_ms(field, self.clock)

    def frequency(self, field: int) -> int:
        return lfu_counter(field, self.minutes, self.decay_time)

    def field_for(self, idle: int | None, freq: int | None) -> int | None:
        """The field for an idle time (ms) or a frequency, whichever the policy tracks;
        None when the policy tracks the other one (Redis's objectSetLRUOrLFU)."""
        if self.lfu:
            return None if freq is None else lfu_field(self.minutes, freq)
        return None if idle is None else lru_field_for_idle(idle, self.clock)

    def eviction_score(self, field: int) -> int:
        """Higher means a better eviction candidate: idle time, or 255 - frequency."""
        if self.lfu:
            return 255 - lfu_counter(field, self.minutes, self.decay_time)
        return idle_ms(field, self.clock)
