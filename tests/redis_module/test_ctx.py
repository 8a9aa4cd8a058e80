"""The command context: identity, call, replicate, select, log, strings, and error handling."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from redis_module_helpers import add_command

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import Error, SimpleString
from ferrite_host.redis_module.api import (
    ErrorReply,
    KeyMode,
    RedisModuleCtx,
    RedisModuleString,
    Status,
)
from ferrite_host.testing import run_command

Args = list[RedisModuleString]


@pytest.fixture
def propagated(state: ServerState) -> list[tuple[int, list[list[bytes]]]]:
    seen: list[tuple[int, list[list[bytes]]]] = []
    state.propagation_sinks.append(lambda db, cmds: seen.append((db, cmds)))
    return seen


run = run_command


def test_identity(state: ServerState, session: Session) -> None:
    seen: dict[str, Any] = {}

    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        seen.update(
            name=ctx.command_name, db=ctx.db, id=ctx.client_id, proto=ctx.protocol, args=args
        )
        seen["module"] = ctx.module.name if ctx.module else None
        ctx.reply_with_simple_string("OK")

    add_command(state, "T.Who", callback)
    session.select(2)
    session.protocol = 3
    assert run(state, session, "t.WHO", "a", b"\xff") == "OK"
    assert seen == {
        "name": "T.Who",
        "db": 2,
        "id": session.id,
        "proto": 3,
        "args": [b"a", b"\xff"],
        "module": "m_T_Who",
    }
    assert all(type(a) is RedisModuleString for a in seen["args"])


def test_create_string(session: Session) -> None:
    ctx = RedisModuleCtx(session, "x")
    assert ctx.create_string("héllo") == "héllo".encode()
    assert ctx.create_string(b"\x00") == b"\x00"
    assert ctx.create_string(12) == b"12"
    assert ctx.create_string(2.5) == b"2.5"
    assert type(ctx.create_string("x")) is RedisModuleString


def test_select_db(state: ServerState, session: Session) -> None:
    ctx = RedisModuleCtx(session, "x")
    assert ctx.select_db(5) == Status.OK
    assert session.db_index == 5 and ctx.db == 5
    assert ctx.select_db(16) == Status.ERR
    assert ctx.select_db(-1) == Status.ERR
    assert session.db_index == 5


def test_log_prefixes_the_module_name(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    ctx = RedisModuleCtx(session, "x")
    with caplog.at_level(logging.DEBUG, logger="ferrite"):
        ctx.log("warning", "disk is on fire")
        ctx.log("debug", "details")
        ctx.log("whatever", "default level")
    levels = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert levels == [
        (logging.WARNING, "<?> disk is on fire"),
        (logging.DEBUG, "<?> details"),
        (logging.INFO, "<?> default level"),
    ]


def test_call_runs_builtins_and_returns_values(state: ServerState, session: Session) -> None:
    ctx = RedisModuleCtx(session, "x")
    session.select(1)
    assert ctx.call("SET", "k", b"v") == "OK"
    assert isinstance(ctx.call("SET", "k", "v"), SimpleString)
    assert ctx.call(b"GET", RedisModuleString(b"k")) == b"v"
    assert state.keyspace[1].get(b"k") == b"v"
    assert ctx.call("SET", "n", 5) == "OK" and ctx.call("GET", "n") == b"5"
    error = ctx.call("NOSUCHCMD")
    assert isinstance(error, ErrorReply) and error.startswith("ERR unknown command 'NOSUCHCMD'")
    assert ctx.call("SELECT", "3") == "OK"
    assert session.db_index == 1  # the inner client's SELECT does not move the caller
    ctx.release()


def test_call_reaches_module_commands_and_needs_no_auth(
    state: ServerState, session: Session
) -> None:
    add_command(state, "t.inner", lambda ctx, args: ctx.reply_with_long_long(len(args)))
    state.settings.requirepass = "secret"
    ctx = RedisModuleCtx(session, "x")
    assert ctx.call("t.inner", "a", "b") == 2
    assert ctx.call("GET", "nothing") is None


def test_default_write_propagates_verbatim(
    state: ServerState, session: Session, propagated: list[Any]
) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        ctx.open_key(args[0], KeyMode.WRITE).string_set(args[1])
        ctx.reply_with_simple_string("OK")

    add_command(state, "t.set", callback, "write", (1, 1, 1))
    assert run(state, session, "T.SET", "k", "v") == "OK"
    assert propagated == [(0, [[b"T.SET", b"k", b"v"]])]


def test_readonly_and_no_change_do_not_propagate(
    state: ServerState, session: Session, propagated: list[Any]
) -> None:
    add_command(state, "t.ro", lambda ctx, args: ctx.reply_with_long_long(1), "readonly")
    add_command(state, "t.nochange", lambda ctx, args: ctx.reply_with_long_long(1), "write")
    run(state, session, "t.ro")
    run(state, session, "t.nochange")
    assert propagated == []


def test_call_inside_write_command_propagates_the_outer_command(
    state: ServerState, session: Session, propagated: list[Any]
) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        ctx.call("SET", args[0], args[1], "EX", "100")  # SET EX rewrites its own propagation
        ctx.reply_with_simple_string("OK")

    add_command(state, "t.wrap", callback, "write", (1, 1, 1))
    run(state, session, "t.wrap", "k", "v")
    assert propagated == [(0, [[b"t.wrap", b"k", b"v"]])]


def test_replicate_accumulates_and_replaces_verbatim(
    state: ServerState, session: Session, propagated: list[Any]
) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        ctx.call("SET", args[0], args[1])
        assert ctx.replicate("SET", args[0], bytes(args[1]) + b"!", 5) == Status.OK
        assert ctx.replicate_verbatim() == Status.OK
        assert ctx.replicate("NO.SUCH.COMMAND", "x") == Status.ERR
        ctx.reply_with_simple_string("OK")

    add_command(state, "t.rep", callback, "write", (1, 1, 1))
    session.select(4)
    run(state, session, "t.rep", "k", "v")
    # Two propagated commands: one MULTI ... EXEC, as Redis wraps them.
    block = [[b"MULTI"], [b"SET", b"k", b"v!", b"5"], [b"t.rep", b"k", b"v"], [b"EXEC"]]
    assert propagated == [(4, block)]


def test_replicate_works_for_readonly_commands(
    state: ServerState, session: Session, propagated: list[Any]
) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        ctx.replicate("DEL", "x")
        ctx.reply_with_long_long(0)

    add_command(state, "t.ro2", callback, "readonly")
    run(state, session, "t.ro2")
    assert propagated == [(0, [[b"DEL", b"x"]])]


def test_internal_call_session_is_dropped(state: ServerState, session: Session) -> None:
    clients_before = dict(state.clients)
    ctx = RedisModuleCtx(session, "x")
    ctx.call("PING")
    ctx.release()
    assert state.clients == clients_before


# -- failures inside callbacks -------------------------------------------------------------


def test_raising_callback_answers_err_and_logs_traceback(
    state: ServerState, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        ctx.open_key("k", KeyMode.WRITE).string_set(b"kept")
        ctx.reply_with_simple_string("dropped")
        raise KeyError("missing thing")

    add_command(state, "t.boom", callback, "write")
    with caplog.at_level(logging.ERROR, logger="ferrite"):
        reply = run(state, session, "t.boom")
    assert reply == Error("ERR module command 't.boom' raised KeyError: 'missing thing'")
    assert "Traceback" in caplog.text and "missing thing" in caplog.text
    assert session.db.get(b"k") == b"kept"  # writes done before the error stay, as in Redis
    assert run(state, session, "PING") == "PONG"
    assert state.stats.errors["ERR"] == 1


def test_callback_without_reply(state: ServerState, session: Session) -> None:
    add_command(state, "t.silent", lambda ctx, args: Status.OK)
    assert run(state, session, "t.silent") == Error(
        "ERR module command 't.silent' returned without replying"
    )


def test_callback_replying_twice(state: ServerState, session: Session) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        ctx.reply_with_long_long(1)
        ctx.reply_with_long_long(2)

    add_command(state, "t.twice", callback)
    assert run(state, session, "t.twice") == Error(
        "ERR module command 't.twice' replied 2 times instead of once"
    )


def test_return_value_of_callback_is_ignored(state: ServerState, session: Session) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> Status:
        ctx.reply_with_long_long(7)
        return Status.ERR

    add_command(state, "t.err", callback)
    assert run(state, session, "t.err") == 7


def test_open_keys_are_closed_after_the_callback(state: ServerState, session: Session) -> None:
    handles: list[Any] = []

    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        handles.append(ctx.open_key("k", KeyMode.WRITE))
        ctx.reply_with_null()

    add_command(state, "t.leak", callback)
    run(state, session, "t.leak")
    assert handles[0].closed


def test_wrong_arity_names_the_declared_command(state: ServerState, session: Session) -> None:
    add_command(state, "Hello.Push", lambda ctx, args: ctx.wrong_arity())
    assert run(state, session, "HELLO.PUSH") == Error(
        "ERR wrong number of arguments for 'Hello.Push' command"
    )


def test_module_commands_work_inside_multi(state: ServerState, session: Session) -> None:
    add_command(state, "t.count", lambda ctx, args: ctx.reply_with_long_long(len(args)))
    if state.commands.lookup("multi") is None:
        pytest.skip("MULTI is not implemented yet")
    assert run(state, session, "MULTI") == "OK"
    assert run(state, session, "t.count", "a") == "QUEUED"
    assert run(state, session, "EXEC") == [1]
