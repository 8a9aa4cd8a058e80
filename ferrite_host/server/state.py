"""The server's shared state: settings, keyspace, command table, clients and counters.

Everything a command handler may reach hangs off this one object (via `session.state`).
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.commands import builtin_specs
from ferrite_host.commands.table import CommandTable
from ferrite_host.config import Settings
from ferrite_host.keyspace import Keyspace, ValueType
from ferrite_host.server.dispatcher import Dispatcher
from ferrite_host.server.notifications import KeyspaceNotifier
from ferrite_host.server.pubsub import PubSub
from ferrite_host.server.session import Session
from ferrite_host.server.tracking import Tracking
from ferrite_host.server.transactions import Transactions

if TYPE_CHECKING:
    from ferrite_host.persistence.manager import Persistence
    from ferrite_host.redis_module.manager import RedisModuleManager

#: (db index, commands) for every change that must reach the append-only file.
PropagationSink = Callable[[int, list[list[bytes]]], None]

log = logging.getLogger("ferrite")


class Stats:
    def __init__(self) -> None:
        self.total_connections = 0
        self.total_commands = 0
        self.rejected_connections = 0
        self.total_error_replies = 0
        self.errors: dict[str, int] = {}
        self.net_input_bytes = 0
        self.net_output_bytes = 0
        # Redis's instantaneous_* metrics: rates over the last few cron samples.
        self._samples: list[tuple[float, int, int, int]] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def sample(self, now: float) -> None:
        """Record the counters once per cron tick (the last 16 samples are kept)."""
        counters = (now, self.total_commands, self.net_input_bytes, self.net_output_bytes)
        self._samples.append(counters)
        if len(self._samples) > 16:
            del self._samples[0]

    def instantaneous(self) -> tuple[float, float, float]:
        """(ops/sec, input kbps, output kbps) over the sampled window."""
        if len(self._samples) < 2:
            return 0.0, 0.0, 0.0
        (t0, c0, i0, o0), (t1, c1, i1, o1) = self._samples[0], self._samples[-1]
        elapsed = max(t1 - t0, 1e-6)
        return (c1 - c0) / elapsed, (i1 - i0) / elapsed / 1024, (o1 - o0) / elapsed / 1024


class ServerState:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.keyspace = Keyspace(self.settings.databases)
        self.commands = CommandTable()
        self.commands.register_all(builtin_specs())
        self.stats = Stats()
        self.started = time.time()
        self.run_id = secrets.token_hex(20)
        self.pid = os.getpid()
        self.clients: dict[int, Session] = {}
        self._next_client_id = 1
        self.dirty = 0
        self.keyspace.subscribe(self._count_change)
        self.transactions = Transactions(self)
        self.pubsub = PubSub()
        self.dispatcher = Dispatcher(self)
        self.propagation_sinks: list[PropagationSink] = []
        self.modules: RedisModuleManager | None = None
        self.persistence: Persistence | None = None
        self.loading = False
        self.tcp_port = self.settings.port
        self.event_loop_name = "asyncio"
        self.parser_name = "hiredis"
        #: Set by the network layer; called by SHUTDOWN to stop the server.
        self.request_shutdown: Callable[..., None] = lambda save=None: None
        #: Called every cron tick (persistence timers register here).
        self.cron_hooks: list[Callable[[], None]] = []
        #: Called on shutdown with the SAVE/NOSAVE choice (None = default).
        self.shutdown_hooks: list[Callable[[bool | None], None]] = []
        #: Extra INFO sections by lower-case name (modules, persistence register theirs):
        #: each returns (field, value) pairs in display order.
        self.info_sections: dict[str, Callable[[], list[tuple[str, object]]]] = {}
        #: Called after CONFIG SET with the names (Settings fields) it changed.
        self.config_listeners: list[Callable[[set[str]], None]] = []
        #: Module value types by name (the module layer fills this; persistence reads it).
        self.module_types: dict[str, ValueType] = {}
        self.extra: dict[str, Any] = {}
        self.notifier = KeyspaceNotifier(self)
        self.tracking = Tracking(self)
        self.cron_hooks.append(self._send_invalidations)

    def _count_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if event == "new":
            return  # announces the event that follows; one change, not two
        if event == "expired":
            # As Redis: an expiry is not a change a command made; it reaches the append-only
            # file as its own DEL, ahead of the command whose lookup noticed it, so a replay
            # never resurrects the key or loses the write that followed.
            if key is not None and self.propagation_sinks:
                self.propagate(db, [[b"DEL", key]])
            return
        self.dirty += 1

    def new_session(self, addr: str = "", laddr: str = "", kind: str = "normal") -> Session:
        session = Session(self, self._next_client_id, addr, laddr, kind)
        self._next_client_id += 1
        if kind == "normal":
            self.clients[session.id] = session
        return session

    def drop_session(self, session: Session) -> None:
        self.transactions.unwatch(session)
        self.pubsub.drop(session)
        self.tracking.disable(session)
        session.push_writer = None
        self.clients.pop(session.id, None)

    def _send_invalidations(self) -> None:
        """Changes made outside a client's batch (active expiry, timers, threads)."""
        if self.tracking.pending:
            self.tracking.after_reply()
        self.tracking.send_broadcasts()

    def propagate(self, db: int, commands: list[list[bytes]]) -> None:
        for sink in self.propagation_sinks:
            sink(db, commands)

    def record_error(self, message: str) -> None:
        code = message.split(" ", 1)[0] if message else "ERR"
        self.stats.total_error_replies += 1
        self.stats.errors[code] = self.stats.errors.get(code, 0) + 1
