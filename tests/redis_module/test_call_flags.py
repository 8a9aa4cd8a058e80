"""ctx.call's RM_Call flags and what a module command propagates, through the real dispatcher
in process and over the wire (the fx_calls fixture modules), the AOF parsed from disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_module_helpers import fx_env, raw_replies

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.persistence.aof import iter_commands
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module import RedisModuleManager
from ferrite_host.testing import FerriteProcess, run_command

WRITE_REFUSED = "ERR Write command 'set' was called while write is not allowed."
SCRIPT_REFUSED = "ERR command 'multi' is not allowed on script mode"
OOM = "OOM command not allowed when used memory > 'maxmemory'."
ACL_COMMAND_REFUSED = "ERR acl verification failed, can't run this command or subcommand."


# -- in process ---------------------------------------------------------------------------


@pytest.fixture
def calls(mstate: ServerState, manager: RedisModuleManager) -> ServerState:
    manager.load("fx_calls")
    manager.load("fx_calls_redis")
    return mstate


@pytest.fixture
def sent(calls: ServerState) -> list[list[list[bytes]]]:
    """What reaches the propagation sinks (the AOF's seam), one entry per propagation."""
    seen: list[list[list[bytes]]] = []
    calls.propagation_sinks.append(lambda db, commands: seen.append(commands))
    return seen


@pytest.fixture
def run(calls: ServerState, msession: Session) -> Callable[..., Any]:
    def execute(*args: str | bytes | int) -> Any:
        return run_command(calls, msession, *args)

    return execute


def test_unknown_flag_is_refused_naming_it(run: Callable[..., Any]) -> None:
    reply = run("fxc.call", "!x", "PING")
    assert type(reply) is Error and "'x'" in reply and "unknown ctx.call flag" in reply


def test_accepted_flags_run_the_command(run: Callable[..., Any]) -> None:
    for flags in ("E", "K", "R", "A", "EK3"):
        assert run("fxc.call", flags, "PING") == "PONG"


def test_w_refuses_writes_with_redis_text(run: Callable[..., Any]) -> None:
    assert run("fxc.call", "W", "SET", "k", "v") == Error(WRITE_REFUSED)
    assert run("GET", "k") is None
    assert run("fxc.call", "W", "GET", "k") is None


def test_s_refuses_noscript_commands(run: Callable[..., Any]) -> None:
    assert run("fxc.call", "S", "MULTI") == Error(SCRIPT_REFUSED)
    assert run("fxc.call", "S", "SET", "k", "v") == "OK"


def test_m_refuses_deny_oom_commands_over_maxmemory(run: Callable[..., Any]) -> None:
    assert run("fxc.call", "M", "SET", "k", "v") == "OK"  # no maxmemory: never refused
    assert run("CONFIG", "SET", "maxmemory", "1") == "OK"
    assert run("fxc.call", "M", "SET", "k", "w") == Error(OOM)
    assert run("fxc.call", "M", "GET", "k") == b"v"  # not deny-oom
    assert run("fxc.call", "", "SET", "k", "w") == "OK"  # without M: not checked


def test_c_applies_the_callers_acl(calls: ServerState, run: Callable[..., Any]) -> None:
    assert run("ACL", "SETUSER", "bob", "on", "nopass", "~*", "+fxc.call", "+get") == "OK"
    bob = calls.new_session("127.0.0.1:40001", "127.0.0.1:6379")
    assert run_command(calls, bob, "AUTH", "bob", "x") == "OK"
    direct = run_command(calls, bob, "SET", "k", "v")
    assert type(direct) is Error and direct.startswith("NOPERM")
    refused = run_command(calls, bob, "fxc.call", "C", "SET", "k", "v")
    assert refused == Error(ACL_COMMAND_REFUSED)
    assert run("ACL", "LOG", "1")[0][b"context"] == b"module"
    assert run_command(calls, bob, "fxc.call", "C", "GET", "k") is None
    assert run_command(calls, bob, "fxc.call", "", "SET", "k", "v") == "OK"  # no C: allowed


def test_protocol_flags_choose_the_calls_protocol(
    msession: Session, run: Callable[..., Any]
) -> None:
    def resp(flags: str) -> bytes:
        info = run("fxc.call", flags, "CLIENT", "INFO")
        return info.data.split(b" resp=")[1][:1]

    assert (resp(""), resp("3"), resp("0")) == (b"2", b"3", b"2")
    msession.protocol = 3
    assert (resp(""), resp("3"), resp("0")) == (b"2", b"3", b"3")


def test_bang_propagates_the_call_instead_of_the_command(
    run: Callable[..., Any], sent: list[list[list[bytes]]]
) -> None:
    assert run("fxc.call", "!", "SET", "k", "v", "EX", "100") == "OK"
    assert sent[-1][0][:3] == [b"SET", b"k", b"v"] and b"PXAT" in sent[-1][0]  # as SET rewrote
    assert run("fxc.call", "", "SET", "k", "w") == "OK"
    assert sent[-1] == [[b"fxc.call", b"", b"SET", b"k", b"w"]]  # Ferrite's verbatim rule
    count = len(sent)
    assert run("fxc.call", "!A", "SET", "k", "x") == "OK"  # replicas only: none exist
    assert run("fxc.call", "!", "GET", "k") == b"x"  # changed nothing: nothing to propagate
    assert len(sent) == count
    assert run("fxc.call", "!R", "SET", "k", "y") == "OK"
    assert sent[-1] == [[b"SET", b"k", b"y"]]


def test_two_propagated_commands_are_one_multi_exec(
    run: Callable[..., Any], sent: list[list[list[bytes]]]
) -> None:
    assert run("fxc.pair", "a", "b") == "OK"
    assert sent[-1] == [[b"MULTI"], [b"INCR", b"a"], [b"INCR", b"b"], [b"EXEC"]]


def test_redis_rule_option_never_propagates_the_command_itself(
    run: Callable[..., Any], sent: list[list[list[bytes]]]
) -> None:
    assert run("fxr.write", "k", "v") == "OK"
    assert run("GET", "k") == b"v"
    assert sent == []
    assert run("fxr.call", "!", "SET", "k", "w") == "OK"
    assert sent == [[[b"SET", b"k", b"w"]]]


# -- over the wire, the AOF read from disk ---------------------------------------------------


@pytest.fixture(scope="module")
def aof_server(fx_site: Path) -> Iterator[FerriteProcess]:
    with FerriteProcess(
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        modules=["fx_calls", "fx_calls_redis"],
        env=fx_env(fx_site),
    ) as proc:
        yield proc


@pytest.fixture
def wire(aof_server: FerriteProcess) -> Iterator[redis.Redis]:
    client = raw_replies(aof_server.client(protocol=2))
    client.flushall()
    yield client
    client.close()


def appended(server: FerriteProcess, client: redis.Redis, *command: Any) -> list[list[bytes]]:
    """The commands the AOF gained while `command` ran (SELECTs left out)."""
    path = server.dir / "appendonly.aof"
    before = path.stat().st_size
    client.execute_command(*command)
    data = path.read_bytes()[before:]
    return [c.argv for c in iter_commands(data) if c.argv[0].upper() != b"SELECT"]


def error_of(client: redis.Redis, *args: object) -> redis.ResponseError:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return info.value


def text(expected: str) -> str:
    """`expected` as redis-py shows it: without the error code it turned into a class."""
    return expected.split(" ", 1)[1]


def test_refusals_over_the_wire(aof_server: FerriteProcess, wire: redis.Redis) -> None:
    assert str(error_of(wire, "fxc.call", "W", "SET", "k", "v")) == text(WRITE_REFUSED)
    assert str(error_of(wire, "fxc.call", "S", "MULTI")) == text(SCRIPT_REFUSED)
    assert "unknown ctx.call flag 'z'" in str(error_of(wire, "fxc.call", "z", "PING"))
    assert wire.execute_command("fxc.call", "EK", "PING") == b"PONG"
    wire.execute_command("CONFIG", "SET", "maxmemory", "1")
    try:
        refused = error_of(wire, "fxc.call", "M", "SET", "k", "v")
        assert isinstance(refused, redis.exceptions.OutOfMemoryError)
        assert str(refused) == text(OOM)
    finally:
        wire.execute_command("CONFIG", "SET", "maxmemory", "0")
    wire.execute_command("ACL", "SETUSER", "carol", "on", ">pw", "~*", "+fxc.call", "+auth")
    carol = raw_replies(aof_server.client(protocol=2))
    try:
        carol.execute_command("AUTH", "carol", "pw")
        via_module = error_of(carol, "fxc.call", "C", "SET", "k", "v")
        assert str(via_module) == text(ACL_COMMAND_REFUSED)
    finally:
        carol.close()
        wire.execute_command("ACL", "DELUSER", "carol")


def test_protocols_over_the_wire(aof_server: FerriteProcess, wire: redis.Redis) -> None:
    assert b" resp=3 " in wire.execute_command("fxc.call", "3", "CLIENT", "INFO")
    assert b" resp=2 " in wire.execute_command("fxc.call", "0", "CLIENT", "INFO")
    resp3 = aof_server.client(protocol=3)
    try:
        assert b" resp=3 " in resp3.execute_command("fxc.call", "0", "CLIENT", "INFO")
        assert b" resp=2 " in resp3.execute_command("fxc.call", "", "CLIENT", "INFO")
    finally:
        resp3.close()


def test_propagation_in_the_aof(aof_server: FerriteProcess, wire: redis.Redis) -> None:
    pair = [[b"INCR", b"a"], [b"INCR", b"b"]]
    assert appended(aof_server, wire, "fxc.pair", "a", "b") == [[b"MULTI"], *pair, [b"EXEC"]]
    assert appended(aof_server, wire, "fxc.call", "!", "SET", "k", "v") == [[b"SET", b"k", b"v"]]
    assert appended(aof_server, wire, "fxc.call", "!A", "SET", "k", "v") == []
    assert appended(aof_server, wire, "fxc.write", "k", "w") == [[b"fxc.write", b"k", b"w"]]
    assert appended(aof_server, wire, "fxr.write", "k", "x") == []
    assert wire.get("k") == b"x"


def test_no_nested_blocks_in_exec_or_scripts(aof_server: FerriteProcess, wire: redis.Redis) -> None:
    tx = wire.pipeline(transaction=True)
    tx.execute_command("fxc.pair", "a", "b")
    tx.set("c", "1")
    path = aof_server.dir / "appendonly.aof"
    before = path.stat().st_size
    tx.execute()
    got = [c.argv for c in iter_commands(path.read_bytes()[before:])]
    got = [argv for argv in got if argv[0].upper() != b"SELECT"]
    assert got == [[b"MULTI"], [b"INCR", b"a"], [b"INCR", b"b"], [b"SET", b"c", b"1"], [b"EXEC"]]
    script = "redis.call('fxc.pair', KEYS[1], KEYS[2]) return 1"
    assert appended(aof_server, wire, "EVAL", script, 2, "a", "b") == [
        [b"MULTI"],
        [b"INCR", b"a"],
        [b"INCR", b"b"],
        [b"EXEC"],
    ]
