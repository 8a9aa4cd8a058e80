"""MONITOR: stream every command the server executes to this client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import NO_REPLY, OK

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")


@family.command(
    "monitor",
    1,
    "admin noscript loading stale",
    since="1.0.0",
    summary="Listen for all requests received by the server in real time",
    arguments=[],
)
def monitor(session: Session, argv: list[bytes]) -> Any:
    state = session.state
    writer = state.out_of_band.writer(session.id)
    if writer is None or session.in_exec:
        # Redis: a client that expects one reply per command cannot switch to a stream.
        raise CommandError("ERR MONITOR isn't allowed for DENY BLOCKING client")
    monitors = state.oversight.monitors
    if session.id in monitors.writers:
        return NO_REPLY  # already monitoring: Redis ignores it silently
    monitors.add(session.id, writer)
    return OK
