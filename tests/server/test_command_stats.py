"""Command counters belong to one server: the declarations they count are shared."""

from __future__ import annotations

from ferrite_host.assembly import build_state
from ferrite_host.core.config import Settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import Verbatim
from ferrite_host.testing import run_command


def _commandstats(state: ServerState, session: Session) -> bytes:
    reply = run_command(state, session, "INFO", "commandstats")
    assert isinstance(reply, Verbatim)
    return reply.data


def test_two_servers_count_apart() -> None:
    first, second = build_state(Settings(save="")), build_state(Settings(save=""))
    one, two = first.new_session(), second.new_session()
    assert first.commands.lookup("get") is second.commands.lookup("get")  # one declaration
    run_command(first, one, "GET", "k")
    run_command(first, one, "CONFIG", "GET", "maxmemory")
    run_command(first, one, "GET")  # wrong arity: an error before any spec runs
    assert b"cmdstat_get:calls=1," in _commandstats(first, one)
    assert b"cmdstat_config|get:calls=1," in _commandstats(first, one)
    assert b"cmdstat_get" not in _commandstats(second, two)
    assert b"cmdstat_config|get" not in _commandstats(second, two)
    run_command(first, one, "CONFIG", "RESETSTAT")
    assert b"cmdstat_get" not in _commandstats(first, one)
