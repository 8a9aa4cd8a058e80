"""`Snapshots`: SAVE, BGSAVE and the save rules, and what INFO reports about them."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ferrite_host.core import events as ev
from ferrite_host.persistence.child import ChildJob, ChildResult, ExpectedFailure
from ferrite_host.persistence.errors import PersistenceError
from ferrite_host.persistence.files import snapshot_temp_name, unlink_quietly
from ferrite_host.persistence.functions import library_codes
from ferrite_host.persistence.server_events import announce_persistence
from ferrite_host.persistence.snapshot import SnapshotSaveError, save_snapshot

if TYPE_CHECKING:
    from ferrite_host.persistence.manager import Persistence

log = logging.getLogger("ferrite")

#: Seconds before a failed background save may be retried by the save rules (Redis's value).
BGSAVE_RETRY_DELAY = 5


class Snapshots:
    """The RDB side of persistence; the background child itself belongs to `Persistence`."""

    def __init__(self, owner: Persistence) -> None:
        self._owner = owner
        self.lastsave = time.time()
        self.last_save_ok = True
        self.last_bgsave_try = 0.0
        self.last_bgsave_time_sec = -1
        self.rdb_saves = 0
        self.dirty_at_fork = 0
        self.scheduled = False

    def save_now(self) -> None:
        """Write the snapshot in this process (SAVE, the final save at shutdown)."""
        owner = self._owner
        state = owner.state
        settings = state.settings
        dirty = state.dirty
        announce_persistence(state, ev.PERSISTENCE_SYNC_RDB_START)
        try:
            stats = save_snapshot(
                owner.snapshot_path,
                state.keyspace,
                settings.rdb_key_save_delay,
                settings.rdbcompression,
                library_codes(state),
                list(state.module_types.values()),
            )
        except (OSError, SnapshotSaveError) as exc:
            self.last_save_ok = False
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            log.warning("Write error saving DB on disk: %s", reason)
            announce_persistence(state, ev.PERSISTENCE_FAILED)
            raise PersistenceError(f"Error saving the snapshot: {reason}") from None
        for warning in stats.skipped_warnings():
            log.warning("%s", warning)
        state.dirty -= dirty
        self.lastsave = time.time()
        self.last_save_ok = True
        self.rdb_saves += 1
        log.info("DB saved on disk")
        announce_persistence(state, ev.PERSISTENCE_ENDED)

    def start_background(self) -> None:
        """Fork the child that writes the snapshot (OSError when the fork fails)."""
        owner = self._owner
        state = owner.state
        path = owner.snapshot_path
        keyspace = state.keyspace
        delay = state.settings.rdb_key_save_delay
        compress = state.settings.rdbcompression
        libraries = library_codes(state)
        types = list(state.module_types.values())

        def work() -> dict[str, Any]:
            try:
                stats = save_snapshot(path, keyspace, delay, compress, libraries, types)
            except SnapshotSaveError as exc:
                raise ExpectedFailure(str(exc)) from None
            except OSError as exc:
                raise ExpectedFailure(f"Write error saving DB on disk: {exc.strerror}") from None
            for warning in stats.skipped_warnings():
                log.warning("%s", warning)
            log.info("DB saved on disk")
            return {"keys": stats.keys}

        self.dirty_at_fork = state.dirty
        self.last_bgsave_try = time.time()
        child = owner.run_child("rdb", work)
        log.info("Background saving started by pid %d", child.pid)
        announce_persistence(state, ev.PERSISTENCE_RDB_START)

    def background_done(self, child: ChildJob, result: ChildResult) -> None:
        self.last_bgsave_time_sec = int(child.elapsed())
        state = self._owner.state
        if result.ok:
            log.info("Background saving terminated with success")
            state.dirty = max(0, state.dirty - self.dirty_at_fork)
            self.lastsave = child.started
            self.last_save_ok = True
            self.rdb_saves += 1
            announce_persistence(state, ev.PERSISTENCE_ENDED)
            return
        log.warning("Background saving error: %s", result.error)
        self.last_save_ok = False
        unlink_quietly(self._owner.directory / snapshot_temp_name(child.pid))
        announce_persistence(state, ev.PERSISTENCE_FAILED)

    def rule_due(self) -> tuple[int, int] | None:
        """The (seconds, changes) save rule that asks for a save now, if any."""
        state = self._owner.state
        now = time.time()
        if not self.last_save_ok and now - self.last_bgsave_try <= BGSAVE_RETRY_DELAY:
            return None
        for seconds, changes in state.settings.save_rules():
            if state.dirty >= changes and now - self.lastsave > seconds:
                return seconds, changes
        return None

    def info(self, child: ChildJob | None) -> list[tuple[str, object]]:
        running = child is not None and child.kind == "rdb"
        return [
            ("rdb_changes_since_last_save", self._owner.state.dirty),
            ("rdb_bgsave_in_progress", int(running)),
            ("rdb_last_save_time", int(self.lastsave)),
            ("rdb_last_bgsave_status", "ok" if self.last_save_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_time_sec),
            ("rdb_current_bgsave_time_sec", int(child.elapsed()) if running and child else -1),
            ("rdb_saves", self.rdb_saves),
            ("rdb_last_cow_size", 0),
        ]
