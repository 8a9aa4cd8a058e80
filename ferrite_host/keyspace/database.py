"""One numbered database: keys, values and expiry times.

Values live in one dict and absolute expiry times (Unix ms) in a second one, as Redis keeps
them. Every change goes through the few mutators here so that each emits exactly one change
event; nothing else writes to `_data` or `_expires`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from ferrite_host.keyspace.events import EXPIRED, GENERIC, NEW, SILENT, STRING
from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.values import TypedValue, Value, release

if TYPE_CHECKING:
    from ferrite_host.keyspace.keyspace import Keyspace

_SCAN_SNAPSHOTS = 32


def now_ms() -> int:
    return int(time.time() * 1000)


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
        """`get` for commands that read the key: counts a keyspace hit or miss for INFO."""
        value = self.get(key)
        if value is None:
            keyspace = self._keyspace
            keyspace.misses += 1
            if keyspace.miss_listeners:
                for listener in tuple(keyspace.miss_listeners):
                    listener(self.index, key)
        else:
            self._keyspace.hits += 1
        return value

    def exists(self, key: bytes) -> bool:
        return self.get(key) is not None

    def holds(self, key: bytes) -> bool:
        """Whether `key` is stored, logically expired or not, without expiring it (what
        Redis's dictFind sees; for listeners that must not change the keyspace)."""
        return key in self._data

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
        old = self._data.get(key)
        self._data[key] = value
        if not keep_ttl and self._expires:
            self._expires.pop(key, None)
        if old is None:
            self._keyspace.emit(self.index, key, "new", NEW)
        elif type(old) is TypedValue and old is not value:
            release(old)
        self._keyspace.emit(self.index, key, event, cls)

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
        self._data[key] = value
        if expire_at is None:
            self._expires.pop(key, None)
        else:
            self._expires[key] = expire_at
        if old is None:
            self._keyspace.emit(self.index, key, "new", NEW)
        elif type(old) is TypedValue and old is not value:
            release(old)
        self._keyspace.emit(self.index, key, event, cls)

    def changed(self, key: bytes, event: str, cls: str) -> None:
        """Record that the value at `key` was changed in place (a list push, a hash field).

        Handlers that edit a stored container call this once per Redis notification.
        """
        self._keyspace.emit(self.index, key, event, cls)

    def unshare_string(self, key: bytes) -> None:
        """Make the stored string at `key` an editable bytearray, as Redis's
        dbUnshareStringValue does before SETBIT, SETRANGE and APPEND look at it: OBJECT
        ENCODING then says "raw", and since the bytes are the same, no event is sent."""
        value = self._data.get(key)
        if type(value) is bytes:
            self._data[key] = bytearray(value)

    def touch_value(self, key: bytes) -> None:
        """A module changed a value in place: WATCH and the dirty counter see it; Redis
        sends no keyspace notification for it (modules notify themselves)."""
        self._keyspace.emit(self.index, key, "set", SILENT)

    def delete(self, key: bytes, event: str = "del", cls: str = GENERIC) -> bool:
        if self.get(key) is None:
            return False
        value = self._data.pop(key)
        self._expires.pop(key, None)
        release(value)
        self._keyspace.emit(self.index, key, event, cls)
        return True

    def take(
        self, key: bytes, event: str = "del", cls: str = GENERIC
    ) -> tuple[Value, int | None] | None:
        """Remove a key without freeing its value, to put it elsewhere (RENAME, MOVE)."""
        value = self.get(key)
        if value is None:
            return None
        del self._data[key]
        expire_at = self._expires.pop(key, None)
        self._keyspace.emit(self.index, key, event, cls)
        return value, expire_at

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
        value = self._data.pop(key)
        expire_at = self._expires.pop(key, None)
        old = target._data.get(new_key)
        target._data[new_key] = value
        if expire_at is None:
            target._expires.pop(new_key, None)
        else:
            target._expires[new_key] = expire_at
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
        self._expires[key] = when_ms
        self._keyspace.emit(self.index, key, "expire", cls)
        return True

    def persist(self, key: bytes, cls: str = GENERIC) -> bool:
        if self.get(key) is None or self._expires.pop(key, None) is None:
            return False
        self._keyspace.emit(self.index, key, "persist", cls)
        return True

    def flush(self) -> int:
        removed = len(self._data)
        data = self._data
        self._data, self._expires, self._scans = {}, {}, {}
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

    # -- expiry ------------------------------------------------------------------------------

    def _expire_if_due(self, key: bytes) -> bool:
        if self._expires[key] > now_ms() or self._keyspace.loading:
            return False
        self._expire_key(key)
        return True

    def _expire_key(self, key: bytes) -> None:
        value = self._data.pop(key)
        self._expires.pop(key, None)
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
