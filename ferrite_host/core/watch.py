"""WATCH bookkeeping: which clients watch which keys, invalidated by keyspace events."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.keyspace import Keyspace


class WatchRegistry:
    def __init__(self, keyspace: Keyspace) -> None:
        self._watchers: dict[tuple[int, bytes], set[Session]] = {}
        self._by_db: dict[int, set[Session]] = {}
        keyspace.subscribe(self._on_change)

    def watch(self, session: Session, key: bytes) -> None:
        slot = (session.db_index, key)
        if slot in session.watched:
            return
        session.watched.add(slot)
        self._watchers.setdefault(slot, set()).add(session)
        self._by_db.setdefault(session.db_index, set()).add(session)

    def unwatch(self, session: Session) -> None:
        for slot in session.watched:
            watchers = self._watchers.get(slot)
            if watchers is not None:
                watchers.discard(session)
                if not watchers:
                    del self._watchers[slot]
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
            for session in self._by_db.get(db, ()):
                session.watch_dirty = True
            return
        for session in self._watchers.get((db, key), ()):
            session.watch_dirty = True
