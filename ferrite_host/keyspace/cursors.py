"""Cursors for HSCAN-style iteration over one big container, without an ordered index.

A scan over a container takes a snapshot of its members when it begins; the cursor names the
(snapshot, position) pair, so every member present for the whole scan is returned, as Redis
guarantees. Members removed meanwhile are skipped by the caller's membership test. Only the
last few snapshots are kept; an unknown cursor starts a fresh one at the given position.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from typing import Any

_KEPT = 32


class ScanCursors:
    def __init__(self) -> None:
        self._snapshots: dict[int, tuple[Sized, list[Any]]] = {}
        self._next = 1

    def step(
        self,
        container: Any,
        members: Callable[[], list[Any]],
        cursor: int,
        count: int,
    ) -> tuple[int, list[Any]]:
        """Up to `count` snapshot members from `cursor` on, and the next cursor (0: done)."""
        snap_id, pos = divmod(cursor, 1 << 32)
        entry = self._snapshots.get(snap_id) if cursor else None
        if entry is None or entry[0] is not container:
            if not snap_id:
                pos = cursor
            snap_id = self._next
            self._next += 1
            entry = (container, members())
            self._snapshots[snap_id] = entry
            while len(self._snapshots) > _KEPT:
                del self._snapshots[next(iter(self._snapshots))]
        snapshot = entry[1]
        end = min(pos + max(count, 1), len(snapshot))
        batch = snapshot[pos:end]
        if end >= len(snapshot):
            self._snapshots.pop(snap_id, None)
            return 0, batch
        return (snap_id << 32) + end, batch


#: One registry for the whole process: cursors are only meaningful to the server that made them.
SCANS = ScanCursors()
