"""Connection and database commands: PING, ECHO, HELLO, CLIENT, RESET, SELECT, SWAPDB, MOVE,
FLUSHDB, FLUSHALL, DBSIZE."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol import Error, Verbatim
from ferrite_host.testing import FerriteProcess

Run = Callable[..., Any]


def test_ping_echo_and_arity(run: Run) -> None:
    assert run("PING") == "PONG"
    assert run("PING", "hi") == b"hi"
    assert run("PING", "a", "b") == Error("ERR wrong number of arguments for 'ping' command")
    assert run("ECHO", "x\r\ny") == b"x\r\ny"
    assert run("ECHO") == Error("ERR wrong number of arguments for 'echo' command")
    assert run("NOSUCH", "a", "b") == Error(
        "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "
    )


def test_hello(run: Run, session: Session) -> None:
    reply = run("HELLO", "3", "SETNAME", "app")
    assert list(reply) == [b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"]
    assert (reply[b"proto"], reply[b"id"], reply[b"role"]) == (3, session.id, b"master")
    assert session.protocol == 3 and session.name == "app"
    assert run("HELLO")[b"proto"] == 3  # no version: keep the current one
    assert run("HELLO", "2")[b"proto"] == 2
    assert run("HELLO", "4") == Error("NOPROTO unsupported protocol version")
    assert run("HELLO", "x") == Error("ERR Protocol version is not an integer or out of range")
    assert run("HELLO", "3", "BOGUS") == Error("ERR Syntax error in HELLO option 'BOGUS'")
    assert session.protocol == 2


def test_client_id_name_info(run: Run, session: Session) -> None:
    assert run("CLIENT", "ID") == session.id
    assert run("CLIENT", "GETNAME") is None
    assert run("CLIENT", "SETNAME", "worker") == "OK"
    assert run("CLIENT", "GETNAME") == b"worker"
    assert run("CLIENT", "SETNAME", "has space") == Error(
        "ERR Client names cannot contain spaces, newlines or special characters."
    )
    assert run("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == "OK"
    assert run("CLIENT", "SETINFO", "LIB-VER", "5.0") == "OK"
    assert run("CLIENT", "SETINFO", "color", "red") == Error("ERR Unrecognized option 'color'")
    info = run("CLIENT", "INFO")
    assert isinstance(info, Verbatim)
    line = info.data.decode()
    assert line.endswith("\n") and f"id={session.id} " in line
    assert " name=worker " in line and " lib-name=redis-py lib-ver=5.0" in line
    assert run("CLIENT", "NO-EVICT", "on") == "OK"
    assert run("CLIENT", "NO-EVICT", "maybe") == Error("ERR syntax error")
    assert run("CLIENT", "HELP")[0].startswith("CLIENT <subcommand>")


def test_client_list_and_kill(run: Run, state: ServerState, session: Session) -> None:
    other = state.new_session("127.0.0.1:5555")
    closed: list[int] = []
    other.closer = lambda: closed.append(other.id)
    listing = run("CLIENT", "LIST").data.decode().splitlines()
    assert {re.search(r"id=(\d+)", line).group(1) for line in listing} >= {
        str(session.id),
        str(other.id),
    }  # type: ignore[union-attr]
    assert run("CLIENT", "LIST", "ID", str(other.id)).data.decode().count("id=") == 1
    assert run("CLIENT", "LIST", "TYPE", "normal").data.decode().count("id=") == len(state.clients)
    assert run("CLIENT", "LIST", "TYPE", "bogus") == Error("ERR Unknown client type 'bogus'")
    assert run("CLIENT", "KILL", "127.0.0.1:9") == Error("ERR No such client")
    assert run("CLIENT", "KILL", "127.0.0.1:5555") == "OK"
    assert run("CLIENT", "KILL", "ID", str(other.id)) == 1
    assert run("CLIENT", "KILL", "ID", str(session.id)) == 0  # SKIPME yes by default
    assert run("CLIENT", "KILL", "ID", "1", "SKIPME") == Error("ERR syntax error")
    assert closed == [other.id, other.id]


def test_reset(run: Run, session: Session) -> None:
    run("SELECT", "5")
    run("HELLO", "3")
    run("CLIENT", "SETNAME", "x")
    assert run("RESET") == "RESET"
    assert (session.db_index, session.protocol, session.name) == (0, 2, "")


def test_select_and_dbsize(run: Run) -> None:
    run("SET", "a", "1")
    assert run("SELECT", "15") == "OK"
    assert run("DBSIZE") == 0
    run("SET", "b", "2")
    run("SET", "c", "3")
    assert run("DBSIZE") == 2
    assert run("SELECT", "16") == Error("ERR DB index is out of range")
    assert run("SELECT", "-1") == Error("ERR DB index is out of range")
    assert run("SELECT", "x") == Error("ERR value is not an integer or out of range")
    run("SELECT", "0")
    assert run("DBSIZE") == 1


def test_swapdb_move_flush(run: Run) -> None:
    run("SET", "a", "1")
    run("SELECT", "1")
    run("SET", "b", "2")
    assert run("SWAPDB", "0", "1") == "OK"
    assert run("GET", "a") == b"1" and run("GET", "b") is None
    assert run("SWAPDB", "0", "99") == Error("ERR DB index is out of range")
    assert run("SWAPDB", "x", "1") == Error("ERR invalid first DB index")
    assert run("MOVE", "a", "2") == 1
    assert run("MOVE", "a", "2") == 0
    assert run("MOVE", "x", "1") == Error("ERR source and destination objects are the same")
    run("SELECT", "2")
    assert run("GET", "a") == b"1"
    run("SET", "b", "here")
    run("SELECT", "0")
    assert run("MOVE", "b", "2") == 0  # the target already has it
    assert run("FLUSHDB", "ASYNC") == "OK"
    assert run("DBSIZE") == 0
    run("SELECT", "2")
    assert run("DBSIZE") == 2
    assert run("FLUSHALL", "SYNC") == "OK"
    assert run("DBSIZE") == 0
    assert run("FLUSHALL", "NOW") == Error("ERR syntax error")


def test_databases_setting_bounds_select(state: ServerState) -> None:
    assert len(state.keyspace) == 16


def test_client_kill_closes_a_real_connection(r: redis.Redis, server: FerriteProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as victim:
        victim.sendall(b"CLIENT ID\r\n")
        victim_id = int(victim.recv(100)[1:-2])
        assert r.client_kill_filter(_id=victim_id) == 1
        assert victim.recv(100) == b""
    names = [c["id"] for c in r.client_list()]
    assert str(victim_id) not in names


def test_client_list_over_the_wire_shows_every_connection(
    r: redis.Redis, server: FerriteProcess
) -> None:
    second = server.client()
    second.client_setname("second")
    listing = r.client_list()
    assert any(entry["name"] == "second" for entry in listing)
    assert all({"id", "addr", "laddr", "db", "cmd", "resp"} <= set(entry) for entry in listing)
    assert r.client_id() != second.client_id()
    second.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_select_per_connection(server: FerriteProcess, protocol: int) -> None:
    one, two = server.client(db=1, protocol=protocol), server.client(db=2, protocol=protocol)
    one.flushall()
    one.set("k", "in-one")
    assert two.get("k") is None
    assert two.dbsize() == 0 and one.dbsize() == 1
    one.close()
    two.close()


def test_client_list_names_the_running_command_as_the_last_one(run) -> None:  # type: ignore[no-untyped-def]
    assert "cmd=client|list " in run("CLIENT", "LIST").data.decode()
    run("SET", "k", "v")
    assert "cmd=client|info " in run("CLIENT", "INFO").data.decode()


def test_a_failed_auth_does_not_log_out_an_authenticated_client(state, session, run) -> None:  # type: ignore[no-untyped-def]
    state.settings.requirepass = "secret"
    session.authenticated = False
    assert run("AUTH", "secret") == "OK"
    assert run("AUTH", "wrong").startswith("WRONGPASS")
    assert run("SET", "k", "v") == "OK"
