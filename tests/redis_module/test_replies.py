"""Every reply_with_* call: the value tree it builds and its RESP2 / RESP3 bytes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from redis_module_helpers import reply_of, wire

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import NULL_ARRAY, BigNumber, Error, SimpleString, Verbatim
from ferrite_host.redis_module.api import POSTPONED_LEN, RedisModuleCtx, RedisModuleString, Status
from ferrite_host.redis_module.reply_builder import ARRAY, MAP, OrderedReplySet, ReplyBuilder

Args = list[RedisModuleString]


def _case(fn: Callable[[RedisModuleCtx], Any]) -> Callable[[RedisModuleCtx, Args], Any]:
    return lambda ctx, args: fn(ctx)


def _array(ctx: RedisModuleCtx) -> None:
    ctx.reply_with_array(3)
    ctx.reply_with_long_long(1)
    ctx.reply_with_string(b"two")
    ctx.reply_with_null()


def _postponed(ctx: RedisModuleCtx) -> None:
    ctx.reply_with_array(POSTPONED_LEN)
    ctx.reply_with_long_long(1)
    ctx.reply_with_array(POSTPONED_LEN)
    for n in (10, 20, 30):
        ctx.reply_with_long_long(n)
    ctx.reply_set_array_length(3)
    ctx.reply_set_array_length(2)


def _map(ctx: RedisModuleCtx) -> None:
    ctx.reply_with_map(2)
    ctx.reply_with_string(b"a")
    ctx.reply_with_long_long(1)
    ctx.reply_with_string(b"b")
    ctx.reply_with_double(2.5)


def _postponed_map(ctx: RedisModuleCtx) -> None:
    ctx.reply_with_map(POSTPONED_LEN)
    ctx.reply_with_string(b"k")
    ctx.reply_with_bool(True)
    ctx.reply_set_map_length(1)


def _set(ctx: RedisModuleCtx) -> None:
    ctx.reply_with_set(POSTPONED_LEN)
    ctx.reply_with_string(b"y")
    ctx.reply_with_string(b"x")
    ctx.reply_set_set_length(2)


CASES: dict[str, tuple[Callable[[RedisModuleCtx], Any], bytes, bytes]] = {
    "simple_string": (lambda c: c.reply_with_simple_string("OK"), b"+OK\r\n", b"+OK\r\n"),
    "simple_bytes": (lambda c: c.reply_with_simple_string(b"fine"), b"+fine\r\n", b"+fine\r\n"),
    "error": (lambda c: c.reply_with_error("ERR x"), b"-ERR x\r\n", b"-ERR x\r\n"),
    "error_no_code": (
        lambda c: c.reply_with_error("invalid range"),
        b"-invalid range\r\n",
        b"-invalid range\r\n",
    ),
    "error_dash": (lambda c: c.reply_with_error("-ERR x"), b"--ERR x\r\n", b"--ERR x\r\n"),
    "error_newlines": (
        lambda c: c.reply_with_error("ERR a\nb\r\n"),
        b"-ERR a b\r\n",
        b"-ERR a b\r\n",
    ),
    "long_long": (lambda c: c.reply_with_long_long(-42), b":-42\r\n", b":-42\r\n"),
    "string": (
        lambda c: c.reply_with_string(RedisModuleString(b"b\x00n")),
        b"$3\r\nb\x00n\r\n",
        b"$3\r\nb\x00n\r\n",
    ),
    "string_buffer": (
        lambda c: c.reply_with_string_buffer(memoryview(b"buf")),
        b"$3\r\nbuf\r\n",
        b"$3\r\nbuf\r\n",
    ),
    "c_string": (
        lambda c: c.reply_with_c_string("hé"),
        b"$3\r\nh\xc3\xa9\r\n",
        b"$3\r\nh\xc3\xa9\r\n",
    ),
    "null": (lambda c: c.reply_with_null(), b"$-1\r\n", b"_\r\n"),
    "null_array": (lambda c: c.reply_with_null_array(), b"*-1\r\n", b"_\r\n"),
    "empty_array": (lambda c: c.reply_with_empty_array(), b"*0\r\n", b"*0\r\n"),
    "array_zero": (lambda c: c.reply_with_array(0), b"*0\r\n", b"*0\r\n"),
    "array": (_array, b"*3\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n", b"*3\r\n:1\r\n$3\r\ntwo\r\n_\r\n"),
    "postponed": (
        _postponed,
        b"*2\r\n:1\r\n*3\r\n:10\r\n:20\r\n:30\r\n",
        b"*2\r\n:1\r\n*3\r\n:10\r\n:20\r\n:30\r\n",
    ),
    "map": (
        _map,
        b"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$3\r\n2.5\r\n",
        b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n,2.5\r\n",
    ),
    "postponed_map": (_postponed_map, b"*2\r\n$1\r\nk\r\n:1\r\n", b"%1\r\n$1\r\nk\r\n#t\r\n"),
    "set": (_set, b"*2\r\n$1\r\ny\r\n$1\r\nx\r\n", b"~2\r\n$1\r\ny\r\n$1\r\nx\r\n"),
    "double": (lambda c: c.reply_with_double(3.5), b"$3\r\n3.5\r\n", b",3.5\r\n"),
    "double_integral": (lambda c: c.reply_with_double(6.0), b"$1\r\n6\r\n", b",6\r\n"),
    "double_inf": (lambda c: c.reply_with_double(float("-inf")), b"$4\r\n-inf\r\n", b",-inf\r\n"),
    "bool_true": (lambda c: c.reply_with_bool(True), b":1\r\n", b"#t\r\n"),
    "bool_false": (lambda c: c.reply_with_bool(False), b":0\r\n", b"#f\r\n"),
    "big_number": (
        lambda c: c.reply_with_big_number("12345678901234567890"),
        b"$20\r\n12345678901234567890\r\n",
        b"(12345678901234567890\r\n",
    ),
    "verbatim": (
        lambda c: c.reply_with_verbatim_string("hi"),
        b"$2\r\nhi\r\n",
        b"=6\r\ntxt:hi\r\n",
    ),
    "verbatim_mkd": (
        lambda c: c.reply_with_verbatim_string(b"# t", "mkd"),
        b"$3\r\n# t\r\n",
        b"=7\r\nmkd:# t\r\n",
    ),
    "call_reply": (
        lambda c: c.reply_with_call_reply([b"a", 1]),
        b"*2\r\n$1\r\na\r\n:1\r\n",
        b"*2\r\n$1\r\na\r\n:1\r\n",
    ),
    "wrong_arity": (
        lambda c: c.wrong_arity(),
        b"-ERR wrong number of arguments for 't.reply' command\r\n",
        b"-ERR wrong number of arguments for 't.reply' command\r\n",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reply_encodings(state: ServerState, session: Session, name: str) -> None:
    build, resp2, resp3 = CASES[name]
    reply = reply_of(state, session, _case(build))
    assert wire(reply, 2) == resp2
    assert wire(reply, 3) == resp3


def test_reply_functions_return_ok(state: ServerState, session: Session) -> None:
    results: list[Any] = []

    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        results.append(ctx.reply_with_array(2))
        results.append(ctx.reply_with_simple_string("a"))
        results.append(ctx.reply_with_long_long(1))

    reply_of(state, session, callback)
    assert results == [Status.OK, Status.OK, Status.OK]


def test_value_tree_types(state: ServerState, session: Session) -> None:
    def callback(ctx: RedisModuleCtx, args: Args) -> None:
        ctx.reply_with_array(6)
        ctx.reply_with_simple_string("s")
        ctx.reply_with_error("E e")
        ctx.reply_with_null_array()
        ctx.reply_with_big_number(b"7")
        ctx.reply_with_verbatim_string("v")
        ctx.reply_with_double(1)

    reply = reply_of(state, session, callback)
    assert [type(r) for r in reply] == [
        SimpleString,
        Error,
        type(NULL_ARRAY),
        BigNumber,
        Verbatim,
        float,
    ]


def test_long_long_range_is_checked(state: ServerState, session: Session) -> None:
    reply = reply_of(state, session, lambda ctx, args: ctx.reply_with_long_long(2**63))
    assert isinstance(reply, Error) and "OverflowError" in reply


def test_verbatim_format_must_have_three_letters(state: ServerState, session: Session) -> None:
    reply = reply_of(state, session, lambda ctx, args: ctx.reply_with_verbatim_string("x", "text"))
    assert isinstance(reply, Error) and "ValueError" in reply


def test_negative_length_other_than_postponed_is_refused() -> None:
    with pytest.raises(ValueError, match="POSTPONED_LEN"):
        ReplyBuilder().open(ARRAY, -2)


# -- the builder itself --------------------------------------------------------------------


def test_nested_fixed_and_postponed_arrays() -> None:
    b = ReplyBuilder()
    b.open(ARRAY, POSTPONED_LEN)
    b.open(ARRAY, 2)
    b.add(1)
    b.add(2)
    b.add(3)
    b.set_length(ARRAY, 2)
    assert b.finish() == [[[1, 2], 3]]


def test_postponed_length_set_before_inner_array_finishes() -> None:
    b = ReplyBuilder()
    b.open(ARRAY, POSTPONED_LEN)
    b.open(ARRAY, 2)
    b.add(1)
    b.set_length(ARRAY, 1)  # the outer array will hold just the inner one
    b.add(2)
    assert b.finish() == [[[1, 2]]]


def test_set_length_without_postponed_is_logged_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    b = ReplyBuilder("mymod")
    with caplog.at_level(logging.WARNING, logger="ferrite"):
        assert b.set_length(ARRAY, 3) is False
    assert "API misuse detected in module mymod" in caplog.text
    b.add(5)
    assert b.finish() == [5]


def test_unfinished_collections_are_closed_with_what_they_hold(
    caplog: pytest.LogCaptureFixture,
) -> None:
    b = ReplyBuilder("mymod")
    b.open(ARRAY, POSTPONED_LEN)
    b.add(1)
    b.open(ARRAY, 3)
    b.add(2)
    with caplog.at_level(logging.WARNING, logger="ferrite"):
        assert b.finish() == [[1, [2]]]
    assert "not matched" in caplog.text and "announced 3 elements but got 1" in caplog.text


def test_length_smaller_than_elements_leaves_the_rest_to_the_parent() -> None:
    b = ReplyBuilder()
    b.open(ARRAY, POSTPONED_LEN)
    b.add(1)
    b.add(2)
    b.add(3)
    b.set_length(ARRAY, 2)
    assert b.finish() == [[1, 2], 3]


def test_map_keys_that_are_arrays_stay_arrays_on_the_wire() -> None:
    b = ReplyBuilder()
    b.open(MAP, 1)
    b.open(ARRAY, 2)
    b.add(b"a")
    b.add(b"b")
    b.add(1)
    (value,) = b.finish()
    assert value == {(b"a", b"b"): 1}
    assert wire(value, 3) == b"%1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n:1\r\n"


def test_ordered_set_keeps_first_occurrence_order() -> None:
    s = OrderedReplySet([b"b", b"a", b"b", [1, 2]])
    assert list(s) == [b"b", b"a", (1, 2)]
    assert len(s) == 3
    assert "OrderedReplySet" in repr(s)


def test_empty_and_take_replies(state: ServerState, session: Session) -> None:
    b = ReplyBuilder()
    assert b.empty
    b.open(ARRAY, POSTPONED_LEN)
    assert not b.empty
    ctx = RedisModuleCtx(session, "x")
    ctx.reply_with_long_long(1)
    assert ctx.take_replies() == [1]
    assert ctx.take_replies() == []
