"""WATCH bookkeeping: which clients watch which keys, invalidated by keyspace events."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.keyspace import Keyspace


Slot = tuple[int, bytes]


class WatchRegistry:
    """Who watches what. A change to a watched key marks its watchers dirty; FLUSHDB,
    FLUSHALL and SWAPDB mark only watchers of keys that existed in the emptied (or either
    swapped) database, as Redis's touchAllWatchedKeysInDb does, so it remembers whether
    each watched key is stored.

    As Redis 7.0 does, a watcher that watched a key already logically expired (or saw a
    missing key replaced by an expired one through SWAPDB) is flagged: deleting that stale
    key is no logical change, and EXEC aborts only for keys that expired after WATCH."""

    def __init__(self, keyspace: Keyspace) -> None:
        self._keyspace = keyspace
        self._watchers: dict[Slot, set[Session]] = {}
        self._by_db: dict[int, set[Session]] = {}
        self._stored: dict[Slot, bool] = {}
        #: Watchers of each slot that watched it stale (Redis's watchedKey.expired).
        self._stale_watchers: dict[Slot, set[Session]] = {}
        keyspace.subscribe(self._on_change)

    def _holds(self, slot: Slot) -> bool:
        return self._keyspace.dbs[slot[0]].holds(slot[1])

    def _is_stale(self, slot: Slot) -> bool:
        return self._keyspace.dbs[slot[0]].is_stale(slot[1])

    def watch(self, session: Session, key: bytes) -> None:
        slot = (session.db_index, key)
        if slot in session.watched:
            return
        session.watched.add(slot)
        if slot not in self._watchers:
            self._stored[slot] = self._holds(slot)
        self._watchers.setdefault(slot, set()).add(session)
        self._by_db.setdefault(session.db_index, set()).add(session)
        if self._is_stale(slot):
            self._stale_watchers.setdefault(slot, set()).add(session)

    def unwatch(self, session: Session) -> None:
        for slot in session.watched:
            watchers = self._watchers.get(slot)
            if watchers is not None:
                watchers.discard(session)
                if not watchers:
                    del self._watchers[slot]
                    self._stored.pop(slot, None)
            stale = self._stale_watchers.get(slot)
            if stale is not None:
                stale.discard(session)
                if not stale:
                    del self._stale_watchers[slot]
            db_watchers = self._by_db.get(slot[0])
            if db_watchers is not None:
                db_watchers.discard(session)
                if not db_watchers:
                    del self._by_db[slot[0]]
        session.watched = set()
        session.watch_dirty = False

    def expired_since_watch(self, session: Session) -> bool:
        """EXEC's check: a watched key that was live at WATCH is now logically expired."""
        for slot in session.watched:
            if self._is_stale(slot) and session not in self._stale_watchers.get(slot, ()):
                return True
        return False

    def _on_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if not self._watchers:
            return
        if key is None:
            self._whole_db_changed(db, swapped=event == "swapdb")
            return
        slot = (db, key)
        watchers = self._watchers.get(slot)
        if watchers:
            held = self._holds(slot)
            self._stored[slot] = held
            stale = self._stale_watchers.get(slot, set())
            for session in watchers:
                if session in stale:
                    # Watched already expired: Redis's touchWatchedKey leaves the watcher
                    # clean, and forgets the flag once the stale key is gone.
                    if not held:
                        stale.discard(session)
                    continue
                session.watch_dirty = True

    def _whole_db_changed(self, db: int, swapped: bool) -> None:
        """After a flush (the db is now empty) or a swap (it holds the other db's keys)."""
        slots = {slot for session in self._by_db.get(db, ()) for slot in session.watched}
        for slot in slots:
            if slot[0] != db:
                continue
            existed = self._stored.get(slot, False)
            held_now = self._holds(slot)
            if existed or (swapped and held_now):
                self._touch_whole_db_watchers(slot, existed, held_now)
            self._stored[slot] = held_now

    def _touch_whole_db_watchers(self, slot: Slot, existed: bool, held_now: bool) -> None:
        stale_now = held_now and self._is_stale(slot)
        stale = self._stale_watchers.setdefault(slot, set())
        for session in self._watchers.get(slot, ()):
            if session in stale:
                if not held_now:
                    stale.discard(session)  # the stale key is gone: no logical change
                    continue
                if stale_now:
                    continue  # a stale key replaced by another stale key
            elif not existed and stale_now:
                stale.add(session)  # a missing key replaced by a stale one
                continue
            session.watch_dirty = True
        if not stale:
            del self._stale_watchers[slot]
