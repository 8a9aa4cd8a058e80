"""`Persistence`: loads the data at start-up and keeps it on disk while the server runs.

It plugs into the server only through the seams the state offers: a propagation sink (the
append-only file), a cron hook (save rules, everysec fsync, automatic rewrites, reaping
background children), a shutdown hook (final save, AOF fsync) and the `persistence` INFO
section. Background saves and rewrites run in forked children so clients never wait for them.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ferrite_host.core import events as ev
from ferrite_host.core.errors import CommandError, StartupError
from ferrite_host.core.hookspecs import InfoProvider, hookimpl
from ferrite_host.keyspace import now_ms
from ferrite_host.persistence import aof as aofmod
from ferrite_host.persistence.aof import (
    AofFormatError,
    AofWriter,
    CommandStream,
    RewriteError,
    parse_aof,
    write_rewrite,
)
from ferrite_host.persistence.child import ChildJob, ChildResult, start_child
from ferrite_host.persistence.files import (
    fsync_dir,
    remove_stale_temp_files,
    rewrite_temp_name,
    snapshot_temp_name,
    sync_file,
    write_atomically,
)
from ferrite_host.persistence.functions import (
    FunctionsLoadError,
    functions_commands,
    library_codes,
    restore_functions,
)
from ferrite_host.persistence.rdb.modules import log_opaque_types
from ferrite_host.persistence.rdb.reader import RdbContents
from ferrite_host.persistence.snapshot import (
    SnapshotContents,
    SnapshotError,
    SnapshotLoadError,
    SnapshotSaveError,
    build_values,
    iter_databases,
    parse_snapshot,
    read_file,
    save_snapshot,
)
from ferrite_host.protocol.replies import Error

if TYPE_CHECKING:
    from ferrite_host.core.config import Settings
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

#: Seconds before a failed background save may be retried by the save rules (Redis's value).
BGSAVE_RETRY_DELAY = 5
#: Seconds before a failed automatic AOF rewrite is tried again.
REWRITE_RETRY_DELAY = 5

AOF_OFF = "off"
AOF_ON = "on"
AOF_WAIT_REWRITE = "wait_rewrite"


class PersistenceError(CommandError):
    """A save, rewrite or reload that failed; its `message` is the client's error reply."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail if detail.startswith("ERR") else f"ERR {detail}")
        self.detail = detail


def _startup_error(message: str) -> Exception:
    return StartupError(message)


class Persistence:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        # snapshot
        self.lastsave = time.time()
        self.last_save_ok = True
        self.last_bgsave_try = 0.0
        self.last_bgsave_time_sec = -1
        self.rdb_saves = 0
        self.dirty_at_fork = 0
        self.bgsave_scheduled = False
        self.keys_loaded = 0
        self.keys_expired_at_load = 0
        self.child: ChildJob | None = None
        self.loading = False
        # append-only file
        self.aof: AofWriter | None = None
        self.aof_state = AOF_OFF
        self._aof_wanted = self.settings.appendonly
        self.aof_base_size = 0
        self.rewrite_scheduled = False
        self.rewrite_not_before = 0.0
        self.rewrite_buffer: list[bytes] | None = None
        self.rewrite_stream = CommandStream()
        self.last_rewrite_ok = True
        self.last_rewrite_time_sec = -1
        self.aof_rewrites = 0
        self.rewrite_failures = 0

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
            raise _startup_error(
                f"Can't use directory '{directory}' for persistence: it does not exist or is not a "
                "directory. Create it or change 'dir'."
            )
        remove_stale_temp_files(directory)
        self.load_at_startup()
        state.hooks.register(_PersistenceHooks(self), name="persistence")
        state.propagation_sinks.append(self.propagate)
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

    # -- loading -----------------------------------------------------------------------------

    def load_at_startup(self) -> None:
        """AOF when `appendonly yes` and the file exists (as Redis), else the snapshot."""
        start = time.monotonic()
        if self.settings.appendonly:
            if self.aof_path.exists():
                self._load_aof(self.aof_path)
                log.info("DB loaded from append only file: %.3f seconds", time.monotonic() - start)
            else:
                if self._load_snapshot_at_startup():
                    log.info(
                        "No append only file yet: loaded the snapshot %s and writing %s from it",
                        self.snapshot_path,
                        self.aof_path,
                    )
                self._create_aof_from_memory()
            self._open_aof()
        elif self._load_snapshot_at_startup():
            log.info("DB loaded from disk: %.3f seconds", time.monotonic() - start)
        self.state.dirty = 0

    def _load_snapshot_at_startup(self) -> bool:
        try:
            return self.load_snapshot(self.snapshot_path)
        except PersistenceError as exc:
            raise _startup_error(exc.detail) from None

    def load_snapshot(self, path: Path, flush: bool = False) -> bool:
        """Load `path` into the keyspace: all of it or (raising PersistenceError) none of it."""
        try:
            data = read_file(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise PersistenceError(
                f"Fatal error loading the snapshot {path}: {exc.strerror}"
            ) from None
        if not data:
            log.info("The snapshot %s is empty (0 bytes): starting with an empty dataset", path)
            return False
        try:
            contents = parse_snapshot(data, self.state.keyspace.limits)
            del data
            values = build_values(
                contents,
                self.state.module_types,
                len(self.state.keyspace),
                now_ms(),
                self.settings.keep_unknown_module_values,
            )
        except SnapshotError as exc:
            raise PersistenceError(
                f"Bad snapshot file {path} at offset {exc.offset}: {exc.reason} "
                f"({exc.keys_read} keys read before it). Ferrite will not load part of a "
                f"snapshot: restore a backup or move the file away to start empty; run "
                f"'ferrite check-snapshot {path}' for details"
            ) from None
        except SnapshotLoadError as exc:
            raise PersistenceError(f"Can't load the snapshot {path}: {exc}") from None
        keyspace = self.state.keyspace
        if flush:
            keyspace.flushall()
        if isinstance(contents, RdbContents):
            try:
                restore_functions(self.state, contents.functions)
            except FunctionsLoadError as exc:
                raise PersistenceError(f"Can't load the snapshot {path}: {exc}") from None
        with self._loading():
            for index, items in values.dbs.items():
                database = keyspace[index]
                for key, value, expire_at in items:
                    database.put(key, value, expire_at)
        self.keys_loaded, self.keys_expired_at_load = values.loaded, values.expired
        _log_skipped_parts(path, contents)
        log_opaque_types(values.opaque)
        log.info(
            "Done loading RDB, keys loaded: %d, keys expired: %d.", values.loaded, values.expired
        )
        return True

    def _loading(self, subevent: int = ev.LOADING_RDB_START) -> _LoadingFlag:
        return _LoadingFlag(self, subevent)

    def _load_aof(self, path: Path) -> None:
        try:
            data = read_file(path)
        except OSError as exc:
            raise _startup_error(
                f"Fatal error reading the append only file {path}: {exc.strerror}"
            ) from None
        try:
            parsed = parse_aof(data)
        except AofFormatError as exc:
            raise _startup_error(
                f"Bad file format reading the append only file {path} at offset {exc.offset}: "
                f"{exc.reason}. Make a backup of the file and inspect it with "
                f"'ferrite check-aof {path}'; Ferrite will not start from a corrupted file"
            ) from None
        del data
        if parsed.truncated_at is not None:
            self._repair_truncated_aof(path, parsed.truncated_at, parsed.truncated_reason)
        with self._loading(ev.LOADING_AOF_START):
            self._replay(path, parsed.units)
        self._expire_loaded_keys()

    def _repair_truncated_aof(self, path: Path, offset: int, reason: str) -> None:
        if not self.settings.aof_load_truncated:
            raise _startup_error(
                f"Unexpected end of file reading the append only file {path} at offset {offset} "
                f"({reason}). You can: 1) make a backup of the file, then run 'ferrite check-aof "
                f"--fix {path}'; 2) or set 'aof-load-truncated yes' and restart the server"
            )
        log.warning("!!! Warning: short read while loading the AOF file %s (%s) !!!", path, reason)
        log.warning("!!! Truncating the AOF %s at offset %d !!!", path, offset)
        try:
            with open(path, "r+b") as handle:
                handle.truncate(offset)
                sync_file(handle)
        except OSError as exc:
            raise _startup_error(
                f"Error truncating the AOF file {path} at offset {offset}: {exc.strerror}"
            ) from None
        log.warning("AOF %s loaded anyway because aof-load-truncated is enabled", path)

    def _replay(self, path: Path, units: list[list[aofmod.AofCommand]]) -> None:
        """Run every command through the dispatcher, as an internal `aof` client."""
        state = self.state
        session = state.new_session(kind="aof")
        failures = 0
        try:
            for unit in units:
                commands = unit[1:-1] if unit[0].argv[0].lower() == b"multi" else unit
                for command in commands:
                    if state.commands.get(command.argv[0].lower()) is None:
                        raise _startup_error(_unknown_command(path, command))
                    reply = state.dispatcher.execute(session, command.argv, internal=True)
                    if type(reply) is Error:
                        failures += 1
                        _replay_failed(path, command, reply, failures)
        finally:
            state.drop_session(session)
        if failures:
            log.warning("%d command(s) of %s failed while loading", failures, path)
        _reset_command_stats(state)

    def _expire_loaded_keys(self) -> None:
        """Keys whose absolute expiry passed while the server was down go away now."""
        before = self.state.keyspace.key_count()
        for database in self.state.keyspace.dbs:
            deque(database.keys(), maxlen=0)  # walking the keys expires the dead ones
        self.keys_expired_at_load = before - self.state.keyspace.key_count()
        self.keys_loaded = self.state.keyspace.key_count()

    def debug_reload(self, save: bool = True, flush: bool = True) -> None:
        """DEBUG RELOAD: save, then empty the dataset and load the snapshot back in place."""
        if save:
            self.save()
        if not self.snapshot_path.exists():
            raise PersistenceError("Error trying to load the RDB dump: no snapshot file")
        self.load_snapshot(self.snapshot_path, flush=flush)
        self.state.dirty = 0
        log.info("DB reloaded by DEBUG RELOAD")

    # -- snapshots ---------------------------------------------------------------------------

    def save(self) -> None:
        """SAVE: write the snapshot now, blocking the server as Redis does."""
        if self.child is not None and self.child.kind == "rdb":
            raise PersistenceError("Background save already in progress")
        self._save_now()

    def _announce(self, event: int, subevent: int) -> None:
        """A Persistence or Loading server event, as Redis fires them for modules."""
        self.state.hooks.hook.ferrite_server_event(
            state=self.state, event=event, subevent=subevent, data=None
        )

    def _save_now(self) -> None:
        state = self.state
        dirty = state.dirty
        self._announce(ev.PERSISTENCE, ev.PERSISTENCE_SYNC_RDB_START)
        try:
            stats = save_snapshot(
                self.snapshot_path,
                state.keyspace,
                self.settings.rdb_key_save_delay,
                self.settings.rdbcompression,
                library_codes(state),
            )
        except (OSError, SnapshotSaveError) as exc:
            self.last_save_ok = False
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            log.warning("Write error saving DB on disk: %s", reason)
            self._announce(ev.PERSISTENCE, ev.PERSISTENCE_FAILED)
            raise PersistenceError(f"Error saving the snapshot: {reason}") from None
        for warning in stats.skipped_warnings():
            log.warning("%s", warning)
        state.dirty -= dirty
        self.lastsave = time.time()
        self.last_save_ok = True
        self.rdb_saves += 1
        log.info("DB saved on disk")
        self._announce(ev.PERSISTENCE, ev.PERSISTENCE_ENDED)

    def bgsave(self, schedule: bool = False, in_exec: bool = False) -> str:
        """BGSAVE [SCHEDULE]: the status text to reply, or PersistenceError."""
        if self.child is not None and self.child.kind == "rdb":
            raise PersistenceError("Background save already in progress")
        if self.child is not None or in_exec:
            if schedule or in_exec:
                self.bgsave_scheduled = True
                return "Background saving scheduled"
            raise PersistenceError(
                "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
                "SCHEDULE in order to schedule a BGSAVE whenever possible."
            )
        try:
            self._start_bgsave()
        except OSError as exc:
            raise PersistenceError(f"Can't fork the background save: {exc.strerror}") from None
        return "Background saving started"

    def _start_bgsave(self) -> None:
        path = self.snapshot_path
        keyspace = self.state.keyspace
        delay = self.settings.rdb_key_save_delay
        compress = self.settings.rdbcompression
        libraries = library_codes(self.state)

        def work() -> dict[str, Any]:
            try:
                stats = save_snapshot(path, keyspace, delay, compress, libraries)
            except SnapshotSaveError as exc:
                raise _ExpectedFailure(str(exc)) from None
            except OSError as exc:
                raise _ExpectedFailure(f"Write error saving DB on disk: {exc.strerror}") from None
            for warning in stats.skipped_warnings():
                log.warning("%s", warning)
            log.info("DB saved on disk")
            return {"keys": stats.keys}

        self.dirty_at_fork = self.state.dirty
        self.last_bgsave_try = time.time()
        self.child = start_child("rdb", work)
        log.info("Background saving started by pid %d", self.child.pid)
        self._announce(ev.PERSISTENCE, ev.PERSISTENCE_RDB_START)

    def _bgsave_done(self, child: ChildJob, result: ChildResult) -> None:
        self.last_bgsave_time_sec = int(child.elapsed())
        if result.ok:
            log.info("Background saving terminated with success")
            self.state.dirty = max(0, self.state.dirty - self.dirty_at_fork)
            self.lastsave = child.started
            self.last_save_ok = True
            self.rdb_saves += 1
            self._announce(ev.PERSISTENCE, ev.PERSISTENCE_ENDED)
            return
        log.warning("Background saving error: %s", result.error)
        self.last_save_ok = False
        _unlink_quietly(self.directory / snapshot_temp_name(child.pid))
        self._announce(ev.PERSISTENCE, ev.PERSISTENCE_FAILED)

    def _save_rule_due(self) -> tuple[int, int] | None:
        now = time.time()
        if not self.last_save_ok and now - self.last_bgsave_try <= BGSAVE_RETRY_DELAY:
            return None
        for seconds, changes in self.settings.save_rules():
            if self.state.dirty >= changes and now - self.lastsave > seconds:
                return seconds, changes
        return None

    # -- the append-only file ----------------------------------------------------------------

    def _open_aof(self) -> None:
        try:
            self.aof = AofWriter.open(str(self.aof_path))
        except OSError as exc:
            raise _startup_error(
                f"Can't open the append-only file {self.aof_path}: {exc.strerror}"
            ) from None
        self.aof_state = AOF_ON
        self.aof_base_size = self.aof.size

    def _create_aof_from_memory(self) -> None:
        """Write the AOF for the data now in memory (start-up with no AOF yet)."""
        try:
            self._write_aof_from_memory()
        except PersistenceError as exc:
            raise _startup_error(exc.detail) from None

    def _write_aof_from_memory(self) -> None:
        path = self.aof_path
        temp = self.directory / rewrite_temp_name(os.getpid())
        try:
            stats = write_atomically(
                path,
                temp,
                lambda handle: write_rewrite(
                    handle, iter_databases(self.state.keyspace), 0, functions_commands(self.state)
                ),
            )
        except (OSError, RewriteError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise PersistenceError(f"Can't create the append only file {path}: {reason}") from None
        for warning in stats.skipped_warnings():
            log.warning("%s", warning)

    def propagate(self, db: int, commands: list[list[bytes]]) -> None:
        """The propagation sink: append what a write did, before its reply is sent."""
        if self.loading:
            return
        if self.settings.appendonly is not self._aof_wanted and self._apply_appendonly_setting():
            return
        aof = self.aof
        if aof is not None and self.aof_state == AOF_ON:
            written = aof.append(aof.stream.encode(db, commands))
            if self.settings.appendfsync == "always":
                if not written:
                    log.critical(
                        "Can't recover from AOF write error when the AOF fsync policy is "
                        "'always'. Exiting..."
                    )
                    os._exit(1)
                aof.fsync_now()
        if self.rewrite_buffer is not None:
            self.rewrite_buffer.append(self.rewrite_stream.encode(db, commands))

    def bgrewriteaof(self, in_exec: bool = False) -> str:
        """BGREWRITEAOF: the status text to reply, or PersistenceError."""
        if self.child is not None and self.child.kind == "aof":
            raise PersistenceError("Background append only file rewriting already in progress")
        if self.child is not None or in_exec:
            self.rewrite_scheduled = True
            self.rewrite_not_before = 0.0
            return "Background append only file rewriting scheduled"
        try:
            self._start_rewrite()
        except OSError as exc:
            log.warning("Can't rewrite append only file in background: fork: %s", exc.strerror)
            raise PersistenceError(
                "Can't execute an AOF background rewriting. Please check the server logs for "
                "more information."
            ) from None
        return "Background append only file rewriting started"

    def _start_rewrite(self) -> None:
        if self.aof is not None:
            self.aof.retry_pending()
        directory = self.directory
        keyspace = self.state.keyspace
        delay = self.settings.rdb_key_save_delay
        libraries = functions_commands(self.state)

        def work() -> dict[str, Any]:
            temp = directory / rewrite_temp_name(os.getpid())
            try:
                with open(temp, "wb") as handle:
                    stats = write_rewrite(handle, iter_databases(keyspace), delay, libraries)
                    sync_file(handle)
            except RewriteError as exc:
                raise _ExpectedFailure(str(exc)) from None
            except OSError as exc:
                raise _ExpectedFailure(f"Error writing the rewritten AOF: {exc.strerror}") from None
            for warning in stats.skipped_warnings():
                log.warning("%s", warning)
            return {"keys": stats.keys}

        self.child = start_child("aof", work)
        self.rewrite_buffer = []
        self.rewrite_stream = CommandStream()
        log.info("Background append only file rewriting started by pid %d", self.child.pid)
        self._announce(ev.PERSISTENCE, ev.PERSISTENCE_AOF_START)

    def _rewrite_done(self, child: ChildJob, result: ChildResult) -> None:
        buffer, self.rewrite_buffer = self.rewrite_buffer or [], None
        temp = self.directory / rewrite_temp_name(child.pid)
        self.last_rewrite_time_sec = int(child.elapsed())
        if not result.ok:
            self._rewrite_failed(
                temp, f"Background AOF rewrite terminated with error: {result.error}"
            )
            return
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            self._rewrite_failed(
                temp, f"Unable to open the temporary AOF produced by the child: {exc.strerror}"
            )
            return
        try:
            for chunk in buffer:
                _write_all(fd, chunk)
            os.fsync(fd)
            os.replace(temp, self.aof_path)
            fsync_dir(self.directory)
        except OSError as exc:
            os.close(fd)
            self._rewrite_failed(temp, f"Error finishing the AOF rewrite: {exc.strerror}")
            return
        if self.aof_state in (AOF_ON, AOF_WAIT_REWRITE):
            old, self.aof = self.aof, AofWriter(str(self.aof_path), fd)
            if old is not None:
                old.close()
            if self.aof_state == AOF_WAIT_REWRITE:
                log.info("AOF rewrite finished: the append only file is now enabled")
            self.aof_state = AOF_ON
            self.aof_base_size = self.aof.size
        else:
            os.close(fd)
        self.last_rewrite_ok = True
        self.rewrite_failures = 0
        self.aof_rewrites += 1
        log.info("Background AOF rewrite finished successfully")
        self._announce(ev.PERSISTENCE, ev.PERSISTENCE_ENDED)

    def _rewrite_failed(self, temp: Path, message: str) -> None:
        log.warning("%s", message)
        _unlink_quietly(temp)
        self._announce(ev.PERSISTENCE, ev.PERSISTENCE_FAILED)
        self.last_rewrite_ok = False
        self.rewrite_failures += 1
        if self.aof_state == AOF_WAIT_REWRITE:
            self.rewrite_scheduled = True
            self.rewrite_not_before = time.time() + REWRITE_RETRY_DELAY

    def _rewrite_growth_due(self) -> int | None:
        aof = self.aof
        percentage = self.settings.auto_aof_rewrite_percentage
        if aof is None or self.aof_state != AOF_ON or not percentage:
            return None
        if aof.size <= self.settings.auto_aof_rewrite_min_size:
            return None
        if self.rewrite_failures and time.time() < self.rewrite_not_before:
            return None
        base = self.aof_base_size or 1
        growth = aof.size * 100 // base - 100
        return growth if growth >= percentage else None

    def on_config_change(self, names: set[str]) -> None:
        """CONFIG SET appendonly takes effect at once, as in Redis (start or stop the AOF)."""
        if "appendonly" in names and self.settings.appendonly is not self._aof_wanted:
            self._apply_appendonly_setting()

    def _apply_appendonly_setting(self) -> bool:
        """Follow a CONFIG SET appendonly; True when the current write needs no appending."""
        self._aof_wanted = self.settings.appendonly
        if self._aof_wanted:
            return self._start_appendonly()
        self._stop_appendonly()
        return True

    def _start_appendonly(self) -> bool:
        self.aof_state = AOF_WAIT_REWRITE
        if self.child is not None and self.child.kind == "aof":
            return False  # its buffer already collects every write since its fork
        if self.child is not None:
            log.info(
                "AOF was enabled but there is already another background operation. An AOF "
                "background was scheduled to start when possible."
            )
            self.rewrite_scheduled = True
            return True
        try:
            self._start_rewrite()
        except OSError as exc:
            log.warning("Can't start the AOF rewrite that enables the AOF: %s", exc.strerror)
            self.rewrite_scheduled = True
            self.rewrite_not_before = time.time() + REWRITE_RETRY_DELAY
        return True

    def _stop_appendonly(self) -> None:
        if self.aof is not None:
            self.aof.close()
            self.aof = None
        self.aof_state = AOF_OFF
        if self.child is not None and self.child.kind == "aof":
            self._kill_child()
        log.info("Append only file disabled")

    # -- timers and shutdown -----------------------------------------------------------------

    def cron(self) -> None:
        if self.settings.appendonly is not self._aof_wanted:
            self._apply_appendonly_setting()
        if self.child is not None:
            self._reap_child()
        aof = self.aof
        if aof is not None:
            if aof.pending:
                aof.retry_pending()
            if self.settings.appendfsync == "everysec" and time.monotonic() - aof.last_fsync >= 1:
                aof.fsync_in_background()
        if self.child is None:
            self._start_due_work()

    def _reap_child(self) -> None:
        child = self.child
        assert child is not None
        result = child.poll()
        if result is None:
            return
        self.child = None
        if child.kind == "rdb":
            self._bgsave_done(child, result)
        else:
            self._rewrite_done(child, result)

    def _start_due_work(self) -> None:
        try:
            if self.bgsave_scheduled:
                self.bgsave_scheduled = False
                self._start_bgsave()
            elif self.rewrite_scheduled and time.time() >= self.rewrite_not_before:
                self.rewrite_scheduled = False
                self._start_rewrite()
            elif (rule := self._save_rule_due()) is not None:
                log.info("%d changes in %d seconds. Saving...", rule[1], rule[0])
                self._start_bgsave()
            elif (growth := self._rewrite_growth_due()) is not None:
                log.info("Starting automatic rewriting of AOF on %d%% growth", growth)
                self._start_rewrite()
        except OSError as exc:
            log.warning("Can't fork a background child: %s", exc.strerror)
            self.last_bgsave_try = time.time()

    def _kill_child(self) -> None:
        child = self.child
        if child is None:
            return
        self.child = None
        child.kill()
        if child.kind == "rdb":
            _unlink_quietly(self.directory / snapshot_temp_name(child.pid))
        else:
            _unlink_quietly(self.directory / rewrite_temp_name(child.pid))
            self.rewrite_buffer = None

    def on_shutdown(self, save: bool | None) -> None:
        """Shutdown hook: stop any child, sync the AOF, and save unless told not to."""
        if self.child is not None:
            what = "saving an .rdb" if self.child.kind == "rdb" else "rewriting the AOF"
            log.warning("There is a child %s. Killing it!", what)
            self._kill_child()
        if self.aof_state == AOF_WAIT_REWRITE:
            # The AOF was just switched on and its first rewrite did not finish: write it
            # now, so what the clients were told is persisted is on disk.
            log.warning("Writing the initial AOF before exiting.")
            try:
                self._write_aof_from_memory()
                self.aof = AofWriter.open(str(self.aof_path))
            except PersistenceError as exc:
                raise RuntimeError(exc.detail) from None
            except OSError as exc:
                raise RuntimeError(f"Can't open the append only file: {exc.strerror}") from None
            self.aof_state = AOF_ON
        if self.aof is not None:
            # Synced, not closed: a command that still slips in while connections close is
            # appended too (the process exit closes the file).
            log.info("Calling fsync() on the AOF file.")
            self.aof.retry_pending()
            self.aof.fsync_now()
        if save is True or (save is None and self.settings.save_rules()):
            log.info("Saving the final RDB snapshot before exiting.")
            try:
                self._save_now()
            except PersistenceError as exc:
                log.warning("Error trying to save the DB before exiting: %s", exc.detail)
                raise RuntimeError(exc.detail) from None

    def close(self) -> None:
        """Stop any child and close the AOF (for embedding and tests; shutdown keeps it open)."""
        self._kill_child()
        if self.aof is not None:
            self.aof.close()
            self.aof = None

    # -- INFO --------------------------------------------------------------------------------

    def info(self) -> list[tuple[str, object]]:
        child = self.child
        rdb_child = child is not None and child.kind == "rdb"
        aof_child = child is not None and child.kind == "aof"
        fields: list[tuple[str, object]] = [
            ("loading", int(self.loading)),
            ("async_loading", 0),
            ("current_cow_peak", 0),
            ("current_cow_size", 0),
            ("current_cow_size_age", 0),
            ("current_fork_perc", "0.00"),
            ("current_save_keys_processed", 0),
            ("current_save_keys_total", 0),
            ("rdb_changes_since_last_save", self.state.dirty),
            ("rdb_bgsave_in_progress", int(rdb_child)),
            ("rdb_last_save_time", int(self.lastsave)),
            ("rdb_last_bgsave_status", "ok" if self.last_save_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_time_sec),
            ("rdb_current_bgsave_time_sec", int(child.elapsed()) if rdb_child and child else -1),
            ("rdb_saves", self.rdb_saves),
            ("rdb_last_cow_size", 0),
            ("rdb_last_load_keys_expired", self.keys_expired_at_load),
            ("rdb_last_load_keys_loaded", self.keys_loaded),
            ("aof_enabled", int(self.aof_state != AOF_OFF)),
            ("aof_rewrite_in_progress", int(aof_child)),
            ("aof_rewrite_scheduled", int(self.rewrite_scheduled)),
            ("aof_last_rewrite_time_sec", self.last_rewrite_time_sec),
            ("aof_current_rewrite_time_sec", int(child.elapsed()) if aof_child and child else -1),
            ("aof_last_bgrewrite_status", "ok" if self.last_rewrite_ok else "err"),
            ("aof_rewrites", self.aof_rewrites),
            ("aof_rewrites_consecutive_failures", self.rewrite_failures),
            (
                "aof_last_write_status",
                "ok" if self.aof is None or self.aof.last_write_ok else "err",
            ),
            ("aof_last_cow_size", 0),
            ("module_fork_in_progress", 0),
            ("module_fork_last_cow_size", 0),
        ]
        if self.aof is not None and self.aof_state == AOF_ON:
            fields += [
                ("aof_current_size", self.aof.size),
                ("aof_base_size", self.aof_base_size),
                ("aof_pending_rewrite", int(self.rewrite_scheduled)),
                ("aof_buffer_length", len(self.aof.pending)),
                ("aof_pending_bio_fsync", int(self.aof.pending_fsync())),
                ("aof_delayed_fsync", self.aof.delayed_fsyncs),
            ]
        return fields


class _LoadingFlag:
    """While loading: INFO says so, the AOF sink ignores writes, keys do not expire; modules
    hear the Loading server event (start, then ended or failed)."""

    def __init__(self, persistence: Persistence, subevent: int) -> None:
        self._persistence = persistence
        self._subevent = subevent

    def __enter__(self) -> None:
        state = self._persistence.state
        self._persistence.loading = True
        state.loading = True
        state.keyspace.loading = True
        self._persistence._announce(ev.LOADING, self._subevent)

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        state = self._persistence.state
        self._persistence.loading = False
        state.loading = False
        state.keyspace.loading = False
        ended = ev.LOADING_ENDED if kind is None else ev.LOADING_FAILED
        self._persistence._announce(ev.LOADING, ended)


class _ExpectedFailure(Exception):
    """A child's failure whose message is the whole story (no traceback needed)."""

    expected = True


def _unknown_command(path: Path, command: aofmod.AofCommand) -> str:
    name = command.argv[0].decode("utf-8", "replace")
    return (
        f"Unknown command '{name}' reading the append only file {path} at offset "
        f"{command.offset}: install and load the module that provides it"
    )


def _replay_failed(path: Path, command: aofmod.AofCommand, reply: str, failures: int) -> None:
    """A command that failed on replay: fatal where going on would lose or misplace data.

    Other failures are logged and loading goes on, as Redis ignores them.
    """
    where = f"Can't load the append only file {path} at offset {command.offset}"
    reason = reply.removeprefix("ERR ")
    name = command.argv[0].lower()
    if name == b"select":
        database = command.argv[1].decode("utf-8", "replace")
        raise _startup_error(
            f"{where}: it selects db {database}, which this server does not have ({reason}); "
            "raise 'databases'"
        )
    if name == aofmod.RESTORE_COMMAND.lower():
        raise _startup_error(f"{where}: {reason}")
    if failures <= 3:
        log.warning(
            "Command at offset %d of %s failed while loading: %s", command.offset, path, reply
        )


def _log_skipped_parts(path: Path, contents: SnapshotContents) -> None:
    """What an RDB file holds that Ferrite has no place for, one line each."""
    if not isinstance(contents, RdbContents):
        return
    for name in contents.module_aux:
        log.warning("Skipped module aux data of module type '%s' in %s", name, path)
    if contents.empty_keys:
        log.warning("Skipped %d empty key(s) in %s, as Redis does", contents.empty_keys, path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("Could not remove %s: %s", path, exc.strerror)


def _reset_command_stats(state: ServerState) -> None:
    """Replayed commands are not client traffic: INFO commandstats starts from zero."""
    state.stats.reset()
    for spec in state.commands:
        for item in (spec, *spec.subcommands.values()):
            item.calls = item.usec = item.failed_calls = item.rejected_calls = 0


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
