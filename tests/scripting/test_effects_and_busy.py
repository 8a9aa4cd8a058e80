"""What a script leaves behind: its effects propagated (not the script), and the busy hook
that lets the server stop a runaway script (through the dispatcher, no sockets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import Error
from ferrite_host.scripting.run import ScriptRun
from ferrite_host.scripting.scripting import Scripting

Propagated = list[tuple[int, list[list[bytes]]]]


@pytest.fixture
def propagated(state: ServerState) -> Propagated:
    seen: Propagated = []
    state.propagation_sinks.append(lambda db, commands: seen.append((db, commands)))
    return seen


def test_one_write_propagates_alone(run: Callable[..., Any], propagated: Propagated) -> None:
    assert run("EVAL", "return redis.call('SET', KEYS[1], 'v')", 1, "k") == "OK"
    assert propagated == [(0, [[b"SET", b"k", b"v"]])]


def test_several_writes_propagate_as_a_transaction(
    run: Callable[..., Any], propagated: Propagated
) -> None:
    script = "redis.call('SET', 'a', '1') redis.call('GET', 'a') redis.call('INCR', 'a')"
    run("EVAL", script, 0)
    assert propagated == [(0, [[b"MULTI"], [b"SET", b"a", b"1"], [b"INCR", b"a"], [b"EXEC"]])]


def test_reads_and_failed_writes_propagate_nothing(
    run: Callable[..., Any], propagated: Propagated
) -> None:
    run("SET", "s", "text")
    propagated.clear()
    run("EVAL", "redis.call('GET', 's') return redis.pcall('INCR', 's')", 0)
    assert propagated == []


def test_select_inside_a_script_is_propagated_and_undone(
    run: Callable[..., Any], propagated: Propagated
) -> None:
    run(
        "EVAL", "redis.call('SET', 'x', '0') redis.call('SELECT', 1) redis.call('SET', 'y', '1')", 0
    )
    assert propagated == [
        (
            0,
            [
                [b"MULTI"],
                [b"SET", b"x", b"0"],
                [b"SELECT", b"1"],
                [b"SET", b"y", b"1"],
                [b"EXEC"],
            ],  # no SELECT back: as Redis, the stream's next write selects its own db
        )
    ]
    assert run("EXISTS", "y") == 0  # the caller's database did not change


def test_set_repl_none_keeps_writes_out_of_the_aof(
    run: Callable[..., Any], propagated: Propagated
) -> None:
    script = "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'a', '1')"
    run("EVAL", script + " redis.set_repl(redis.REPL_ALL) redis.call('SET', 'b', '2')", 0)
    assert propagated == [(0, [[b"SET", b"b", b"2"]])]


def test_script_inside_multi_joins_the_transaction(
    run: Callable[..., Any], propagated: Propagated
) -> None:
    run("MULTI")
    run("EVAL", "return redis.call('SET', 'a', '1')", 0)
    run("SET", "b", "2")
    assert run("EXEC") == ["OK", "OK"]
    assert propagated == [(0, [[b"MULTI"], [b"SET", b"a", b"1"], [b"SET", b"b", b"2"], [b"EXEC"]])]


def test_function_changes_propagate_as_commands(
    run: Callable[..., Any], propagated: Propagated
) -> None:
    code = "#!lua name=lib\nredis.register_function('f', function() return 1 end)"
    assert run("FUNCTION", "LOAD", code) == b"lib"
    run("FUNCTION", "DELETE", "lib")
    assert propagated == [
        (0, [[b"FUNCTION", b"LOAD", code.encode()]]),
        (0, [[b"FUNCTION", b"DELETE", b"lib"]]),
    ]


def test_busy_script_is_killed_through_the_pump(
    state: ServerState, run: Callable[..., Any]
) -> None:
    """The network layer's pump is where SCRIPT KILL arrives; here it sends one itself."""
    other = state.new_session()
    answers: list[Any] = []

    def pump(current: ScriptRun) -> None:
        answers.append(state.dispatcher.execute(other, [b"SCRIPT", b"KILL"]))

    state.settings.busy_reply_threshold = 0
    Scripting.of(state).busy_pump = pump
    reply = run("EVAL", "local i = 0 while true do i = i + 1 end", 0)
    assert answers[0] == "OK"
    assert isinstance(reply, Error)
    assert reply.startswith("ERR Script killed by user with SCRIPT KILL...")
    assert Scripting.of(state).current is None
    assert run("EVAL", "return 1", 0) == 1


def test_a_script_that_wrote_cannot_be_killed(state: ServerState, run: Callable[..., Any]) -> None:
    other = state.new_session()
    answers: list[Any] = []

    def pump(current: ScriptRun) -> None:
        answers.append(state.dispatcher.execute(other, [b"SCRIPT", b"KILL"]))
        if len(answers) == 3:
            current.kill_requested = True  # what SHUTDOWN NOSAVE would do; ends the test

    state.settings.busy_reply_threshold = 0
    Scripting.of(state).busy_pump = pump
    run("EVAL", "redis.call('SET', 'k', 'v') while true do end", 0)
    assert answers[0].startswith("UNKILLABLE Sorry the script already executed write commands")


def test_function_kill_and_stats_while_busy(state: ServerState, run: Callable[..., Any]) -> None:
    other = state.new_session()
    seen: list[Any] = []

    def pump(current: ScriptRun) -> None:
        seen.append(state.dispatcher.execute(other, [b"FUNCTION", b"STATS"]))
        seen.append(state.dispatcher.execute(other, [b"SCRIPT", b"KILL"]))
        seen.append(state.dispatcher.execute(other, [b"FUNCTION", b"KILL"]))

    code = "#!lua name=spin\nredis.register_function('spin', function() while true do end end)"
    run("FUNCTION", "LOAD", code)
    state.settings.busy_reply_threshold = 0
    Scripting.of(state).busy_pump = pump
    reply = run("FCALL", "spin", 0)
    stats, script_kill, function_kill = seen[:3]
    assert stats[b"running_script"][b"name"] == b"spin"
    assert stats[b"running_script"][b"command"] == [b"FCALL", b"spin", b"0"]
    assert script_kill == Error(
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    )
    assert function_kill == "OK"
    assert (
        reply == "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."
    )


def test_pcall_cannot_swallow_a_kill(state: ServerState, run: Callable[..., Any]) -> None:
    other = state.new_session()
    state.settings.busy_reply_threshold = 0
    Scripting.of(state).busy_pump = lambda current: state.dispatcher.execute(
        other, [b"SCRIPT", b"KILL"]
    )
    reply = run("EVAL", "while true do pcall(function() while true do end end) end", 0)
    assert reply.startswith("ERR Script killed by user with SCRIPT KILL...")


def test_function_commands_while_an_eval_is_busy(
    state: ServerState, run: Callable[..., Any]
) -> None:
    other = state.new_session()
    seen: list[Any] = []

    def pump(current: ScriptRun) -> None:
        assert current.busy_error().startswith("BUSY Redis is busy running a script.")
        for argv in ([b"FUNCTION", b"STATS"], [b"FUNCTION", b"KILL"], [b"SCRIPT", b"KILL"]):
            seen.append(state.dispatcher.execute(other, argv))

    state.settings.busy_reply_threshold = 0
    Scripting.of(state).busy_pump = pump
    run("EVAL", "while true do end", 0)
    busy = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    assert seen[:3] == [Error(busy), Error(busy), "OK"]


def test_busy_reply_threshold_and_its_old_name(run: Callable[..., Any]) -> None:
    assert run("CONFIG", "GET", "busy-reply-threshold") == {b"busy-reply-threshold": b"5000"}
    assert run("CONFIG", "SET", "lua-time-limit", "250") == "OK"
    assert run("CONFIG", "GET", "lua-time-limit") == {b"lua-time-limit": b"250"}
    assert run("CONFIG", "GET", "busy-reply-threshold") == {b"busy-reply-threshold": b"250"}
    assert run("CONFIG", "SET", "busy-reply-threshold", "-1").startswith(
        "ERR CONFIG SET failed (possibly related to argument 'busy-reply-threshold')"
    )
