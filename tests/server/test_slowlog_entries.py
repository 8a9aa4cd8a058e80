"""Slow log entries through the real dispatcher: Redis's abbreviation of long command lines,
redacted secrets, the length limit, and calls that are never logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ferrite_host.core.oversight.slowlog import trimmed
from ferrite_host.core.state import ServerState


def test_long_lines_are_abbreviated_as_redis_does() -> None:
    argv = [b"cmd", *(b"a%d" % i for i in range(40))]
    shown = trimmed(argv)
    assert len(shown) == 32
    assert shown[:31] == argv[:31]
    assert shown[31] == b"... (10 more arguments)"
    assert trimmed([b"x" * 130]) == [b"x" * 128 + b"... (2 more bytes)"]
    assert trimmed([b"x" * 128]) == [b"x" * 128]
    assert len(trimmed([b"a"] * 32)) == 32


def test_every_call_logged_at_zero_and_trimmed_to_max_len(
    state: ServerState, run: Callable[..., Any]
) -> None:
    run("CONFIG", "SET", "slowlog-log-slower-than", "0")
    run("CONFIG", "SET", "slowlog-max-len", "2")
    run("SET", "k", "v")
    run("AUTH", "hunter2")
    run("GET", "k")
    entries = run("SLOWLOG", "GET", "-1")
    assert [entry[3] for entry in entries] == [[b"GET", b"k"], [b"AUTH", b"(redacted)"]]
    assert entries[0][0] == entries[1][0] + 1
    assert run("SLOWLOG", "LEN") == 2


def test_negative_threshold_disables_and_exec_is_skipped(run: Callable[..., Any]) -> None:
    run("CONFIG", "SET", "slowlog-log-slower-than", "0")
    run("SLOWLOG", "RESET")
    run("MULTI")
    run("INCR", "n")
    run("EXEC")
    logged = [entry[3][0] for entry in run("SLOWLOG", "GET")]
    assert b"EXEC" not in logged and b"INCR" in logged and b"MULTI" in logged
    run("CONFIG", "SET", "slowlog-log-slower-than", "-1")
    run("SLOWLOG", "RESET")
    run("PING")
    assert run("SLOWLOG", "LEN") == 0
