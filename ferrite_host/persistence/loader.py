"""`Loader`: reads the snapshot or the append-only file into the keyspace at start-up (and
for DEBUG RELOAD), all of it or none of it."""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from ferrite_host.core import events as ev
from ferrite_host.core.errors import StartupError
from ferrite_host.keyspace import now_ms
from ferrite_host.persistence import aof as aofmod
from ferrite_host.persistence.aof import AofFormatError, parse_aof
from ferrite_host.persistence.errors import PersistenceError
from ferrite_host.persistence.files import sync_file
from ferrite_host.persistence.functions import FunctionsLoadError, restore_functions
from ferrite_host.persistence.rdb.modules import ModuleAuxError, load_module_aux, log_opaque_types
from ferrite_host.persistence.rdb.reader import RdbContents
from ferrite_host.persistence.rdb.writer import AUX_AFTER_RDB, AUX_BEFORE_RDB
from ferrite_host.persistence.server_events import announce
from ferrite_host.persistence.snapshot import (
    SnapshotContents,
    SnapshotError,
    SnapshotLoadError,
    build_values,
    parse_snapshot,
    read_file,
)
from ferrite_host.protocol.replies import Error

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")


class Loader:
    """What was loaded last (INFO's rdb_last_load_* fields) and whether loading is on."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.loading = False
        self.keys_loaded = 0
        self.keys_expired_at_load = 0

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
        state = self.state
        try:
            contents = parse_snapshot(data, state.keyspace.limits)
            del data
            values = build_values(
                contents,
                state.module_types,
                len(state.keyspace),
                now_ms(),
                state.settings.keep_unknown_module_values,
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
        keyspace = state.keyspace
        if flush:
            keyspace.flushall()
        if isinstance(contents, RdbContents):
            try:
                restore_functions(state, contents.functions)
            except FunctionsLoadError as exc:
                raise PersistenceError(f"Can't load the snapshot {path}: {exc}") from None
        with _LoadingFlag(self):
            _load_module_aux(state, path, contents, AUX_BEFORE_RDB)
            for index, items in values.dbs.items():
                database = keyspace[index]
                for key, value, expire_at in items:
                    database.put(key, value, expire_at)
            _load_module_aux(state, path, contents, AUX_AFTER_RDB)
        self.keys_loaded, self.keys_expired_at_load = values.loaded, values.expired
        _log_skipped_parts(path, contents)
        log_opaque_types(values.opaque)
        log.info(
            "Done loading RDB, keys loaded: %d, keys expired: %d.", values.loaded, values.expired
        )
        return True

    def load_aof(self, path: Path) -> None:
        """Replay the append-only file; StartupError when it cannot be loaded completely."""
        start = time.monotonic()
        try:
            data = read_file(path)
        except OSError as exc:
            raise StartupError(
                f"Fatal error reading the append only file {path}: {exc.strerror}"
            ) from None
        try:
            parsed = parse_aof(data)
        except AofFormatError as exc:
            raise StartupError(
                f"Bad file format reading the append only file {path} at offset {exc.offset}: "
                f"{exc.reason}. Make a backup of the file and inspect it with "
                f"'ferrite check-aof {path}'; Ferrite will not start from a corrupted file"
            ) from None
        del data
        if parsed.truncated_at is not None:
            self._repair_truncated_aof(path, parsed.truncated_at, parsed.truncated_reason)
        with _LoadingFlag(self, ev.LOADING_AOF_START):
            self._replay(path, parsed.units)
        self._expire_loaded_keys()
        log.info("DB loaded from append only file: %.3f seconds", time.monotonic() - start)

    def _repair_truncated_aof(self, path: Path, offset: int, reason: str) -> None:
        if not self.state.settings.aof_load_truncated:
            raise StartupError(
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
            raise StartupError(
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
                        raise StartupError(_unknown_command(path, command))
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
        keyspace = self.state.keyspace
        before = keyspace.key_count()
        for database in keyspace.dbs:
            deque(database.keys(), maxlen=0)  # walking the keys expires the dead ones
        self.keys_expired_at_load = before - keyspace.key_count()
        self.keys_loaded = keyspace.key_count()


class _LoadingFlag:
    """While loading: INFO says so, the AOF sink ignores writes, keys do not expire; modules
    hear the Loading server event (RDB_START or AOF_START, then ENDED or FAILED)."""

    def __init__(self, loader: Loader, subevent: int = ev.LOADING_RDB_START) -> None:
        self._loader = loader
        self._subevent = subevent

    def __enter__(self) -> None:
        self._set(True)
        announce(self._loader.state, ev.LOADING, self._subevent)

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        self._set(False)
        ended = ev.LOADING_ENDED if kind is None else ev.LOADING_FAILED
        announce(self._loader.state, ev.LOADING, ended)

    def _set(self, loading: bool) -> None:
        state = self._loader.state
        self._loader.loading = state.loading = state.keyspace.loading = loading


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
        raise StartupError(
            f"{where}: it selects db {database}, which this server does not have ({reason}); "
            "raise 'databases'"
        )
    if name == aofmod.RESTORE_COMMAND.lower():
        raise StartupError(f"{where}: {reason}")
    if failures <= 3:
        log.warning(
            "Command at offset %d of %s failed while loading: %s", command.offset, path, reply
        )


def _load_module_aux(state: ServerState, path: Path, contents: SnapshotContents, when: int) -> None:
    """Module aux data saved at `when` goes to its type's aux_load (as Redis loads it)."""
    if not isinstance(contents, RdbContents) or not contents.module_aux_records:
        return
    try:
        missing = load_module_aux(state.module_types, contents.module_aux_records, when)
    except ModuleAuxError as exc:
        raise PersistenceError(f"Can't load the snapshot {path}: {exc}") from None
    for name in missing:
        log.warning(
            "Skipped module aux data of module type '%s' in %s: its module is not loaded",
            name,
            path,
        )


def _log_skipped_parts(path: Path, contents: SnapshotContents) -> None:
    """What an RDB file holds that Ferrite has no place for, one line each."""
    if not isinstance(contents, RdbContents):
        return
    if contents.empty_keys:
        log.warning("Skipped %d empty key(s) in %s, as Redis does", contents.empty_keys, path)


def _reset_command_stats(state: ServerState) -> None:
    """Replayed commands are not client traffic: INFO commandstats starts from zero."""
    state.stats.reset()
    state.commands.stats.reset()
