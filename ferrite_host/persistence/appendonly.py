"""`AppendOnly`: the append-only file of a running server: appending each write, fsync
policy, background rewrites (automatic and BGREWRITEAOF), and CONFIG SET appendonly."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ferrite_host.core import events as ev
from ferrite_host.core.errors import StartupError
from ferrite_host.persistence.aof import AofWriter, CommandStream, RewriteError, write_rewrite
from ferrite_host.persistence.child import ChildJob, ChildResult, ExpectedFailure
from ferrite_host.persistence.errors import PersistenceError
from ferrite_host.persistence.files import (
    fsync_dir,
    rewrite_temp_name,
    sync_file,
    unlink_quietly,
    write_all,
    write_atomically,
)
from ferrite_host.persistence.functions import functions_commands
from ferrite_host.persistence.server_events import announce_persistence
from ferrite_host.persistence.snapshot import iter_databases

if TYPE_CHECKING:
    from ferrite_host.core.config import Settings
    from ferrite_host.persistence.manager import Persistence

log = logging.getLogger("ferrite")

#: Seconds before a failed automatic AOF rewrite is tried again.
REWRITE_RETRY_DELAY = 5

AOF_OFF = "off"
AOF_ON = "on"
AOF_WAIT_REWRITE = "wait_rewrite"


class AppendOnly:
    """The AOF side of persistence; the background child itself belongs to `Persistence`."""

    def __init__(self, owner: Persistence) -> None:
        self._owner = owner
        self.writer: AofWriter | None = None
        self.state = AOF_OFF
        self.wanted = owner.settings.appendonly
        self.base_size = 0
        self.rewrite_scheduled = False
        self.rewrite_not_before = 0.0
        self.rewrite_buffer: list[bytes] | None = None
        self.rewrite_stream = CommandStream()
        self.last_rewrite_ok = True
        self.last_rewrite_time_sec = -1
        self.rewrites = 0
        self.rewrite_failures = 0

    @property
    def _settings(self) -> Settings:
        return self._owner.settings

    @property
    def _path(self) -> Path:
        return self._owner.aof_path

    # -- opening -----------------------------------------------------------------------------

    def open(self) -> None:
        try:
            self.writer = AofWriter.open(str(self._path))
        except OSError as exc:
            raise StartupError(
                f"Can't open the append-only file {self._path}: {exc.strerror}"
            ) from None
        self.state = AOF_ON
        self.base_size = self.writer.size

    def create_from_memory(self) -> None:
        """Write the AOF for the data now in memory (start-up with no AOF yet)."""
        try:
            self.write_from_memory()
        except PersistenceError as exc:
            raise StartupError(exc.detail) from None

    def write_from_memory(self) -> None:
        path = self._path
        temp = self._owner.directory / rewrite_temp_name(os.getpid())
        state = self._owner.state
        try:
            stats = write_atomically(
                path,
                temp,
                lambda handle: write_rewrite(
                    handle, iter_databases(state.keyspace), 0, functions_commands(state)
                ),
            )
        except (OSError, RewriteError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise PersistenceError(f"Can't create the append only file {path}: {reason}") from None
        for warning in stats.skipped_warnings():
            log.warning("%s", warning)

    # -- appending ---------------------------------------------------------------------------

    def propagate(self, db: int, commands: list[list[bytes]]) -> None:
        """The propagation sink: append what a write did, before its reply is sent."""
        if self._owner.loader.loading:
            return
        if self._settings.appendonly is not self.wanted and self.apply_setting():
            return
        writer = self.writer
        if writer is not None and self.state == AOF_ON:
            written = writer.append(writer.stream.encode(db, commands))
            if self._settings.appendfsync == "always":
                if not written:
                    log.critical(
                        "Can't recover from AOF write error when the AOF fsync policy is "
                        "'always'. Exiting..."
                    )
                    os._exit(1)
                writer.fsync_now()
        if self.rewrite_buffer is not None:
            self.rewrite_buffer.append(self.rewrite_stream.encode(db, commands))

    def cron(self) -> None:
        """Retry pending writes and run the everysec fsync."""
        writer = self.writer
        if writer is None:
            return
        if writer.pending:
            writer.retry_pending()
        if self._settings.appendfsync == "everysec" and time.monotonic() - writer.last_fsync >= 1:
            writer.fsync_in_background()

    # -- rewriting ---------------------------------------------------------------------------

    def start_rewrite(self) -> None:
        """Fork the child that writes a fresh AOF (OSError when the fork fails)."""
        if self.writer is not None:
            self.writer.retry_pending()
        owner = self._owner
        directory = owner.directory
        keyspace = owner.state.keyspace
        delay = self._settings.rdb_key_save_delay
        libraries = functions_commands(owner.state)

        def work() -> dict[str, Any]:
            temp = directory / rewrite_temp_name(os.getpid())
            try:
                with open(temp, "wb") as handle:
                    stats = write_rewrite(handle, iter_databases(keyspace), delay, libraries)
                    sync_file(handle)
            except RewriteError as exc:
                raise ExpectedFailure(str(exc)) from None
            except OSError as exc:
                raise ExpectedFailure(f"Error writing the rewritten AOF: {exc.strerror}") from None
            for warning in stats.skipped_warnings():
                log.warning("%s", warning)
            return {"keys": stats.keys}

        child = owner.run_child("aof", work)
        self.rewrite_buffer = []
        self.rewrite_stream = CommandStream()
        log.info("Background append only file rewriting started by pid %d", child.pid)
        announce_persistence(owner.state, ev.PERSISTENCE_AOF_START)

    def rewrite_done(self, child: ChildJob, result: ChildResult) -> None:
        buffer, self.rewrite_buffer = self.rewrite_buffer or [], None
        directory = self._owner.directory
        temp = directory / rewrite_temp_name(child.pid)
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
                write_all(fd, chunk)
            os.fsync(fd)
            os.replace(temp, self._path)
            fsync_dir(directory)
        except OSError as exc:
            os.close(fd)
            self._rewrite_failed(temp, f"Error finishing the AOF rewrite: {exc.strerror}")
            return
        self._switch_to_rewritten(fd)
        self.last_rewrite_ok = True
        self.rewrite_failures = 0
        self.rewrites += 1
        log.info("Background AOF rewrite finished successfully")
        announce_persistence(self._owner.state, ev.PERSISTENCE_ENDED)

    def _switch_to_rewritten(self, fd: int) -> None:
        if self.state not in (AOF_ON, AOF_WAIT_REWRITE):
            os.close(fd)
            return
        old, self.writer = self.writer, AofWriter(str(self._path), fd)
        if old is not None:
            old.close()
        if self.state == AOF_WAIT_REWRITE:
            log.info("AOF rewrite finished: the append only file is now enabled")
        self.state = AOF_ON
        self.base_size = self.writer.size

    def _rewrite_failed(self, temp: Path, message: str) -> None:
        log.warning("%s", message)
        unlink_quietly(temp)
        announce_persistence(self._owner.state, ev.PERSISTENCE_FAILED)
        self.last_rewrite_ok = False
        self.rewrite_failures += 1
        if self.state == AOF_WAIT_REWRITE:
            self.schedule_rewrite(retry_later=True)

    def schedule_rewrite(self, retry_later: bool = False) -> None:
        self.rewrite_scheduled = True
        self.rewrite_not_before = time.time() + REWRITE_RETRY_DELAY if retry_later else 0.0

    def rewrite_growth_due(self) -> int | None:
        """The growth percentage when auto-aof-rewrite asks for a rewrite now."""
        writer = self.writer
        percentage = self._settings.auto_aof_rewrite_percentage
        if writer is None or self.state != AOF_ON or not percentage:
            return None
        if writer.size <= self._settings.auto_aof_rewrite_min_size:
            return None
        if self.rewrite_failures and time.time() < self.rewrite_not_before:
            return None
        base = self.base_size or 1
        growth = writer.size * 100 // base - 100
        return growth if growth >= percentage else None

    # -- CONFIG SET appendonly ---------------------------------------------------------------

    def apply_setting(self) -> bool:
        """Follow a CONFIG SET appendonly; True when the current write needs no appending."""
        self.wanted = self._settings.appendonly
        if self.wanted:
            return self._start()
        self._stop()
        return True

    def _start(self) -> bool:
        self.state = AOF_WAIT_REWRITE
        child = self._owner.child
        if child is not None and child.kind == "aof":
            return False  # its buffer already collects every write since its fork
        if child is not None:
            log.info(
                "AOF was enabled but there is already another background operation. An AOF "
                "background was scheduled to start when possible."
            )
            self.rewrite_scheduled = True
            return True
        try:
            self.start_rewrite()
        except OSError as exc:
            log.warning("Can't start the AOF rewrite that enables the AOF: %s", exc.strerror)
            self.schedule_rewrite(retry_later=True)
        return True

    def _stop(self) -> None:
        self.close()
        self.state = AOF_OFF
        child = self._owner.child
        if child is not None and child.kind == "aof":
            self._owner.kill_child()
        log.info("Append only file disabled")

    # -- shutdown ----------------------------------------------------------------------------

    def flush_for_shutdown(self) -> None:
        """Make what clients were told is persisted durable before the process exits."""
        if self.state == AOF_WAIT_REWRITE:
            # The AOF was just switched on and its first rewrite did not finish: write it
            # now, so what the clients were told is persisted is on disk.
            log.warning("Writing the initial AOF before exiting.")
            try:
                self.write_from_memory()
                self.writer = AofWriter.open(str(self._path))
            except PersistenceError as exc:
                raise RuntimeError(exc.detail) from None
            except OSError as exc:
                raise RuntimeError(f"Can't open the append only file: {exc.strerror}") from None
            self.state = AOF_ON
        if self.writer is not None:
            # Synced, not closed: a command that still slips in while connections close is
            # appended too (the process exit closes the file).
            log.info("Calling fsync() on the AOF file.")
            self.writer.retry_pending()
            self.writer.fsync_now()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def info(self, child: ChildJob | None) -> list[tuple[str, object]]:
        running = child is not None and child.kind == "aof"
        writer = self.writer
        fields: list[tuple[str, object]] = [
            ("aof_enabled", int(self.state != AOF_OFF)),
            ("aof_rewrite_in_progress", int(running)),
            ("aof_rewrite_scheduled", int(self.rewrite_scheduled)),
            ("aof_last_rewrite_time_sec", self.last_rewrite_time_sec),
            ("aof_current_rewrite_time_sec", int(child.elapsed()) if running and child else -1),
            ("aof_last_bgrewrite_status", "ok" if self.last_rewrite_ok else "err"),
            ("aof_rewrites", self.rewrites),
            ("aof_rewrites_consecutive_failures", self.rewrite_failures),
            ("aof_last_write_status", "ok" if writer is None or writer.last_write_ok else "err"),
            ("aof_last_cow_size", 0),
        ]
        return fields

    def size_info(self) -> list[tuple[str, object]]:
        """The fields INFO shows only while the AOF is on (after the module_fork ones)."""
        writer = self.writer
        if writer is None or self.state != AOF_ON:
            return []
        return [
            ("aof_current_size", writer.size),
            ("aof_base_size", self.base_size),
            ("aof_pending_rewrite", int(self.rewrite_scheduled)),
            ("aof_buffer_length", len(writer.pending)),
            ("aof_pending_bio_fsync", int(writer.pending_fsync())),
            ("aof_delayed_fsync", writer.delayed_fsyncs),
        ]
