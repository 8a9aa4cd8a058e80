"""`Persistence`: loads the data at start-up and keeps it on disk while the server runs.

It plugs into the server only through the seams the state offers: a propagation sink (the
append-only file), a cron hook (save rules, everysec fsync, automatic rewrites, reaping
background children), a shutdown hook (final save, AOF fsync) and the `persistence` INFO
section. The work is shared by three collaborators it owns, one noun each: the `Loader`
(snapshot or AOF into the keyspace), `Snapshots` (SAVE, BGSAVE, save rules) and `AppendOnly`
(appending, fsync, rewrites). It keeps what they share: the paths and the one background
child (a forked save or rewrite, so clients never wait for them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ferrite_host.core.errors import StartupError
from ferrite_host.core.hookspecs import InfoProvider, hookimpl
from ferrite_host.persistence.appendonly import AppendOnly
from ferrite_host.persistence.child import ChildJob, start_child
from ferrite_host.persistence.errors import PersistenceError
from ferrite_host.persistence.files import (
    remove_stale_temp_files,
    rewrite_temp_name,
    snapshot_temp_name,
    unlink_quietly,
)
from ferrite_host.persistence.loader import Loader
from ferrite_host.persistence.snapshots import Snapshots

if TYPE_CHECKING:
    from ferrite_host.core.config import Settings
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

__all__ = ["Persistence", "PersistenceError"]


class Persistence:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.child: ChildJob | None = None
        self.loader = Loader(state)
        self.snapshots = Snapshots(self)
        self.appendonly = AppendOnly(self)

    # -- wiring ------------------------------------------------------------------------------

    @classmethod
    def attach(cls, state: ServerState) -> Persistence:
        """Load the data on disk into `state` and hook persistence into the running server.

        Raises StartupError (one line: file, offset, what was wrong) when the data on disk
        cannot be loaded completely; the server must then not start.
        """
        self = cls(state)
        state.subsystems.install(self)
        directory = self.directory
        if not directory.is_dir():
            raise StartupError(
                f"Can't use directory '{directory}' for persistence: it does not exist or is not a "
                "directory. Create it or change 'dir'."
            )
        remove_stale_temp_files(directory)
        self.load_at_startup()
        state.hooks.register(_PersistenceHooks(self), name="persistence")
        state.propagation_sinks.append(self.appendonly.propagate)
        return self

    @classmethod
    def of(cls, state: ServerState) -> Persistence | None:
        """The persistence attached to `state`, if any (an in-memory server has none)."""
        return state.subsystems.get(cls)

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def directory(self) -> Path:
        return Path(self.settings.dir)

    @property
    def snapshot_path(self) -> Path:
        return self.directory / self.settings.dbfilename

    @property
    def aof_path(self) -> Path:
        return self.directory / self.settings.appendfilename

    @property
    def loading(self) -> bool:
        return self.loader.loading

    @property
    def lastsave(self) -> float:
        """When the last successful save finished (LASTSAVE, the save rules' clock)."""
        return self.snapshots.lastsave

    @lastsave.setter
    def lastsave(self, when: float) -> None:
        self.snapshots.lastsave = when

    # -- loading -----------------------------------------------------------------------------

    def load_at_startup(self) -> None:
        """AOF when `appendonly yes` and the file exists (as Redis), else the snapshot."""
        start = time.monotonic()
        if self.settings.appendonly:
            if self.aof_path.exists():
                self.loader.load_aof(self.aof_path)
            else:
                if self._load_snapshot_at_startup():
                    log.info(
                        "No append only file yet: loaded the snapshot %s and writing %s from it",
                        self.snapshot_path,
                        self.aof_path,
                    )
                self.appendonly.create_from_memory()
            self.appendonly.open()
        elif self._load_snapshot_at_startup():
            log.info("DB loaded from disk: %.3f seconds", time.monotonic() - start)
        self.state.dirty = 0

    def _load_snapshot_at_startup(self) -> bool:
        try:
            return self.loader.load_snapshot(self.snapshot_path)
        except PersistenceError as exc:
            raise StartupError(exc.detail) from None

    def load_snapshot(self, path: Path, flush: bool = False) -> bool:
        """Load `path` into the keyspace: all of it or (raising PersistenceError) none of it."""
        return self.loader.load_snapshot(path, flush)

    def debug_reload(self, save: bool = True, flush: bool = True) -> None:
        """DEBUG RELOAD: save, then empty the dataset and load the snapshot back in place."""
        if save:
            self.save()
        if not self.snapshot_path.exists():
            raise PersistenceError("Error trying to load the RDB dump: no snapshot file")
        self.loader.load_snapshot(self.snapshot_path, flush=flush)
        self.state.dirty = 0
        log.info("DB reloaded by DEBUG RELOAD")

    def debug_loadaof(self) -> None:
        """DEBUG LOADAOF: make the AOF durable, empty the dataset and replay the file, so a
        test can check what a write leaves in the AOF (Redis's own suite does)."""
        if self.settings.appendonly:
            self.appendonly.flush_for_shutdown()
        if not self.aof_path.exists():
            raise PersistenceError("Error trying to load the AOF: no append only file")
        self.state.keyspace.flushall()
        try:
            self.loader.load_aof(self.aof_path)
        except StartupError as exc:
            raise PersistenceError(str(exc)) from None
        self.state.dirty = 0
        log.warning("Append Only File loaded by DEBUG LOADAOF")

    # -- what clients ask for ----------------------------------------------------------------

    def save(self) -> None:
        """SAVE: write the snapshot now, blocking the server as Redis does."""
        if self.child is not None and self.child.kind == "rdb":
            raise PersistenceError("Background save already in progress")
        self.snapshots.save_now()

    def bgsave(self, schedule: bool = False, in_exec: bool = False) -> str:
        """BGSAVE [SCHEDULE]: the status text to reply, or PersistenceError."""
        if self.child is not None and self.child.kind == "rdb":
            raise PersistenceError("Background save already in progress")
        if self.child is not None or in_exec:
            if schedule or in_exec:
                self.snapshots.scheduled = True
                return "Background saving scheduled"
            raise PersistenceError(
                "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
                "SCHEDULE in order to schedule a BGSAVE whenever possible."
            )
        try:
            self.snapshots.start_background()
        except OSError as exc:
            raise PersistenceError(f"Can't fork the background save: {exc.strerror}") from None
        return "Background saving started"

    def bgrewriteaof(self, in_exec: bool = False) -> str:
        """BGREWRITEAOF: the status text to reply, or PersistenceError."""
        if self.child is not None and self.child.kind == "aof":
            raise PersistenceError("Background append only file rewriting already in progress")
        if self.child is not None or in_exec:
            self.appendonly.schedule_rewrite()
            return "Background append only file rewriting scheduled"
        try:
            self.appendonly.start_rewrite()
        except OSError as exc:
            log.warning("Can't rewrite append only file in background: fork: %s", exc.strerror)
            raise PersistenceError(
                "Can't execute an AOF background rewriting. Please check the server logs for "
                "more information."
            ) from None
        return "Background append only file rewriting started"

    def on_config_change(self, names: set[str]) -> None:
        """CONFIG SET appendonly takes effect at once, as in Redis (start or stop the AOF)."""
        if "appendonly" in names and self.settings.appendonly is not self.appendonly.wanted:
            self.appendonly.apply_setting()

    # -- the background child ----------------------------------------------------------------

    def run_child(self, kind: str, work: Callable[[], dict[str, Any]]) -> ChildJob:
        """Fork the one background child ("rdb" or "aof"); OSError when the fork fails."""
        self.child = start_child(kind, work)
        return self.child

    def kill_child(self) -> None:
        child = self.child
        if child is None:
            return
        self.child = None
        child.kill()
        if child.kind == "rdb":
            unlink_quietly(self.directory / snapshot_temp_name(child.pid))
        else:
            unlink_quietly(self.directory / rewrite_temp_name(child.pid))
            self.appendonly.rewrite_buffer = None

    def _reap_child(self) -> None:
        child = self.child
        assert child is not None
        result = child.poll()
        if result is None:
            return
        self.child = None
        if child.kind == "rdb":
            self.snapshots.background_done(child, result)
        else:
            self.appendonly.rewrite_done(child, result)

    # -- timers and shutdown -----------------------------------------------------------------

    def cron(self) -> None:
        if self.settings.appendonly is not self.appendonly.wanted:
            self.appendonly.apply_setting()
        if self.child is not None:
            self._reap_child()
        self.appendonly.cron()
        if self.child is None:
            self._start_due_work()

    def _start_due_work(self) -> None:
        snapshots, appendonly = self.snapshots, self.appendonly
        try:
            if snapshots.scheduled:
                snapshots.scheduled = False
                snapshots.start_background()
            elif appendonly.rewrite_scheduled and time.time() >= appendonly.rewrite_not_before:
                appendonly.rewrite_scheduled = False
                appendonly.start_rewrite()
            elif (rule := snapshots.rule_due()) is not None:
                log.info("%d changes in %d seconds. Saving...", rule[1], rule[0])
                snapshots.start_background()
            elif (growth := appendonly.rewrite_growth_due()) is not None:
                log.info("Starting automatic rewriting of AOF on %d%% growth", growth)
                appendonly.start_rewrite()
        except OSError as exc:
            log.warning("Can't fork a background child: %s", exc.strerror)
            snapshots.last_bgsave_try = time.time()

    def on_shutdown(self, save: bool | None) -> None:
        """Shutdown hook: stop any child, sync the AOF, and save unless told not to."""
        if self.child is not None:
            what = "saving an .rdb" if self.child.kind == "rdb" else "rewriting the AOF"
            log.warning("There is a child %s. Killing it!", what)
            self.kill_child()
        self.appendonly.flush_for_shutdown()
        if save is True or (save is None and self.settings.save_rules()):
            log.info("Saving the final RDB snapshot before exiting.")
            try:
                self.snapshots.save_now()
            except PersistenceError as exc:
                log.warning("Error trying to save the DB before exiting: %s", exc.detail)
                raise RuntimeError(exc.detail) from None

    def close(self) -> None:
        """Stop any child and close the AOF (for embedding and tests; shutdown keeps it open)."""
        self.kill_child()
        self.appendonly.close()

    # -- INFO --------------------------------------------------------------------------------

    def info(self) -> list[tuple[str, object]]:
        child = self.child
        loader = self.loader
        return [
            ("loading", int(loader.loading)),
            ("async_loading", 0),
            ("current_cow_peak", 0),
            ("current_cow_size", 0),
            ("current_cow_size_age", 0),
            ("current_fork_perc", "0.00"),
            ("current_save_keys_processed", 0),
            ("current_save_keys_total", 0),
            *self.snapshots.info(child),
            ("rdb_last_load_keys_expired", loader.keys_expired_at_load),
            ("rdb_last_load_keys_loaded", loader.keys_loaded),
            *self.appendonly.info(child),
            ("module_fork_in_progress", 0),
            ("module_fork_last_cow_size", 0),
            *self.appendonly.size_info(),
        ]


class _PersistenceHooks:
    """Persistence's implementations of the server's broadcast hooks."""

    def __init__(self, persistence: Persistence) -> None:
        self._persistence = persistence

    @hookimpl
    def ferrite_cron(self, state: ServerState) -> None:
        self._persistence.cron()

    @hookimpl
    def ferrite_shutdown(self, state: ServerState, save: bool | None) -> None:
        self._persistence.on_shutdown(save)

    @hookimpl
    def ferrite_info_sections(self, state: ServerState) -> Mapping[str, InfoProvider]:
        return {"persistence": self._persistence.info}

    @hookimpl
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        self._persistence.on_config_change(changed)
