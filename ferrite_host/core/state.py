"""The server's shared state: settings, keyspace, command table, clients and counters.

Everything a command handler may reach hangs off this one object (via `session.state`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ferrite_host.core.busy import EventPump
from ferrite_host.core.config import Settings
from ferrite_host.core.dispatcher import Dispatcher
from ferrite_host.core.events import CLIENT_CHANGE, CLIENT_CONNECTED, CLIENT_DISCONNECTED
from ferrite_host.core.hookspecs import new_plugin_manager
from ferrite_host.core.out_of_band import OutOfBand
from ferrite_host.core.oversight import Oversight
from ferrite_host.core.parameters import Parameters
from ferrite_host.core.pause import ClientPause
from ferrite_host.core.session import Session
from ferrite_host.core.stats import Stats
from ferrite_host.core.subsystems import Subsystems
from ferrite_host.core.table import CommandTable
from ferrite_host.core.watch import WatchRegistry
from ferrite_host.keyspace import Keyspace, ValueType
from ferrite_host.keyspace.events import SIGNAL_MODIFIED

if TYPE_CHECKING:
    from ferrite_host.core.spec import CommandSpec


class AccessCheck(Protocol):
    """(session, command, argv) -> the NOPERM error to answer, or None to let the call run;
    `context` is where ACL LOG says the refused call came from ("lua", "module"), by
    default the client's top level or its MULTI."""

    def __call__(
        self, session: Session, spec: CommandSpec, argv: list[bytes], context: str | None = None
    ) -> str | None: ...


#: (session, command) -> the OOM error to answer, or None: maxmemory's check before a command.
MemoryGuard = Callable[[Session, "CommandSpec"], "str | None"]

#: (db index, commands) for every change that must reach the append-only file.
PropagationSink = Callable[[int, list[list[bytes]]], None]

log = logging.getLogger("ferrite")


class ServerState:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.keyspace = Keyspace(self.settings.databases)
        #: Empty until the composition root (ferrite_host.assembly) registers the families.
        self.commands = CommandTable()
        self.stats = Stats()
        self.started = time.time()
        self.run_id = secrets.token_hex(20)
        self.pid = os.getpid()
        self.clients: dict[int, Session] = {}
        self._next_client_id = 1
        self.dirty = 0
        self.keyspace.subscribe(self._count_change)
        self.transactions = WatchRegistry(self.keyspace)
        #: CLIENT PAUSE (the dispatcher asks it before running a client's command).
        self.pause = ClientPause(self.keyspace)
        #: Slow log, latency monitor, MONITOR clients and the watchdog.
        self.oversight = Oversight(self.settings)
        #: Writers to each connected client outside its request/reply cycle.
        self.out_of_band = OutOfBand()
        self.dispatcher = Dispatcher(self)
        #: Hot path: every propagated change goes to each sink (the AOF, later replicas).
        self.propagation_sinks: list[PropagationSink] = []
        #: Broadcast seams (cron, shutdown, INFO sections, config changes): pluggy hooks.
        self.hooks = new_plugin_manager()
        self.hooks.register(self.oversight)
        #: Each subsystem's own per-server object (persistence, module manager, ...).
        self.subsystems = Subsystems()
        #: CONFIG parameters beyond the settings (loaded modules declare them).
        self.parameters = Parameters()
        self.loading = False
        #: Installed by the ACL layer once users exist: NOPERM text for a refused call, or None.
        self.access_check: AccessCheck | None = None
        #: Installed by eviction while maxmemory is set: evicts, then OOM text or None.
        self.memory_guard: MemoryGuard | None = None
        #: Clients must AUTH first: the default user is off or has passwords (the ACL layer
        #: keeps this; until it exists, `requirepass` alone decides).
        self.auth_required = bool(self.settings.requirepass)
        self.tcp_port = self.settings.port
        self.event_loop_name = "asyncio"
        self.parser_name = "hiredis"
        #: Set by the network layer: serves other clients during one long call (None when
        #: there is no network layer, e.g. in process).
        self.event_pump: EventPump | None = None
        #: Set by the network layer: the loop commands run on, for work finished from other
        #: threads (module blocked clients, thread-safe contexts); None in process.
        self.event_loop: asyncio.AbstractEventLoop | None = None
        #: Set by the network layer; called by SHUTDOWN to stop the server.
        self.request_shutdown: Callable[..., None] = lambda save=None: None
        #: Module value types by name (the module layer fills this; persistence reads it).
        self.module_types: dict[str, ValueType] = {}
        #: INFO memory's used_memory_peak (MEMORY/CONFIG RESETSTAT clear it).
        self.used_memory_peak = 0
        #: Replication id INFO replication reports (no replication yet: fixed per run).
        #: `filter(session, argv) -> argv` run before every lookup (module command filters);
        #: None when no filter is registered, which keeps the dispatcher's path short.
        self.command_filter: Callable[[Session, list[bytes]], list[bytes]] | None = None
        self.master_replid = secrets.token_hex(20)

    def _count_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if event == "new" or event == SIGNAL_MODIFIED:
            return  # announces the event that follows / a signal of no change: not a change
        if event == "expired" or event == "evicted":
            # As Redis: an expiry or eviction is not a change a command made; it reaches the
            # append-only file as its own DEL, ahead of the command whose lookup (or whose
            # memory check) caused it, so a replay never resurrects the key or loses the
            # write that followed.
            if key is not None and self.propagation_sinks:
                self.propagate(db, [[b"DEL", key]])
            return
        self.dirty += 1

    def new_session(self, addr: str = "", laddr: str = "", kind: str = "normal") -> Session:
        session = Session(self, self._next_client_id, addr, laddr, kind)
        self._next_client_id += 1
        if kind == "normal":
            self.clients[session.id] = session
            self.hooks.hook.ferrite_server_event(
                state=self, event=CLIENT_CHANGE, subevent=CLIENT_CONNECTED, data=session
            )
        return session

    def drop_session(self, session: Session) -> None:
        self.oversight.monitors.remove(session.id)
        self.out_of_band.unregister(session.id)
        self.transactions.unwatch(session)
        self.clients.pop(session.id, None)
        session.push_writer = None
        self.hooks.hook.ferrite_client_released(state=self, session=session)
        if session.kind == "normal":
            self.hooks.hook.ferrite_server_event(
                state=self, event=CLIENT_CHANGE, subevent=CLIENT_DISCONNECTED, data=session
            )

    def propagate(self, db: int, commands: list[list[bytes]]) -> None:
        for sink in self.propagation_sinks:
            sink(db, commands)

    def record_error(self, message: str) -> None:
        code = message.split(" ", 1)[0] if message else "ERR"
        self.stats.total_error_replies += 1
        self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
