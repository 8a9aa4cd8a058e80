"""The network layer's busy pump: other clients are read and answered while one call runs.

Installed as `state.event_pump` by the server. Each pump call (at most every
`PUMP_INTERVAL` seconds, whatever the caller's rate) polls the other connections' sockets
without blocking, feeds what arrived to each connection's own parser (partial frames stay
there for after the call), and answers every complete command: `-BUSY ...` for most, a real
run for those flagged allow_busy (SCRIPT KILL, FUNCTION KILL, QUIT, AUTH, HELLO, ...), and
SHUTDOWN only with NOSAVE, which ends the process at once as Redis does while busy.
"""

from __future__ import annotations

import logging
import os
import select
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferrite_host.server.connection import Connection

log = logging.getLogger("ferrite")

#: Seconds between two polls: often enough for a client to see BUSY at once, rarely enough
#: that a hot Lua hook does not spend its time in select().
PUMP_INTERVAL = 0.05


class BusyPump:
    def __init__(self, connections: set[Connection]) -> None:
        self._connections = connections
        self._last = 0.0

    def pump(self, busy_error: str) -> None:
        now = time.monotonic()
        if now - self._last < PUMP_INTERVAL:
            return
        self._last = now
        waiting = {conn.fileno(): conn for conn in self._connections if conn.can_pump()}
        waiting.pop(-1, None)
        if not waiting:
            return
        try:
            readable, _, _ = select.select(list(waiting), [], [], 0)
        except (OSError, ValueError):  # a socket closed under us: next time
            return
        for fd in readable:
            waiting[fd].serve_while_busy(busy_error)


def exit_now(reason: str) -> None:
    """SHUTDOWN NOSAVE while busy: Redis exits without finishing the running call."""
    log.warning("%s: exiting now, without saving", reason)
    logging.shutdown()
    os._exit(0)
