"""`client-output-buffer-limit` for one connection: a client whose unsent replies pass its
class's hard limit, or stay above its soft limit for longer than the soft seconds, is
disconnected at once (its pending replies dropped), so a subscriber that never reads cannot
make the server's memory grow without bound.

Checked when a write leaves bytes unsent, as Redis checks when it adds to a reply buffer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from ferrite_host.commands.clientinfo import client_line
from ferrite_host.core import output_limits
from ferrite_host.pubsub import PubSub

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")


class OutputGuard:
    __slots__ = ("_session", "_soft_since", "_state", "_transport")

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._session: Session | None = None
        self._transport: asyncio.Transport | None = None
        #: time.monotonic() since when the output has stayed above the soft limit.
        self._soft_since: float | None = None

    def watch(self, session: Session, transport: asyncio.Transport) -> None:
        self._session, self._transport = session, transport

    def pending(self) -> int:
        transport = self._transport
        if transport is None or transport.is_closing():
            return 0
        return int(transport.get_write_buffer_size())

    def client_class(self, session: Session) -> str:
        return "pubsub" if PubSub.of(self._state).subscribed(session) else "normal"

    def check(self) -> None:
        session, transport = self._session, self._transport
        if session is None or transport is None or transport.is_closing():
            return
        limits = output_limits.parse(self._state.settings.client_output_buffer_limit)
        hard, soft, soft_seconds = limits[self.client_class(session)]
        pending = int(transport.get_write_buffer_size())
        if hard and pending >= hard:
            self._disconnect(session, transport)
        elif soft and pending >= soft:
            now = time.monotonic()
            if self._soft_since is None:
                self._soft_since = now
            elif now - self._soft_since > soft_seconds:
                self._disconnect(session, transport)
        else:
            self._soft_since = None

    def _disconnect(self, session: Session, transport: asyncio.Transport) -> None:
        log.warning(
            "Client %s scheduled to be closed ASAP for overcoming of output buffer limits.",
            client_line(session),
        )
        session.close_after_reply = True  # a batch being answered stops here
        transport.abort()  # drop what is pending: that is the memory being reclaimed
