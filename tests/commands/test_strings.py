"""String commands: replies, errors and propagation as Redis gives them."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from box_type import BoxType

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue
from ferrite_host.protocol.replies import Error
from ferrite_host.strconv import format_long_double, parse_long_double
from ferrite_host.testing import FerriteProcess

Run = Callable[..., Any]

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"


@pytest.fixture
def boxed(session: Session) -> bytes:
    session.db.set(b"box", TypedValue(BoxType(), [1]))
    return b"box"


@pytest.fixture
def propagated(state: ServerState) -> list[list[bytes]]:
    """Every command the dispatcher hands to the append-only file."""
    seen: list[list[bytes]] = []
    state.propagation_sinks.append(lambda db, commands: seen.extend(commands))
    return seen


# -- GET / SET -------------------------------------------------------------------------------


def test_get_missing_and_set_get(run: Run) -> None:
    assert run("GET", "k") is None
    assert run("SET", "k", "v") == "OK"
    assert run("GET", "k") == b"v"


def test_set_nx_xx(run: Run) -> None:
    assert run("SET", "k", "1", "XX") is None
    assert run("SET", "k", "1", "NX") == "OK"
    assert run("SET", "k", "2", "NX") is None
    assert run("SET", "k", "3", "xx") == "OK"
    assert run("GET", "k") == b"3"


def test_set_get_option_returns_old_value(run: Run) -> None:
    assert run("SET", "k", "1", "GET") is None
    assert run("SET", "k", "2", "GET") == b"1"
    assert run("SET", "k", "3", "NX", "GET") == b"2"  # allowed together since 7.0
    assert run("GET", "k") == b"2"
    assert run("SET", "k", "4", "GET", "GET") == b"2"  # repeating GET is accepted


@pytest.mark.parametrize(
    "options",
    [
        ("NX", "XX"),
        ("XX", "NX"),
        ("EX", "10", "PX", "100"),
        ("EX", "10", "KEEPTTL"),
        ("KEEPTTL", "PX", "10"),
        ("EX",),
        ("PERSIST",),
        ("FOO",),
    ],
)
def test_set_option_conflicts_are_syntax_errors(run: Run, options: tuple[str, ...]) -> None:
    assert run("SET", "k", "v", *options) == "ERR syntax error"


def test_set_syntax_error_wins_over_bad_expire(run: Run) -> None:
    assert run("SET", "k", "v", "EX", "abc", "NX", "XX") == "ERR syntax error"
    assert run("SET", "k", "v", "EX", "abc") == NOT_INTEGER


@pytest.mark.parametrize("unit", ["EX", "PX", "EXAT", "PXAT"])
@pytest.mark.parametrize("amount", ["0", "-5"])
def test_set_non_positive_expire_is_invalid(run: Run, unit: str, amount: str) -> None:
    assert run("SET", "k", "v", unit, amount) == "ERR invalid expire time in 'set' command"
    assert run("EXISTS", "k") == 0


def test_set_expire_overflow_is_invalid(run: Run) -> None:
    invalid = "ERR invalid expire time in 'set' command"
    assert run("SET", "k", "v", "EX", "9223372036854775") == invalid
    assert run("SET", "k", "v", "EX", "9223372036854776") == invalid
    assert run("SET", "k", "v", "PX", "9223372036854775807") == invalid
    assert run("SET", "k", "v", "PXAT", "9223372036854775807") == "OK"


def test_set_keepttl_keeps_and_plain_set_clears_ttl(run: Run) -> None:
    run("SET", "k", "v", "EX", "100")
    run("SET", "k", "w", "KEEPTTL")
    assert 0 < run("TTL", "k") <= 100
    run("SET", "k", "x")
    assert run("TTL", "k") == -1


def test_set_get_on_typed_value_is_wrongtype_and_changes_nothing(run: Run, boxed: bytes) -> None:
    assert run("SET", boxed, "v", "GET") == WRONGTYPE
    assert run("TYPE", boxed) == "box-type1"
    assert run("SET", boxed, "v") == "OK"  # plain SET replaces any type
    assert run("GET", boxed) == b"v"


@pytest.mark.parametrize(
    "command",
    [
        ("GET", "box"),
        ("GETSET", "box", "v"),
        ("GETDEL", "box"),
        ("GETEX", "box"),
        ("INCR", "box"),
        ("DECRBY", "box", "2"),
        ("INCRBYFLOAT", "box", "1"),
        ("APPEND", "box", "x"),
        ("STRLEN", "box"),
        ("GETRANGE", "box", "0", "1"),
        ("SUBSTR", "box", "0", "1"),
        ("SETRANGE", "box", "0", "x"),
    ],
)
def test_string_commands_refuse_typed_values(
    run: Run, boxed: bytes, command: tuple[str, ...]
) -> None:
    assert run(*command) == WRONGTYPE
    assert run("TYPE", "box") == "box-type1"


def test_mget_answers_nil_for_typed_values(run: Run, boxed: bytes) -> None:
    run("SET", "a", "1")
    assert run("MGET", "a", boxed, "missing") == [b"1", None, None]


def test_bytearray_values_reply_as_bytes(run: Run, session: Session) -> None:
    session.db.set(b"k", bytearray(b"abc"))
    for reply in (run("GET", "k"), run("MGET", "k")[0], run("GETRANGE", "k", "0", "-1")):
        assert type(reply) is bytes and reply == b"abc"


def test_reply_is_not_changed_by_a_later_edit_in_the_same_transaction(run: Run) -> None:
    run("SET", "k", "abc")
    run("APPEND", "k", "d")  # now stored as a bytearray, edited in place from here on
    run("MULTI")
    run("GET", "k")
    run("APPEND", "k", "e")
    assert run("EXEC") == [b"abcd", 5]


# -- SETNX, SETEX, PSETEX, GETSET, GETDEL ------------------------------------------------------


def test_setnx(run: Run) -> None:
    assert run("SETNX", "k", "1") == 1
    assert run("SETNX", "k", "2") == 0
    assert run("GET", "k") == b"1"


def test_setex_and_psetex(run: Run) -> None:
    assert run("SETEX", "k", "100", "v") == "OK"
    assert 99 <= run("TTL", "k") <= 100
    assert run("PSETEX", "p", "100000", "v") == "OK"
    assert 99000 <= run("PTTL", "p") <= 100000
    assert run("SETEX", "k", "0", "v") == "ERR invalid expire time in 'setex' command"
    assert run("PSETEX", "k", "-1", "v") == "ERR invalid expire time in 'psetex' command"
    assert run("SETEX", "k", "x", "v") == NOT_INTEGER


def test_getset_returns_old_and_clears_ttl(run: Run) -> None:
    assert run("GETSET", "k", "1") is None
    run("EXPIRE", "k", "100")
    assert run("GETSET", "k", "2") == b"1"
    assert run("GET", "k") == b"2"
    assert run("TTL", "k") == -1


def test_getdel(run: Run) -> None:
    run("SET", "k", "v")
    assert run("GETDEL", "k") == b"v"
    assert run("EXISTS", "k") == 0
    assert run("GETDEL", "k") is None


# -- GETEX -----------------------------------------------------------------------------------


def test_getex_options(run: Run) -> None:
    assert run("GETEX", "missing", "EX", "10") is None
    run("SET", "k", "v")
    assert run("GETEX", "k") == b"v"
    assert run("TTL", "k") == -1
    assert run("GETEX", "k", "EX", "100") == b"v"
    assert 99 <= run("TTL", "k") <= 100
    assert run("GETEX", "k", "PX", "200000") == b"v"
    assert 199 <= run("TTL", "k") <= 200
    at = int(time.time()) + 300
    assert run("GETEX", "k", "EXAT", at) == b"v"
    assert run("EXPIRETIME", "k") == at
    assert run("GETEX", "k", "PXAT", at * 1000 + 500) == b"v"
    assert run("PEXPIRETIME", "k") == at * 1000 + 500
    assert run("GETEX", "k", "PERSIST") == b"v"
    assert run("TTL", "k") == -1


def test_getex_past_absolute_time_deletes_but_answers_value(run: Run) -> None:
    run("SET", "k", "v")
    assert run("GETEX", "k", "EXAT", "1") == b"v"
    assert run("EXISTS", "k") == 0


@pytest.mark.parametrize(
    "options",
    [
        ("EX", "1", "PERSIST"),
        ("PERSIST", "EX", "1"),
        ("NX",),
        ("KEEPTTL",),
        ("GET",),
        ("EX",),
        ("EX", "1", "PX", "1"),
    ],
)
def test_getex_syntax_errors(run: Run, options: tuple[str, ...]) -> None:
    run("SET", "k", "v")
    assert run("GETEX", "k", *options) == "ERR syntax error"
    assert run("GETEX", "missing", *options) == "ERR syntax error"  # parsed before the lookup


def test_getex_expire_value_checked_only_for_existing_keys(run: Run) -> None:
    assert run("GETEX", "missing", "EX", "-1") is None
    assert run("GETEX", "missing", "EX", "abc") is None
    run("SET", "k", "v")
    assert run("GETEX", "k", "EX", "0") == "ERR invalid expire time in 'getex' command"
    assert run("GETEX", "k", "EX", "abc") == NOT_INTEGER


# -- MGET / MSET / MSETNX ----------------------------------------------------------------------


def test_mset_mget(run: Run) -> None:
    assert run("MSET", "a", "1", "b", "2", "a", "3") == "OK"
    assert run("MGET", "a", "b", "c") == [b"3", b"2", None]


def test_mset_odd_arguments(run: Run) -> None:
    assert run("MSET", "a", "1", "b") == "ERR wrong number of arguments for 'mset' command"
    assert run("MSETNX", "a", "1", "b") == "ERR wrong number of arguments for 'msetnx' command"
    assert run("MSET", "a") == "ERR wrong number of arguments for 'mset' command"


def test_mset_clears_ttl(run: Run) -> None:
    run("SET", "a", "1", "EX", "100")
    run("MSET", "a", "2")
    assert run("TTL", "a") == -1


def test_msetnx_all_or_nothing(run: Run) -> None:
    assert run("MSETNX", "a", "1", "b", "2") == 1
    assert run("MSETNX", "c", "3", "a", "9") == 0
    assert run("MGET", "a", "b", "c") == [b"1", b"2", None]


# -- counters --------------------------------------------------------------------------------


def test_incr_family(run: Run) -> None:
    assert run("INCR", "n") == 1
    assert run("INCRBY", "n", "10") == 11
    assert run("DECR", "n") == 10
    assert run("DECRBY", "n", "-5") == 15
    assert run("INCRBY", "n", "-20") == -5
    assert run("GET", "n") == b"-5"


@pytest.mark.parametrize(
    "stored", ["abc", "", " 1", "1 ", "+1", "01", "-0", "1_0", "1.5", "99999999999999999999"]
)
def test_incr_on_non_integer(run: Run, stored: str) -> None:
    run("SET", "n", stored)
    assert run("INCR", "n") == NOT_INTEGER
    assert run("GET", "n") == stored.encode()


def test_incr_on_an_edited_string(run: Run) -> None:
    run("SET", "n", "1")
    run("APPEND", "n", "2")
    assert run("INCR", "n") == 13
    assert run("OBJECT", "ENCODING", "n") == b"int"


def test_incr_bad_increment(run: Run, boxed: bytes) -> None:
    assert run("INCRBY", "n", "1.5") == NOT_INTEGER
    assert run("DECRBY", "n", "x") == NOT_INTEGER
    assert run("INCRBY", boxed, "x") == NOT_INTEGER  # the argument is checked before the type


def test_incr_overflow(run: Run) -> None:
    run("SET", "n", "9223372036854775807")
    assert run("INCR", "n") == "ERR increment or decrement would overflow"
    run("SET", "n", "-9223372036854775808")
    assert run("DECR", "n") == "ERR increment or decrement would overflow"
    assert run("DECRBY", "n", "-9223372036854775808") == "ERR decrement would overflow"
    assert run("INCRBY", "n", "9223372036854775807") == -1


def test_incr_keeps_ttl(run: Run) -> None:
    run("SET", "n", "1", "EX", "100")
    run("INCR", "n")
    run("INCRBYFLOAT", "n", "1.5")
    assert 0 < run("TTL", "n") <= 100


@pytest.mark.parametrize(
    ("start", "increment", "result"),
    [
        ("10.50", "0.1", b"10.6"),
        ("5.6", "-5", b"0.6"),
        ("5.0e3", "2.0e2", b"5200"),
        ("0.2", "0.1", b"0.3"),
        ("1", "0x10", b"17"),
        ("0", "1e20", b"100000000000000000000"),
        ("0", "1e-20", b"0"),
        ("0", "-1e-20", b"0"),
        ("0", "0.3333333333333333333333", b"0.33333333333333333"),
        ("3", "-3", b"0"),
        ("1.5", "1.5", b"3"),
        ("1", "1.", b"2"),
        ("1", ".5", b"1.5"),
        ("1", "-1.1", b"-0.1"),
        ("17179869184", "1.5", b"17179869185.5"),
        ("17179869184", "17179869184", b"34359738368"),
    ],
)
def test_incrbyfloat_formats_like_redis(
    run: Run, start: str, increment: str, result: bytes
) -> None:
    run("SET", "f", start)
    assert run("INCRBYFLOAT", "f", increment) == result
    assert run("GET", "f") == result


def test_incrbyfloat_repeated_tenths_stay_exact(run: Run) -> None:
    replies = [run("INCRBYFLOAT", "f", "0.1") for _ in range(10)]
    assert replies[2] == b"0.3"
    assert replies[-1] == b"1"


@pytest.mark.parametrize(
    "bad",
    ["abc", "", " 1", "1 ", "nan", "1e5000", "1e-5000", "0x", "1e", "--1", "1\x002", "\x00"],
)
def test_incrbyfloat_invalid_numbers(run: Run, bad: str) -> None:
    assert run("INCRBYFLOAT", "f", bad) == "ERR value is not a valid float"
    run("SET", "g", bad)
    assert run("INCRBYFLOAT", "g", "1") == "ERR value is not a valid float"


def test_incrbyfloat_infinity(run: Run) -> None:
    assert run("INCRBYFLOAT", "f", "inf") == "ERR increment would produce NaN or Infinity"
    run("SET", "g", "1e4932")
    assert run("INCRBYFLOAT", "g", "1e4932") == "ERR increment would produce NaN or Infinity"
    assert run("EXISTS", "f") == 0


def test_long_double_emulation_round_trips() -> None:
    value = parse_long_double(b"1e308")
    assert value is not None and not isinstance(value, float)
    doubled = parse_long_double(format_long_double(value + value))
    assert doubled == value + value  # beyond double range, still finite as a long double
    assert parse_long_double(b"1\x002") is None  # Redis checks the whole string was read
    assert parse_long_double(b"0e999999999999999999999999") == 0


# -- APPEND, STRLEN, GETRANGE, SETRANGE --------------------------------------------------------


def test_append_and_strlen(run: Run) -> None:
    assert run("STRLEN", "k") == 0
    assert run("APPEND", "k", "ab") == 2
    assert run("APPEND", "k", "cd") == 4
    assert run("APPEND", "k", "") == 4
    assert run("GET", "k") == b"abcd"
    assert run("STRLEN", "k") == 4


def test_append_keeps_ttl(run: Run) -> None:
    run("SET", "k", "a", "EX", "100")
    run("APPEND", "k", "b")
    run("APPEND", "k", "c")
    assert 0 < run("TTL", "k") <= 100


TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"


def test_append_and_setrange_respect_proto_max_bulk_len(run: Run, state: ServerState) -> None:
    state.settings.proto_max_bulk_len = 1024 * 1024
    run("SET", "k", "x" * 1000)
    assert run("APPEND", "k", b"y" * (1024 * 1024)) == TOO_LONG
    assert run("SETRANGE", "k", 1024 * 1024, "y") == TOO_LONG
    assert run("SETRANGE", "new", 1024 * 1024, "y") == TOO_LONG
    assert run("SETRANGE", "new", 1024 * 1024 - 1, "y") == 1024 * 1024
    assert run("STRLEN", "k") == 1000


def test_setrange_default_limit_is_512mb_and_allocates_nothing(run: Run) -> None:
    assert run("SETRANGE", "k", 512 * 1024 * 1024, "x") == TOO_LONG
    assert run("EXISTS", "k") == 0


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 3, b"This"),
        (-3, -1, b"ing"),
        (0, -1, b"This is a string"),
        (10, 100, b"string"),
        (5, 3, b""),
        (-1, -5, b""),
        (-100, 2, b"Thi"),
        (-100, -100, b"T"),
        (100, 200, b""),
        (0, -100, b"T"),
    ],
)
def test_getrange(run: Run, start: int, end: int, expected: bytes) -> None:
    run("SET", "k", "This is a string")
    assert run("GETRANGE", "k", start, end) == expected
    assert run("SUBSTR", "k", start, end) == expected


def test_getrange_missing_and_errors(run: Run) -> None:
    assert run("GETRANGE", "missing", "0", "-1") == b""
    run("SET", "e", "")
    assert run("GETRANGE", "e", "0", "-1") == b""
    assert run("GETRANGE", "k", "a", "1") == NOT_INTEGER


def test_setrange(run: Run) -> None:
    run("SET", "k", "Hello World")
    assert run("SETRANGE", "k", "6", "Redis") == 11
    assert run("GET", "k") == b"Hello Redis"
    assert run("SETRANGE", "pad", "3", "x") == 4
    assert run("GET", "pad") == b"\x00\x00\x00x"
    assert run("SETRANGE", "k", "20", "!") == 21
    assert run("GET", "k") == b"Hello Redis" + b"\x00" * 9 + b"!"
    assert run("SETRANGE", "k", "0", "") == 21
    assert run("SETRANGE", "missing", "5", "") == 0
    assert run("EXISTS", "missing") == 0
    assert run("SETRANGE", "k", "-1", "x") == "ERR offset is out of range"
    assert run("SETRANGE", "k", "x", "x") == NOT_INTEGER


# -- LCS -------------------------------------------------------------------------------------


def test_lcs(run: Run) -> None:
    run("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert run("LCS", "key1", "key2") == b"mytext"
    assert run("LCS", "key1", "key2", "LEN") == 6
    assert run("LCS", "key1", "key2", "IDX") == {
        b"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]],
        b"len": 6,
    }
    assert run("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == {
        b"matches": [[[4, 7], [5, 8], 4]],
        b"len": 6,
    }
    assert run("LCS", "key1", "missing") == b""
    both = "ERR If you want both the length and indexes, please just use IDX."
    assert run("LCS", "key1", "key2", "LEN", "IDX") == both
    assert run("LCS", "key1", "key2", "FOO") == "ERR syntax error"


def test_lcs_refuses_typed_values(run: Run, boxed: bytes) -> None:
    assert run("LCS", boxed, "x") == "ERR The specified keys must contain string values"


# -- propagation -----------------------------------------------------------------------------


def _pxat(commands: list[list[bytes]]) -> int:
    assert len(commands) == 1
    return int(commands[0][-1])


def test_relative_expiries_propagate_as_absolute(run: Run, propagated: list[list[bytes]]) -> None:
    before = int(time.time() * 1000)
    run("SETEX", "a", "100", "v")
    assert propagated[0][:3] == [b"SET", b"a", b"v"] and propagated[0][3] == b"PXAT"
    assert before + 100_000 <= _pxat(propagated) <= before + 101_000
    propagated.clear()
    run("PSETEX", "a", "5000", "v")
    assert propagated[0][:4] == [b"SET", b"a", b"v", b"PXAT"]
    propagated.clear()
    run("SET", "a", "v", "EX", "10", "GET")
    assert propagated[0][:4] == [b"SET", b"a", b"v", b"PXAT"]
    propagated.clear()
    run("GETEX", "a", "EX", "100")
    assert propagated[0][:2] == [b"PEXPIREAT", b"a"]
    assert before + 100_000 <= _pxat(propagated) <= before + 101_000
    propagated.clear()
    run("GETEX", "a", "PERSIST")
    assert propagated == [[b"PERSIST", b"a"]]
    propagated.clear()
    run("GETEX", "a", "PERSIST")  # nothing changed: nothing to propagate
    run("GETEX", "a")
    assert propagated == []


def test_rewritten_string_commands_propagate(run: Run, propagated: list[list[bytes]]) -> None:
    run("SET", "f", "1.5", "EX", "100")
    propagated.clear()
    run("INCRBYFLOAT", "f", "0.25")
    assert propagated == [[b"SET", b"f", b"1.75", b"KEEPTTL"]]
    propagated.clear()
    run("GETSET", "f", "x")
    assert propagated == [[b"SET", b"f", b"x"]]
    propagated.clear()
    run("GETDEL", "f")
    run("GETDEL", "f")
    assert propagated == [[b"DEL", b"f"]]
    propagated.clear()
    run("SET", "g", "v")
    run("GETEX", "g", "PXAT", "1")
    assert propagated == [[b"SET", b"g", b"v"], [b"DEL", b"g"]]


def test_failed_writes_do_not_propagate(run: Run, propagated: list[list[bytes]]) -> None:
    run("SET", "k", "v")
    propagated.clear()
    run("SET", "k", "w", "NX")
    run("SETNX", "k", "w")
    run("MSETNX", "k", "w", "j", "x")
    run("INCR", "k")
    run("SETRANGE", "missing", "3", "")
    run("EXPIRE", "missing", "10")
    assert propagated == []
    run("APPEND", "empty", "")  # creates the key, as in Redis
    assert propagated == [[b"APPEND", b"empty", b""]]


# -- over the wire ---------------------------------------------------------------------------


def test_wire_reply_shapes_resp2(r: redis.Redis) -> None:
    assert r.execute_command("SET", "k", "10") is True
    assert r.execute_command("INCRBYFLOAT", "k", "0.5") == 10.5
    assert r.execute_command("GET", "k") == b"10.5"
    assert r.mget("k", "nope") == [b"10.5", None]
    assert r.setnx("k", "x") is False
    assert r.append("k", "0") == 5
    assert r.getrange("k", 0, 1) == b"10"
    assert r.getex("k", ex=100) == b"10.50"
    assert r.ttl("k") == 100
    assert r.set("k", "y", get=True) == b"10.50"
    with pytest.raises(redis.ResponseError, match=r"^value is not an integer or out of range$"):
        r.incr("k")


def test_wire_reply_shapes_resp3(r3: redis.Redis) -> None:
    assert r3.set("k", "v") is True
    assert r3.get("missing") is None
    assert r3.mget("k", "missing") == [b"v", None]
    assert r3.incrbyfloat("n", "1.25") == 1.25
    assert r3.getdel("k") == b"v"
    assert r3.lcs("a", "b") == b""
    r3.mset({"a": "ohmytext", "b": "mynewtext"})
    assert r3.lcs("a", "b", idx=True) == {
        b"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]],
        b"len": 6,
    }


def test_wire_raw_replies(server: FerriteProcess) -> None:
    """Exact bytes for the replies whose shape clients care about."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\n1\r\n"
            b"*3\r\n$11\r\nINCRBYFLOAT\r\n$1\r\nq\r\n$3\r\n0.5\r\n"
            b"*2\r\n$3\r\nGET\r\n$7\r\nnothere\r\n"
            b"*3\r\n$5\r\nSETNX\r\n$1\r\nq\r\n$1\r\n1\r\n"
            b"*2\r\n$4\r\nINCR\r\n$1\r\nq\r\n"
        )
        expected = (
            b"+OK\r\n$3\r\n1.5\r\n$-1\r\n:0\r\n-ERR value is not an integer or out of range\r\n"
        )
        data = b""
        while len(data) < len(expected):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        assert data == expected


def test_error_reply_type(run: Run) -> None:
    assert type(run("INCR", "")) is int
    run("SET", "s", "x")
    assert type(run("INCR", "s")) is Error
