"""HELLO.REPL1 and HELLO.REPL2: replies, and the append-only file compared with what
redis-server 7.0.15 writes for the C helloworld module (checked on that server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis

from ferrite_host.persistence.aof import iter_commands
from ferrite_host.testing import FerriteProcess

#: Redis 7.0.15 with helloworld.so, after HELLO.REPL1 on a fresh server.
REPL1_AOF = [
    [b"SELECT", b"0"],
    [b"MULTI"],
    [b"ECHO", b"foo"],
    [b"INCR", b"foo"],
    [b"INCR", b"bar"],
    [b"EXEC"],
]


@pytest.fixture
def aof_server(ferrite_server_factory: Any, tmp_path: Path) -> FerriteProcess:
    """A server with the hello module and an always-synced AOF (Ferrite, or redis-server
    through the bridge when FERRITE_TEST_HOST=redis-bridge)."""
    args = ("--appendonly", "yes", "--appendfsync", "always")
    server: FerriteProcess = ferrite_server_factory(*args, modules=["hello"], directory=tmp_path)
    return server


def aof_commands(server: FerriteProcess) -> list[list[bytes]]:
    """Every command of the append-only file(s) (Redis 7 keeps them in appendonlydir)."""
    files = sorted(p for p in server.dir.rglob("*.aof") if p.is_file())
    return [c.argv for path in files for c in iter_commands(path.read_bytes())]


def test_repl1_aof_is_one_multi_exec_in_call_order(aof_server: FerriteProcess) -> None:
    client = aof_server.client()
    assert client.execute_command("HELLO.REPL1") == 0
    assert aof_commands(aof_server) == REPL1_AOF
    assert (client.get("foo"), client.get("bar")) == (b"1", b"1")


def test_repl2_increments_the_list_and_propagates_itself(aof_server: FerriteProcess) -> None:
    client = aof_server.client()
    client.rpush("list", "1", "x", "5")
    assert client.execute_command("HELLO.REPL2", "list") == 2 + 1 + 6
    assert client.lrange("list", 0, -1) == [b"2", b"1", b"6"]
    assert aof_commands(aof_server) == [
        [b"SELECT", b"0"],
        [b"RPUSH", b"list", b"1", b"x", b"5"],
        [b"HELLO.REPL2", b"list"],
    ]
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        client.execute_command("HELLO.REPL2", "missing")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        client.execute_command("HELLO.REPL2")
    assert len(aof_commands(aof_server)) == 3
