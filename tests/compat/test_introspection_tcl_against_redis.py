"""Differential tests from Redis's own introspection tests: TTL/TYPE/EXISTS leave a key's
access time alone, CLIENT KILL ID checks its id, MONITOR names script calls `lua`. Same
calls to a real redis-server and to Ferrite, replies compared."""

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
    return reference_redis()


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as proc:
        proc.start()
        yield proc


@pytest.fixture
def ports(redis_port: int, ferrite: FerriteProcess) -> list[int]:
    return [redis_port, ferrite.port]


def _run(client: redis.Redis, *argv: Any) -> Any:
    try:
        return client.execute_command(*argv)
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"


def test_ttl_type_exists_do_not_touch_the_key(ports: list[int]) -> None:
    clients = [redis.Redis(port=port) for port in ports]
    for client in clients:
        client.set("foo", "bar")
    time.sleep(2.2)
    idle = []
    for client in clients:
        for command in ("TTL", "PTTL", "EXPIRETIME", "TYPE", "EXISTS"):
            client.execute_command(command, "foo")
        idle.append(client.object("idletime", "foo") >= 2)
        client.close()
    assert idle == [True, True]


def test_client_kill_id_must_be_positive(ports: list[int]) -> None:
    replies = []
    for port in ports:
        with redis.Redis(port=port) as client:
            replies.append(
                [
                    _run(client, "CLIENT", "KILL", "ID", value)
                    for value in ("-1", "0", "abc", "99999")
                ]
            )
    assert replies[0] == replies[1]


def _monitored_script_lines(port: int) -> list[str]:
    monitor = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        monitor.sendall(b"MONITOR\r\n")
        assert monitor.recv(100) == b"+OK\r\n"
        with redis.Redis(port=port) as client:
            client.eval("redis.call('set', 'foo', 'bar')", 0)
            client.set("end-marker", 1)
        data = b""
        while b"end-marker" not in data:
            data += monitor.recv(65536)
        lines = [line.split(" ", 1)[1] for line in data.decode().splitlines()]
        return [line for line in lines if "lua" in line]
    finally:
        monitor.close()


def test_monitor_shows_script_calls_as_lua(ports: list[int]) -> None:
    expected, got = (_monitored_script_lines(port) for port in ports)
    assert expected == got == ['[0 lua] "set" "foo" "bar"']
