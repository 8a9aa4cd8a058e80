"""What the dispatcher hands to propagation sinks (the append-only file's input)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ferrite_host.core.state import ServerState


def _record(state: ServerState) -> list[tuple[int, list[list[bytes]]]]:
    seen: list[tuple[int, list[list[bytes]]]] = []
    state.propagation_sinks.append(lambda db, commands: seen.append((db, commands)))
    return seen


def test_write_propagates_verbatim_and_reads_do_not(
    state: ServerState, run: Callable[..., Any]
) -> None:
    seen = _record(state)
    run("SET", "k", "v")
    run("GET", "k")
    run("DEL", "missing")  # a write command that changed nothing
    assert seen == [(0, [[b"SET", b"k", b"v"]])]


def test_lazy_expiry_propagates_a_del_before_the_command(
    state: ServerState, run: Callable[..., Any]
) -> None:
    run("SET", "k", "v", "PX", "5")
    seen = _record(state)
    time.sleep(0.02)
    assert run("PERSIST", "k") == 0
    assert run("SET", "k", "new", "NX") == "OK"
    assert seen == [(0, [[b"DEL", b"k"]]), (0, [[b"SET", b"k", b"new", b"NX"]])]


def test_active_expiry_propagates_a_del(state: ServerState, run: Callable[..., Any]) -> None:
    run("SELECT", "3")
    run("SET", "gone", "v", "PX", "5")
    seen = _record(state)
    time.sleep(0.02)
    state.keyspace.active_expire_cycle(0.05)
    assert seen == [(3, [[b"DEL", b"gone"]])]


def test_expiry_is_not_counted_as_a_change(state: ServerState, run: Callable[..., Any]) -> None:
    run("SET", "k", "v", "PX", "5")
    dirty = state.dirty
    time.sleep(0.02)
    assert run("GET", "k") is None
    assert state.dirty == dirty


def test_eviction_propagates_a_del_before_the_command(
    state: ServerState, run: Callable[..., Any]
) -> None:
    run("SELECT", "2")
    run("SET", "old", "x" * 1000)
    run("SELECT", "0")
    run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    run("CONFIG", "SET", "maxmemory", str(1024 * 1024 + 1500))
    seen = _record(state)
    dirty = state.dirty
    assert run("SET", "new", "y" * 1000) == "OK"  # fits: nothing evicted yet
    assert run("PING") == "PONG"  # over the limit now: one of the two goes first
    evicted = [cmd for db, cmds in seen for cmd in cmds if cmd[0] == b"DEL"]
    assert len(evicted) == 1 and state.stats.evicted_keys == 1
    assert (2, [[b"DEL", b"old"]]) in seen or (0, [[b"DEL", b"new"]]) in seen
    assert state.dirty == dirty + 1  # the SET; an eviction is not a change a command made
