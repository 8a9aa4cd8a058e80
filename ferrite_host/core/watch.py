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
    each watched key is stored."""

    def __init__(self, keyspace: Keyspace) -> None:
        self._keyspace = keyspace
        self._watchers: dict[Slot, set[Session]] = {}
        self._by_db: dict[int, set[Session]] = {}
        self._stored: dict[Slot, bool] = {}
        keyspace.subscribe(self._on_change)

    def _holds(self, slot: Slot) -> bool:
        return self._keyspace.dbs[slot[0]].holds(slot[1])

    def watch(self, session: Session, key: bytes) -> None:
        slot = (session.db_index, key)
        if slot in session.watched:
            return
        session.watched.add(slot)
        if slot not in self._watchers:
            self._stored[slot] = self._holds(slot)
        self._watchers.setdefault(slot, set()).add(session)
        self._by_db.setdefault(session.db_index, set()).add(session)

    def unwatch(self, session: Session) -> None:
        for slot in session.watched:
            watchers = self._watchers.get(slot)
            if watchers is not None:
                watchers.discard(session)
                if not watchers:
                    del self._watchers[slot]
                    self._stored.pop(slot, None)
            db_watchers = self._by_db.get(slot[0])
            if db_watchers is not None:
                db_watchers.discard(session)
                if not db_watchers:
                    del self._by_db[slot[0]]
        session.watched = set()
        session.watch_dirty = False

    def _on_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if not self._watchers:
            return
        if key is None:
            self._whole_db_changed(db, swapped=event == "swapdb")
            return
        slot = (db, key)
        watchers = self._watchers.get(slot)
        if watchers:
            self._stored[slot] = self._holds(slot)
            for session in watchers:
                session.watch_dirty = True

    def _whole_db_changed(self, db: int, swapped: bool) -> None:
        """After a flush (the db is now empty) or a swap (it holds the other db's keys)."""
        slots = {slot for session in self._by_db.get(db, ()) for slot in session.watched}
        for slot in slots:
            if slot[0] != db:
                continue
            stored_now = self._holds(slot)
            if self._stored.get(slot, False) or (swapped and stored_now):
                for session in self._watchers.get(slot, ()):
                    session.watch_dirty = True
            self._stored[slot] = stored_now
