"""All databases, and the one stream of change events everything else subscribes to."""

from __future__ import annotations

import time
from collections.abc import Callable

from ferrite_host.keyspace.access import AccessClock
from ferrite_host.keyspace.database import Database
from ferrite_host.keyspace.events import SILENT
from ferrite_host.keyspace.limits import EncodingLimits

#: (db index, key or None for whole-db events, Redis event name, notification class) -> None
ChangeListener = Callable[[int, "bytes | None", str, str], None]
#: (db index, key): a reading lookup found nothing (keyspace notifications' `keymiss`).
MissListener = Callable[[int, bytes], None]


class Keyspace:
    def __init__(self, databases: int = 16) -> None:
        self.listeners: list[ChangeListener] = []
        #: Thresholds that decide OBJECT ENCODING (CONFIG SET keeps them current).
        self.limits = EncodingLimits()
        #: Bytes the keys, values and expiry entries of every database take: kept current
        #: by the mutators (the dataset part of INFO's used_memory).
        self.used_bytes = 0
        #: Time and LFU parameters for the keys' access fields.
        self.access = AccessClock()
        self.dbs = [Database(index, self) for index in range(databases)]
        self.active_expire_enabled = True
        #: True while persistence loads data: keys are not expired (an AOF replays against the
        #: dataset as it was when each command ran), as Redis does while loading.
        self.loading = False
        #: True during CLIENT PAUSE: keys past their time read as missing but are not
        #: deleted (no expiry reaches the append-only file), as Redis does while paused.
        self.expiry_paused = False
        #: Lookups by reading commands that found / did not find their key (INFO stats).
        self.hits = 0
        self.misses = 0
        #: Told of every counted miss; not a change, so not on the change stream.
        self.miss_listeners: list[MissListener] = []

    def __getitem__(self, index: int) -> Database:
        return self.dbs[index]

    def __len__(self) -> int:
        return len(self.dbs)

    def subscribe(self, listener: ChangeListener) -> None:
        self.listeners.append(listener)

    def unsubscribe(self, listener: ChangeListener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def emit(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        for listener in self.listeners:
            listener(db, key, event, cls)

    def flushall(self) -> int:
        return sum(db.flush() for db in self.dbs)

    def swap(self, first: int, second: int) -> None:
        self.dbs[first].swap_contents(self.dbs[second])
        self.emit(first, None, "swapdb", SILENT)
        self.emit(second, None, "swapdb", SILENT)

    def key_count(self) -> int:
        return sum(len(db) for db in self.dbs)

    def active_expire_cycle(self, budget_seconds: float) -> None:
        """One time-bounded pass of active expiry over every database."""
        if not self.active_expire_enabled or self.loading or self.expiry_paused:
            return
        deadline = time.perf_counter() + budget_seconds
        for db in self.dbs:
            if db.active_expire(deadline):
                return
