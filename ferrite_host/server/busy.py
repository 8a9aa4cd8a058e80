"""The network layer's busy pump: other clients are read and answered while one call runs.

Installed as `state.event_pump` by the server. Each pump call (at most every
`PUMP_INTERVAL` seconds, whatever the caller's rate) polls the other connections' sockets
without blocking, feeds what arrived to each connection's own parser (partial frames stay
there for after the call), and answers every complete command: `-BUSY ...` for most, a real
run for those flagged allow_busy (SCRIPT KILL, FUNCTION KILL, QUIT, AUTH, HELLO, ...), and
SHUTDOWN only with NOSAVE, which ends the process at once as Redis does while busy.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.server.connection import Connection

log = logging.getLogger("ferrite")

#: Seconds between two polls: often enough for a client to see BUSY at once, rarely enough
#: that a hot Lua hook does not spend its time in select().
PUMP_INTERVAL = 0.05


class RawTransport:
    """The transport of a client accepted while the loop was busy, until the loop adopts
    the socket (then the connection gets the loop's own transport and keeps its session
    and partial frames)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._closing = False
        sock.settimeout(1.0)  # replies are small; a stuck client cannot hold the pump long

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "socket":
            return self._sock
        try:
            if name == "peername":
                return self._sock.getpeername()
            if name == "sockname":
                return self._sock.getsockname()
        except OSError:
            return default
        return default

    def write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError:
            self.close()

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return 0  # writes block until sent

    def abort(self) -> None:
        self.close()

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._sock.close()


class BusyPump:
    def __init__(
        self,
        connections: set[Connection],
        listeners: list[socket.socket] | None = None,
        new_connection: Callable[[], Connection] | None = None,
    ) -> None:
        self._connections = connections
        self._listeners = {sock.fileno(): sock for sock in listeners or []}
        self._new_connection = new_connection
        self._last = 0.0

    def pump(self, busy_error: str) -> None:
        now = time.monotonic()
        if now - self._last < PUMP_INTERVAL:
            return
        self._last = now
        waiting = {conn.fileno(): conn for conn in self._connections if conn.can_pump()}
        waiting.pop(-1, None)
        try:
            readable, _, _ = select.select([*waiting, *self._listeners], [], [], 0)
        except (OSError, ValueError):  # a socket closed under us: next time
            return
        for fd in readable:
            if fd in self._listeners:
                self._accept(self._listeners[fd])
            else:
                waiting[fd].serve_while_busy(busy_error)

    def _accept(self, listener: socket.socket) -> None:
        """A client connecting while busy is served at once and handed to the loop later."""
        if self._new_connection is None:
            return
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        connection = self._new_connection()
        transport = RawTransport(sock)
        connection.connection_made(transport)  # type: ignore[arg-type]
        loop = asyncio.get_event_loop()
        loop.call_soon(_adopt, loop, connection, transport, sock)


def _adopt(
    loop: asyncio.AbstractEventLoop, connection: Connection, raw: RawTransport, sock: socket.socket
) -> None:
    """Once the long call is over, the loop takes the socket over from the raw transport."""
    if raw.is_closing():
        connection.connection_lost(None)
        return
    sock.setblocking(False)
    future = asyncio.ensure_future(loop.connect_accepted_socket(lambda: connection, sock))
    future.add_done_callback(lambda done: done.exception())  # a vanished client: ignore


def listening_copies(sockets: list[Any]) -> list[socket.socket]:
    """Private duplicates of the server's listening sockets (the loop keeps its own), so
    the pump can accept on them without going through the loop."""
    copies = []
    for listening in sockets:
        try:
            copy = socket.socket(fileno=os.dup(listening.fileno()))
        except OSError:
            continue
        copy.setblocking(False)
        copies.append(copy)
    return copies


def exit_now(reason: str) -> None:
    """SHUTDOWN NOSAVE while busy: Redis exits without finishing the running call."""
    log.warning("%s: exiting now, without saving", reason)
    logging.shutdown()
    os._exit(0)
