"""Differential tests for WATCH/EXEC corners Redis's own multi.tcl checks: stale (logically
expired) keys under WATCH and SWAPDB, and a transaction meeting a busy script. Same calls to
a real redis-server and to Ferrite, replies compared."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis("--enable-debug-command", "yes")


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as proc:
        proc.start()
        yield proc


@pytest.fixture
def ports(redis_port: int, ferrite: FerriteProcess) -> tuple[int, int]:
    for port in (redis_port, ferrite.port):
        with redis.Redis(port=port) as client:
            client.flushall()
            client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    return redis_port, ferrite.port


def _run(client: redis.Redis, line: str) -> Any:
    argv = line.split()
    if argv[0] == "sleep":
        time.sleep(float(argv[1]))
        return None
    try:
        return client.execute_command(*argv)
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"


def _transcript(port: int, script: str) -> list[tuple[str, Any]]:
    """Run `script` (lines prefixed `a:` or `b:` pick one of two connections)."""
    clients = {
        name: redis.Redis(port=port, socket_timeout=10, single_connection_client=True)
        for name in "ab"
    }
    try:
        out = []
        for line in script.strip().splitlines():
            who, command = line.strip().split(":", 1)
            out.append((line.strip(), _run(clients[who], command.strip())))
        return out
    finally:
        for client in clients.values():
            client.close()


def _compare(ports: tuple[int, int], script: str) -> None:
    expected, got = (_transcript(port, script) for port in ports)
    mismatches = [
        f"{line!r}: redis {theirs!r}, ferrite {ours!r}"
        for (line, theirs), (_, ours) in zip(expected, got, strict=True)
        if theirs != ours
    ]
    assert not mismatches, "\n".join(mismatches)


def test_swapdb_bringing_a_stale_key_is_no_change(ports: tuple[int, int]) -> None:
    _compare(
        ports,
        """
        a: DEBUG SET-ACTIVE-EXPIRE 0
        a: SET x foo PX 1
        a: sleep 0.01
        a: SELECT 1
        a: WATCH x
        a: SWAPDB 0 1
        a: MULTI
        a: PING
        a: EXEC
        a: FLUSHALL
        a: SET x foo PX 1
        a: SELECT 0
        a: SET x bar PX 1
        a: sleep 0.01
        a: SELECT 1
        a: WATCH x
        a: SWAPDB 0 1
        a: MULTI
        a: PING
        a: EXEC
        a: FLUSHALL
        a: SELECT 0
        a: SET y live
        a: SELECT 1
        a: WATCH y
        a: SWAPDB 0 1
        a: MULTI
        a: PING
        a: EXEC
        a: DEBUG SET-ACTIVE-EXPIRE 1
        """,
    )


def test_watching_a_stale_key_keeps_it_stored(ports: tuple[int, int]) -> None:
    _compare(
        ports,
        """
        a: DEBUG SET-ACTIVE-EXPIRE 0
        a: SET x foo PX 1
        a: sleep 0.01
        a: WATCH x
        a: DBSIZE
        a: MULTI
        a: PING
        a: EXEC
        a: SET z foo PX 300
        a: WATCH z
        a: sleep 0.5
        b: DEL z
        a: MULTI
        a: PING
        a: EXEC
        a: SET live v PX 300
        a: WATCH live
        a: sleep 0.5
        a: MULTI
        a: PING
        a: EXEC
        a: DEBUG SET-ACTIVE-EXPIRE 1
        """,
    )


def _until_busy(port: int) -> None:
    probe = redis.Redis(port=port, socket_timeout=10)
    try:
        for _ in range(500):
            try:
                probe.ping()
            except redis.exceptions.BusyLoadingError:
                return
            except redis.ResponseError as exc:
                if str(exc).startswith("BUSY"):
                    return
            time.sleep(0.01)
        raise AssertionError("the script never became busy")
    finally:
        probe.close()


def _busy_transcript(port: int, exec_while_busy: bool) -> list[Any]:
    admin = redis.Redis(port=port, socket_timeout=10)
    admin.config_set("busy-reply-threshold", 10)
    admin.set("xx", 1)
    tx = redis.Redis(port=port, socket_timeout=10, single_connection_client=True)
    looping = socket.create_connection(("127.0.0.1", port), timeout=10)
    out: list[Any] = []
    try:
        if exec_while_busy:
            out += [_run(tx, "MULTI"), _run(tx, "INCR xx")]
        looping.sendall(b"*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n")
        _until_busy(port)
        if not exec_while_busy:
            out += [_run(tx, "MULTI")]
        out += [_run(tx, "INCR xx")]
        if exec_while_busy:
            out += [_run(tx, "EXEC")]
        out += [_run(admin, "SCRIPT KILL")]
        looping.recv(1024)  # the killed script's error reply
        if not exec_while_busy:
            out += [_run(tx, "INCR xx"), _run(tx, "EXEC")]
        out += [_run(tx, "GET xx"), _run(tx, "PING asdf")]
        return out
    finally:
        looping.close()
        tx.close()
        admin.config_set("busy-reply-threshold", 5000)
        admin.close()


@pytest.mark.parametrize("exec_while_busy", [False, True])
def test_a_command_refused_busy_fails_the_transaction(
    ports: tuple[int, int], exec_while_busy: bool
) -> None:
    expected, got = (_busy_transcript(port, exec_while_busy) for port in ports)
    assert expected == got
