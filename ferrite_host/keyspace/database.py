"""One numbered database: keys, values and expiry times.

Values live in one dict and absolute expiry times (Unix ms) in a second one, as Redis keeps
them. Every change goes through the few mutators here so that each emits exactly one change
event; nothing else writes to `_data` or `_expires`. The mutators also keep the keyspace's
running memory total (`Keyspace.used_bytes`) and each key's 24-bit access field (LRU clock
or LFU counter, as Redis keeps in every object) current.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from ferrite_host.keyspace.events import (
    EVICTED,
    EXPIRED,
    GENERIC,
    NEW,
    SIGNAL_MODIFIED,
    SILENT,
    STRING,
)
from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.memory import BYTES_HEADER, expire_size, key_size, value_size
from ferrite_host.keyspace.values import TypedValue, Value, release

if TYPE_CHECKING:
    from ferrite_host.keyspace.access import AccessClock
    from ferrite_host.keyspace.keyspace import Keyspace

_SCAN_SNAPSHOTS = 32


def now_ms() -> int:
    return int(time.time() * 1000)


def _draw(pool: list[bytes], source: dict[bytes, object], count: int) -> list[bytes]:
    """Up to `count` random names from `pool` still in `source`, in 2 * count + 2 draws."""
    picks: list[bytes] = []
    size = len(pool)
    if not size:
        return picks
    rand = random.random
    for _ in range(2 * count + 2):
        key = pool[int(rand() * size)]
        if key in source:
            picks.append(key)
            if len(picks) == count:
                break
    return picks


class Database:
    def __init__(self, index: int, keyspace: Keyspace) -> None:
        self.index = index
        self._keyspace = keyspace
        self._data: dict[bytes, Value] = {}
        self._expires: dict[bytes, int] = {}
        self._expire_cursor: list[bytes] = []
        self._scans: dict[int, list[bytes]] = {}
        self._next_scan = 1
        self.expired_count = 0
        #: Bytes counted for each value that is not a plain `bytes` (containers, module
        #: values, DMA strings): what to take off the total when it changes or goes.
        self._sizes: dict[bytes, int] = {}
        #: Each key's access field (see keyspace.access), and the keyspace's clock for them.
        self._access: dict[bytes, int] = {}
        self._clock = keyspace.access
        #: Key-name snapshots eviction samples from (all keys / keys with a TTL).
        self._sample_pools: dict[bool, list[bytes]] = {False: [], True: []}

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: bytes) -> Value | None:
        """The live value of `key`; an expired key is removed and reads as missing."""
        value = self._data.get(key)
        if (
            value is not None
            and self._expires
            and key in self._expires
            and self._expire_if_due(key)
        ):
            return None
        return value

    def read(self, key: bytes) -> Value | None:
        """`get` for commands that read the key: counts a keyspace hit or miss for INFO and
        stamps the key's access field (Redis's lookupKeyRead)."""
        value = self.get(key)
        if value is None:
            self._missed(key)
        else:
            self._keyspace.hits += 1
            clock = self._clock
            if clock.lfu:
                self._access[key] = clock.touched(self._access.get(key, 0))
            else:
                self._access[key] = clock.clock
        return value

    def read_untouched(self, key: bytes, notify_miss: bool = True) -> Value | None:
        """`read` that leaves the access field alone (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE,
        OBJECT); OBJECT also sends no `keymiss` notification (`notify_miss=False`)."""
        value = self.get(key)
        if value is None:
            if notify_miss:
                self._missed(key)
            else:
                self._keyspace.misses += 1
        else:
            self._keyspace.hits += 1
        return value

    def _missed(self, key: bytes) -> None:
        keyspace = self._keyspace
        keyspace.misses += 1
        if keyspace.miss_listeners:
            for listener in tuple(keyspace.miss_listeners):
                listener(self.index, key)

    def access_field(self, key: bytes) -> int | None:
        """The key's 24-bit LRU/LFU field (None when the key is missing)."""
        if self.get(key) is None:
            return None
        return self._access.get(key, 0)

    def access_clock(self) -> AccessClock:
        """How access fields are read now (LRU or LFU, and the LFU parameters)."""
        return self._clock

    def raw_access_field(self, key: bytes) -> int:
        """The access field without a lookup (eviction sampling must not expire keys)."""
        return self._access.get(key, 0)

    def set_access_field(self, key: bytes, field: int) -> bool:
        """Overwrite the key's access field (RESTORE IDLETIME/FREQ, RM_SetLRU/SetLFU)."""
        if self.get(key) is None:
            return False
        self._access[key] = field
        return True

    def sample_keys(self, count: int, volatile: bool) -> list[bytes]:
        """Up to `count` random keys (with a TTL when `volatile`), for eviction.

        Python dicts cannot pick a random entry, so picks come from a snapshot of the key
        names, rebuilt when too many of its names are gone or the keys outgrew it: O(1)
        per pick, amortised.
        """
        source: dict[bytes, object] = self._expires if volatile else self._data  # type: ignore[assignment]
        if not source:
            return []
        pool = self._sample_pools[volatile]
        if len(source) > 2 * len(pool) + 16:
            pool = self._rebuild_sample_pool(volatile)
        picks = _draw(pool, source, count)
        if 2 * len(picks) < count + 1:  # mostly names of keys gone since: a new snapshot
            picks = _draw(self._rebuild_sample_pool(volatile), source, count)
        return picks

    def _rebuild_sample_pool(self, volatile: bool) -> list[bytes]:
        pool = list(self._expires if volatile else self._data)
        self._sample_pools[volatile] = pool
        return pool

    def exists(self, key: bytes) -> bool:
        return self.get(key) is not None

    def holds(self, key: bytes) -> bool:
        """Whether `key` is stored, logically expired or not, without expiring it (what
        Redis's dictFind sees; for listeners that must not change the keyspace)."""
        return key in self._data

    def is_stale(self, key: bytes) -> bool:
        """Whether `key` is stored but logically expired, without expiring it (Redis's
        keyIsExpired; never while loading)."""
        when = self._expires.get(key)
        return when is not None and when <= now_ms() and not self._keyspace.loading

    @property
    def limits(self) -> EncodingLimits:
        """The keyspace's encoding thresholds, for handlers that grow a value."""
        return self._keyspace.limits

    def get_expire(self, key: bytes) -> int | None:
        """Absolute expiry in Unix ms, or None for a persistent (or missing) key."""
        return self._expires.get(key)

    def __len__(self) -> int:
        return len(self._data)

    def expires_count(self) -> int:
        return len(self._expires)

    def keys(self) -> Iterator[bytes]:
        """Every live key; expired ones met on the way are removed."""
        now = now_ms()
        for key in list(self._data):
            when = self._expires.get(key)
            if when is not None and when <= now and not self._keyspace.loading:
                if not self._keyspace.expiry_paused:
                    self._expire_key(key)
                continue
            yield key

    def items(self) -> Iterator[tuple[bytes, Value, int | None]]:
        """Every live (key, value, expiry) for snapshots and rewrites; skips expired keys."""
        now = now_ms()
        expires = self._expires
        for key, value in list(self._data.items()):
            when = expires.get(key)
            if when is not None and when <= now:
                continue
            yield key, value, when

    def random_key(self) -> bytes | None:
        for _ in range(100):
            if not self._data:
                return None
            key = next(islice(iter(self._data), random.randrange(len(self._data)), None))
            if self.get(key) is not None:
                return key
        return None

    def scan(
        self, cursor: int, count: int, accept: Callable[[bytes], bool]
    ) -> tuple[int, list[bytes]]:
        """One SCAN step over a snapshot of the key names taken when the scan began.

        A snapshot gives Redis's guarantee (every key present for the whole scan is returned)
        without an ordered index; cursors name (snapshot, position) pairs.
        """
        snap_id, pos = divmod(cursor, 1 << 32)
        keys = self._scans.get(snap_id) if cursor else None
        if keys is None:
            if cursor and snap_id:
                pos = 0
            snap_id = self._next_scan
            self._next_scan += 1
            keys = list(self._data)
            self._scans[snap_id] = keys
            while len(self._scans) > _SCAN_SNAPSHOTS:
                del self._scans[next(iter(self._scans))]
        found: list[bytes] = []
        end = min(pos + max(count, 1), len(keys))
        for key in keys[pos:end]:
            if self.get(key) is not None and accept(key):
                found.append(key)
        if end >= len(keys):
            self._scans.pop(snap_id, None)
            return 0, found
        return (snap_id << 32) + end, found

    # -- writes ------------------------------------------------------------------------------

    def set(
        self,
        key: bytes,
        value: Value,
        keep_ttl: bool = False,
        event: str = "set",
        cls: str = STRING,
    ) -> None:
        """Store `value`, replacing any old value of any type (its type frees it).

        `event`/`cls` are Redis's notification name and class for the command doing it
        (SET: "set"/"$", LPUSH creating a list: "lpush"/"l"); a new key also emits "new".
        """
        keyspace = self._keyspace
        data = self._data
        old = data.get(key)
        data[key] = value
        clock = self._clock
        if type(old) is bytes and type(value) is bytes and not clock.lfu:
            # The hot path (a string over a string): the headers cancel out.
            keyspace.used_bytes += len(value) - len(old)
            self._access[key] = clock.clock
        else:
            self._account_replacement(key, old, value)
        if not keep_ttl and self._expires and self._expires.pop(key, None) is not None:
            keyspace.used_bytes -= expire_size(key)
        if old is None:
            keyspace.emit(self.index, key, "new", NEW)
        elif type(old) is TypedValue and old is not value:
            release(old)
        keyspace.emit(self.index, key, event, cls)

    def put(
        self,
        key: bytes,
        value: Value,
        expire_at: int | None,
        event: str = "set",
        cls: str = GENERIC,
    ) -> None:
        """Store a value together with its expiry (RENAME, MOVE, COPY, RESTORE, loading)."""
        old = self._data.get(key)
        delta = key_size(key) if old is None else -self._counted_size(key, old)
        self._data[key] = value
        self._access[key] = self._clock.fresh_field()
        delta += self._measure(key, value)
        if expire_at is None:
            if self._expires.pop(key, None) is not None:
                delta -= expire_size(key)
        else:
            if key not in self._expires:
                delta += expire_size(key)
            self._expires[key] = expire_at
        self._keyspace.used_bytes += delta
        if old is None:
            self._keyspace.emit(self.index, key, "new", NEW)
        elif type(old) is TypedValue and old is not value:
            release(old)
        self._keyspace.emit(self.index, key, event, cls)

    def changed(self, key: bytes, event: str, cls: str) -> None:
        """Record that the value at `key` was changed in place (a list push, a hash field).

        Handlers that edit a stored container call this once per Redis notification.
        """
        keyspace = self._keyspace
        self._remeasure(key)
        access, clock = self._access, self._clock
        if key in access:
            access[key] = clock.touched(access[key]) if clock.lfu else clock.clock
        keyspace.emit(self.index, key, event, cls)

    def unshare_string(self, key: bytes) -> None:
        """Make the stored string at `key` an editable bytearray, as Redis's
        dbUnshareStringValue does before SETBIT, SETRANGE and APPEND look at it: OBJECT
        ENCODING then says "raw", and since the bytes are the same, no event is sent."""
        value = self._data.get(key)
        if type(value) is bytes:
            editable = self._data[key] = bytearray(value)
            self._keyspace.used_bytes += self._measure(key, editable) - len(value) - BYTES_HEADER

    def touch_value(self, key: bytes) -> None:
        """A module changed a value in place: WATCH and the dirty counter see it; Redis
        sends no keyspace notification for it (modules notify themselves)."""
        self._remeasure(key)
        self._keyspace.emit(self.index, key, "set", SILENT)

    def signal_modified(self, key: bytes) -> None:
        """Redis's signalModifiedKey without a change: WATCH and client tracking hear it,
        the dirty counter does not (a module closed a key it opened for writing)."""
        self._keyspace.emit(self.index, key, SIGNAL_MODIFIED, SILENT)

    def evict(self, key: bytes) -> bool:
        """Remove a key to free memory (maxmemory): event "evicted", class EVICTED."""
        return self.delete(key, "evicted", EVICTED)

    def delete(self, key: bytes, event: str = "del", cls: str = GENERIC) -> bool:
        if self.get(key) is None:
            return False
        value, _ = self._drop(key)
        release(value)
        self._keyspace.emit(self.index, key, event, cls)
        return True

    def take(
        self, key: bytes, event: str = "del", cls: str = GENERIC
    ) -> tuple[Value, int | None] | None:
        """Remove a key without freeing its value, to put it elsewhere (RENAME, MOVE)."""
        if self.get(key) is None:
            return None
        taken = self._drop(key)
        self._keyspace.emit(self.index, key, event, cls)
        return taken

    def relocate(
        self, key: bytes, target: Database, new_key: bytes, from_event: str, to_event: str
    ) -> bool:
        """Move a key's value and expiry to `new_key` in `target` (RENAME, MOVE), replacing
        whatever was there; False when `key` is missing.

        Redis announces the destination as "new" (it is deleted and added, even when it
        existed), then `from_event` on the source, then `to_event` on the destination.
        """
        if self.get(key) is None or (self is target and key == new_key):
            return False
        target.get(new_key)  # an expired destination announces its expiry first
        field = self._access.get(key, 0)  # the value moves with its access history
        value, expire_at = self._drop(key)
        old = target._data.get(new_key)
        if old is not None:
            target._drop(new_key)
        target._add(new_key, value, expire_at, field)
        if old is not None:
            release(old)
        emit = self._keyspace.emit
        emit(target.index, new_key, "new", NEW)
        emit(self.index, key, from_event, GENERIC)
        emit(target.index, new_key, to_event, GENERIC)
        return True

    def set_expire(self, key: bytes, when_ms: int, cls: str = GENERIC) -> bool:
        """Set an absolute expiry ("expire"); a time already past deletes the key ("del"),
        as Redis does. Module writes pass SILENT: Redis does not announce them."""
        if self.get(key) is None:
            return False
        if when_ms <= now_ms() and not self._keyspace.loading:
            self.delete(key, cls=cls)
            return True
        if key not in self._expires:
            self._keyspace.used_bytes += expire_size(key)
        self._expires[key] = when_ms
        self._keyspace.emit(self.index, key, "expire", cls)
        return True

    def persist(self, key: bytes, cls: str = GENERIC) -> bool:
        if self.get(key) is None or self._expires.pop(key, None) is None:
            return False
        self._keyspace.used_bytes -= expire_size(key)
        self._keyspace.emit(self.index, key, "persist", cls)
        return True

    def flush(self) -> int:
        removed = len(self._data)
        data = self._data
        self._keyspace.used_bytes -= self.counted_bytes()
        self._data, self._expires, self._scans = {}, {}, {}
        self._sizes, self._access = {}, {}
        self._sample_pools = {False: [], True: []}
        self._expire_cursor = []
        for value in data.values():
            release(value)
        self._keyspace.emit(self.index, None, "flushdb", SILENT)
        return removed

    def swap_contents(self, other: Database) -> None:
        self._data, other._data = other._data, self._data
        self._expires, other._expires = other._expires, self._expires
        self._scans, other._scans = {}, {}
        self._expire_cursor, other._expire_cursor = [], []
        self._sizes, other._sizes = other._sizes, self._sizes
        self._access, other._access = other._access, self._access
        self._sample_pools, other._sample_pools = other._sample_pools, self._sample_pools

    # -- memory accounting -------------------------------------------------------------------

    def counted_bytes(self) -> int:
        """What this database adds to the keyspace's running total (a full pass: FLUSHDB
        and checks only)."""
        total = sum(key_size(key) for key in self._data) + sum(self._sizes.values())
        total += sum(len(v) + BYTES_HEADER for v in self._data.values() if type(v) is bytes)
        return total + sum(expire_size(key) for key in self._expires)

    def _account_replacement(self, key: bytes, old: Value | None, value: Value) -> None:
        """Count `value` now stored at `key` instead of `old` (None: a new key), and stamp
        its access field (under LFU an overwritten value keeps its counter, as in Redis)."""
        clock = self._clock
        if old is None:
            delta = key_size(key)
            self._access[key] = clock.fresh_field()
        else:
            delta = -self._counted_size(key, old)
            if clock.lfu:
                self._access[key] = clock.touched(self._access.get(key, 0))
            else:
                self._access[key] = clock.clock
        self._keyspace.used_bytes += delta + self._measure(key, value)

    def _counted_size(self, key: bytes, value: Value) -> int:
        """The bytes counted for `value` at `key` (forgotten: the caller replaces it)."""
        if type(value) is bytes:
            return len(value) + BYTES_HEADER
        return self._sizes.pop(key, 0)

    def _measure(self, key: bytes, value: Value) -> int:
        if type(value) is bytes:
            return len(value) + BYTES_HEADER
        size = value_size(value)
        self._sizes[key] = size
        return size

    def _remeasure(self, key: bytes) -> None:
        """A value changed in place: count its new size instead of the old one."""
        value = self._data.get(key)
        if value is not None and type(value) is not bytes:
            old = self._sizes.get(key, 0)
            self._keyspace.used_bytes += self._measure(key, value) - old

    def _drop(self, key: bytes) -> tuple[Value, int | None]:
        """Remove a key's value, expiry and access field and take them off the total."""
        value = self._data.pop(key)
        expire_at = self._expires.pop(key, None)
        self._access.pop(key, None)
        size = key_size(key) + self._counted_size(key, value)
        if expire_at is not None:
            size += expire_size(key)
        self._keyspace.used_bytes -= size
        return value, expire_at

    def _add(self, key: bytes, value: Value, expire_at: int | None, field: int) -> None:
        """Store a key known to be absent, counting it (the other half of `_drop`)."""
        self._data[key] = value
        self._access[key] = field
        size = key_size(key) + self._measure(key, value)
        if expire_at is not None:
            self._expires[key] = expire_at
            size += expire_size(key)
        self._keyspace.used_bytes += size

    # -- expiry ------------------------------------------------------------------------------

    def _expire_if_due(self, key: bytes) -> bool:
        keyspace = self._keyspace
        if self._expires[key] > now_ms() or keyspace.loading:
            return False
        if not keyspace.expiry_paused:
            self._expire_key(key)
        return True

    def _expire_key(self, key: bytes) -> None:
        value, _ = self._drop(key)
        self.expired_count += 1
        release(value)
        self._keyspace.emit(self.index, key, "expired", EXPIRED)

    def active_expire(self, deadline: float, sample: int = 20) -> bool:
        """Remove expired keys until `deadline` (perf_counter); True if it ran out of time.

        Walks a snapshot of the keys with a TTL in slices of `sample`, refreshed once used
        up, so every volatile key is visited without scanning everything in one tick.
        """
        while self._expires:
            if not self._expire_cursor:
                self._expire_cursor = list(self._expires)
            batch = self._expire_cursor[-sample:]
            del self._expire_cursor[-sample:]
            now = now_ms()
            expired = 0
            for key in batch:
                when = self._expires.get(key)
                if when is not None and when <= now:
                    self._expire_key(key)
                    expired += 1
            if time.perf_counter() >= deadline:
                return True
            if expired * 4 <= len(batch):
                return False
        return False
