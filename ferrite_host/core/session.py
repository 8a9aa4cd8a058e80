"""Per-client state: selected database, protocol version, auth, name, transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState
    from ferrite_host.keyspace import Database

#: Decides whether `session` may run a command now: None, or the error to answer instead
#: (pub/sub's RESP2 subscribed mode sets one while a client has subscriptions).
CommandGate = Callable[["Session", "CommandSpec"], "str | None"]
#: Told about every command `session` ran, after it ran (client tracking sets one).
CommandObserver = Callable[["Session", "CommandSpec", list[bytes]], None]


class Session:
    """Everything the server knows about one client connection (or an internal caller)."""

    def __init__(
        self,
        state: ServerState,
        client_id: int,
        addr: str = "",
        laddr: str = "",
        kind: str = "normal",
    ) -> None:
        self.state = state
        self.id = client_id
        self.addr = addr
        self.laddr = laddr
        self.kind = kind
        #: How the client is connected: "tcp", "unix" (CLIENT LIST flag U) or "tls".
        self.conn_type = "tcp"
        self.db_index = 0
        self.db: Database = state.keyspace[0]
        self.protocol = 2
        self.name = ""
        self.lib_name = ""
        self.lib_ver = ""
        self.authenticated = not state.auth_required
        #: The ACL user this client is authenticated as.
        self.user = "default"
        self.created = time.time()
        self.last_interaction = self.created
        self.last_command = "NULL"
        self.close_after_reply = False
        #: Set by the connection; CLIENT KILL and SHUTDOWN use it to close the socket.
        self.closer: Any = None
        #: Set by the connection: writes an out-of-band reply (a pub/sub message, a keyspace
        #: notification) to this client from the event loop. None for internal callers.
        self.push_writer: Callable[[Any], None] | None = None
        #: Set by the connection: bytes of replies written but not yet sent (CLIENT LIST's
        #: omem, the output buffer limits). None for internal callers.
        self.output_pending: Callable[[], int] | None = None
        #: Set by subsystems while they restrict or watch this client's commands.
        self.command_gate: CommandGate | None = None
        self.command_observer: CommandObserver | None = None
        # Transactions (MULTI ... EXEC) keep their state here.
        self.in_multi = False
        self.multi_queue: list[list[bytes]] = []
        self.multi_failed = False
        self.watched: set[tuple[int, bytes]] = set()
        self.watch_dirty = False
        self.in_exec = False
        self.tx_propagation: list[tuple[int, list[bytes]]] = []
        #: What a write command asked to propagate instead of its own argv.
        self.propagation: list[list[bytes]] | None = None

    @property
    def must_authenticate(self) -> bool:
        """Only no-auth commands may run: not logged in while the default user needs AUTH
        (a client connected while it did not stays in, as in Redis)."""
        return not self.authenticated and self.state.auth_required

    def select(self, index: int) -> None:
        self.db_index = index
        self.db = self.state.keyspace[index]

    def replace_propagation(self, *commands: list[bytes]) -> None:
        """Propagate these commands instead of the one being executed."""
        self.propagation = list(commands)

    def push(self, reply: Any) -> None:
        """Send `reply` to this client out of band (RESP3 push; RESP2 an array)."""
        if self.push_writer is not None:
            self.push_writer(reply)

    def abort_transaction(self) -> None:
        """Drop a MULTI block and its WATCHes (an EXEC the server refused)."""
        self.in_multi = False
        self.multi_queue = []
        self.multi_failed = False
        self.state.transactions.unwatch(self)

    def reset(self) -> None:
        """Back to a fresh connection's state (RESET)."""
        self.state.transactions.unwatch(self)
        self.state.oversight.monitors.remove(self.id)
        self.state.hooks.hook.ferrite_client_released(state=self.state, session=self)
        self.in_multi = False
        self.multi_queue = []
        self.multi_failed = False
        self.select(0)
        self.protocol = 2
        self.name = ""
        self.authenticated = not self.state.auth_required
        self.user = "default"
