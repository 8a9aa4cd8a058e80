"""A client's one-line description, as CLIENT LIST / CLIENT INFO and ACL LOG show it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ferrite_host.blocking import Blocking
from ferrite_host.pubsub import PubSub, Subscriptions, Tracking

if TYPE_CHECKING:
    from ferrite_host.core.session import Session


#: Bytes per node of Redis's reply list, to count CLIENT LIST's oll from pending bytes.
REPLY_CHUNK = 16 * 1024


def client_line(session: Session, command: str | None = None) -> str:
    """The client's CLIENT LIST line (`command` overrides cmd=, for a call being refused)."""
    now = time.time()
    subs = PubSub.of(session.state).subscriptions_of(session) or Subscriptions()
    tracking = Tracking.of(session.state).options_of(session)
    flags = (
        ("P" if subs.total else "")
        + ("x" if session.in_multi else "")
        + ("b" if Blocking.of(session.state).is_blocked(session) else "")
        + ("t" if tracking is not None else "")
        + ("R" if tracking is not None and tracking.broken_redirect else "")
        + ("B" if tracking is not None and tracking.bcast else "")
        + ("U" if session.conn_type == "unix" else "")
    ) or "N"
    redirect = tracking.redirect if tracking is not None else -1
    multi = len(session.multi_queue) if session.in_multi else -1
    age, idle = int(now - session.created), int(now - session.last_interaction)
    omem = session.output_pending() if session.output_pending is not None else 0
    oll = -(-omem // REPLY_CHUNK)  # Redis's reply list holds chunks of 16k
    return (
        f"id={session.id} addr={session.addr} laddr={session.laddr} fd=8 name={session.name} "
        f"age={age} idle={idle} flags={flags} db={session.db_index} sub={len(subs.channels)} "
        f"psub={len(subs.patterns)} ssub={len(subs.shard_channels)} multi={multi} "
        f"qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll={oll} "
        f"omem={omem} tot-mem={1024 + omem} "
        f"events=r cmd={command or session.last_command} user={session.user} redir={redirect} "
        f"resp={session.protocol} "
        f"lib-name={session.lib_name} lib-ver={session.lib_ver}"
    )
