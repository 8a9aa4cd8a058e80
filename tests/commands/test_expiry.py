"""Expiry: EXPIRE and friends, TTL queries, and expired keys being invisible everywhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import now_ms

Run = Callable[..., Any]

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)


@pytest.fixture
def propagated(state: ServerState) -> list[list[bytes]]:
    seen: list[list[bytes]] = []
    state.propagation_sinks.append(lambda db, commands: seen.extend(commands))
    return seen


def expire_now(session: Session, key: str) -> None:
    """Give `key` an expiry that has just passed, without waiting for one to run out."""
    value = session.db.get(key.encode())
    assert value is not None
    session.db.put(key.encode(), value, now_ms() - 1)


# -- setting and reading expiries ------------------------------------------------------------


def test_ttl_of_missing_and_persistent_keys(run: Run) -> None:
    for name in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert run(name, "missing") == -2
    run("SET", "k", "v")
    for name in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert run(name, "k") == -1


def test_expire_family_sets_ttl(run: Run) -> None:
    run("SET", "k", "v")
    assert run("EXPIRE", "k", "100") == 1
    assert run("TTL", "k") == 100
    assert 99_000 < run("PTTL", "k") <= 100_000
    assert run("PEXPIRE", "k", "50000") == 1
    assert run("TTL", "k") == 50
    at = int(time.time()) + 1000
    assert run("EXPIREAT", "k", at) == 1
    assert run("EXPIRETIME", "k") == at
    assert run("PEXPIRETIME", "k") == at * 1000
    assert run("PEXPIREAT", "k", at * 1000 + 123) == 1
    assert run("PEXPIRETIME", "k") == at * 1000 + 123
    assert run("EXPIRE", "missing", "100") == 0


def test_ttl_and_expiretime_round_to_nearest_second(run: Run) -> None:
    run("SET", "k", "v", "PX", "1700")
    assert run("TTL", "k") == 2
    run("SET", "k", "v", "PX", "1200")
    assert run("TTL", "k") == 1
    at = int(time.time()) + 1000
    run("PEXPIREAT", "k", at * 1000 + 499)
    assert run("EXPIRETIME", "k") == at
    run("PEXPIREAT", "k", at * 1000 + 500)
    assert run("EXPIRETIME", "k") == at + 1


def test_persist(run: Run) -> None:
    assert run("PERSIST", "missing") == 0
    run("SET", "k", "v")
    assert run("PERSIST", "k") == 0
    run("EXPIRE", "k", "100")
    assert run("PERSIST", "k") == 1
    assert run("TTL", "k") == -1


@pytest.mark.parametrize(
    "command",
    [
        ("EXPIRE", "k", "0"),
        ("EXPIRE", "k", "-1"),
        ("PEXPIRE", "k", "-100"),
        ("EXPIREAT", "k", "1"),
        ("PEXPIREAT", "k", "0"),
        ("EXPIRE", "k", str(-(2**63 // 1000))),
    ],
)
def test_expire_in_the_past_deletes(run: Run, command: tuple[str, ...]) -> None:
    run("SET", "k", "v")
    assert run(*command) == 1
    assert run("EXISTS", "k") == 0


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("EXPIRE", "k", str(LLONG_MAX)), "expire"),
        (("EXPIRE", "k", str(LLONG_MAX // 1000 + 1)), "expire"),
        (("EXPIRE", "k", str(LLONG_MIN)), "expire"),
        (("EXPIREAT", "k", str(LLONG_MAX // 1000 + 1)), "expireat"),
        (("PEXPIRE", "k", str(LLONG_MAX)), "pexpire"),
        (("EXPIRE", "k", str(LLONG_MAX // 1000)), "expire"),
    ],
)
def test_expire_overflow(run: Run, command: tuple[str, ...], name: str) -> None:
    run("SET", "k", "v")
    assert run(*command) == f"ERR invalid expire time in '{name}' command"
    assert run("TTL", "k") == -1


def test_expire_overflow_is_checked_even_for_missing_keys(run: Run) -> None:
    assert run("EXPIRE", "missing", str(LLONG_MAX)) == "ERR invalid expire time in 'expire' command"


def test_largest_absolute_expiry_is_accepted(run: Run) -> None:
    run("SET", "k", "v")
    assert run("PEXPIREAT", "k", str(LLONG_MAX)) == 1
    assert run("PEXPIRETIME", "k") == LLONG_MAX


def test_expire_argument_errors(run: Run) -> None:
    run("SET", "k", "v")
    assert run("EXPIRE", "k", "abc") == "ERR value is not an integer or out of range"
    assert run("EXPIRE", "k", "1.5") == "ERR value is not an integer or out of range"
    assert run("EXPIRE", "k", "10", "foo") == "ERR Unsupported option foo"
    assert run("EXPIRE", "k", "abc", "foo") == "ERR Unsupported option foo"  # options first


@pytest.mark.parametrize(
    "options",
    [("NX", "XX"), ("NX", "GT"), ("LT", "NX"), ("nx", "xx", "gt")],
)
def test_nx_with_other_conditions(run: Run, options: tuple[str, ...]) -> None:
    run("SET", "k", "v")
    assert run("EXPIRE", "k", "10", *options) == (
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    )


def test_gt_with_lt(run: Run) -> None:
    assert run("PEXPIRE", "k", "10", "GT", "LT") == (
        "ERR GT and LT options at the same time are not compatible"
    )


def test_expire_conditions(run: Run) -> None:
    run("SET", "k", "v")
    assert run("EXPIRE", "k", "100", "XX") == 0
    assert run("EXPIRE", "k", "100", "GT") == 0  # no TTL counts as infinite
    assert run("EXPIRE", "k", "100", "NX") == 1
    assert run("EXPIRE", "k", "200", "NX") == 0
    assert run("EXPIRE", "k", "200", "XX") == 1
    assert run("EXPIRE", "k", "300", "LT") == 0
    assert run("EXPIRE", "k", "150", "LT") == 1
    assert run("EXPIRE", "k", "100", "GT") == 0
    assert run("EXPIRE", "k", "400", "GT", "XX") == 1
    assert run("TTL", "k") == 400
    run("PERSIST", "k")
    assert run("EXPIRE", "k", "50", "LT") == 1  # any TTL is less than infinite
    assert run("TTL", "k") == 50


def test_gt_lt_compare_absolute_times(run: Run) -> None:
    run("SET", "k", "v")
    at = now_ms() + 1_000_000
    run("PEXPIREAT", "k", at)
    assert run("PEXPIREAT", "k", at, "GT") == 0
    assert run("PEXPIREAT", "k", at, "LT") == 0
    assert run("PEXPIREAT", "k", at + 1, "GT") == 1
    assert run("PEXPIREAT", "k", at, "LT") == 1
    assert run("PEXPIRETIME", "k") == at


# -- expired keys are invisible --------------------------------------------------------------


def test_expired_key_is_invisible_to_reads(run: Run, session: Session) -> None:
    run("SET", "k", "hello")
    expire_now(session, "k")
    assert run("GET", "k") is None
    run("SET", "k", "hello")
    expire_now(session, "k")
    assert run("MGET", "k") == [None]
    assert run("EXISTS", "k") == 0
    assert run("TYPE", "k") == "none"
    assert run("STRLEN", "k") == 0
    assert run("GETRANGE", "k", "0", "-1") == b""
    assert run("TTL", "k") == -2
    assert run("PTTL", "k") == -2
    assert run("OBJECT", "ENCODING", "k") is None
    assert run("KEYS", "*") == []
    assert run("SCAN", "0") == [b"0", []]
    assert run("RANDOMKEY") is None
    assert run("LCS", "k", "k") == b""


@pytest.mark.parametrize(
    ("command", "reply", "after"),
    [
        (("SETNX", "k", "new"), 1, b"new"),
        (("SET", "k", "new", "XX"), None, None),
        (("SET", "k", "new", "NX", "GET"), None, b"new"),
        (("MSETNX", "k", "new"), 1, b"new"),
        (("APPEND", "k", "new"), 3, b"new"),
        (("INCR", "k"), 1, b"1"),
        (("INCRBYFLOAT", "k", "1.5"), b"1.5", b"1.5"),
        (("SETRANGE", "k", "1", "x"), 2, b"\x00x"),
        (("GETSET", "k", "new"), None, b"new"),
        (("GETDEL", "k"), None, None),
        (("GETEX", "k", "PERSIST"), None, None),
        (("EXPIRE", "k", "100"), 0, None),
        (("PERSIST", "k"), 0, None),
        (("RENAMENX", "k", "other"), "ERR no such key", None),
        (("COPY", "k", "other"), 0, None),
        (("DEL", "k"), 0, None),
        (("TOUCH", "k"), 0, None),
    ],
)
def test_expired_key_is_invisible_to_writes(
    run: Run, session: Session, command: tuple[str, ...], reply: Any, after: bytes | None
) -> None:
    run("SET", "k", "old")
    expire_now(session, "k")
    assert run(*command) == reply
    assert run("GET", "k") == after
    assert run("EXISTS", "other") == 0


def test_expired_rename_target_is_simply_replaced(run: Run, session: Session) -> None:
    run("MSET", "a", "1", "b", "2")
    expire_now(session, "b")
    assert run("RENAMENX", "a", "b") == 1
    assert run("TTL", "b") == -1
    assert run("GET", "b") == b"1"


def test_expired_copy_target_does_not_block_copy(run: Run, session: Session) -> None:
    run("MSET", "a", "1", "b", "2")
    expire_now(session, "b")
    assert run("COPY", "a", "b") == 1


# -- propagation -----------------------------------------------------------------------------


def test_expire_commands_propagate_absolute_pexpireat(
    run: Run, propagated: list[list[bytes]]
) -> None:
    run("SET", "k", "v")
    propagated.clear()
    before = now_ms()
    commands = [
        ("EXPIRE", "k", "100"),
        ("PEXPIRE", "k", "200000", "GT"),
        ("EXPIREAT", "k", "9999999999"),
    ]
    for command in commands:
        run(*command)
        name, key, when = propagated.pop()
        assert (name, key) == (b"PEXPIREAT", b"k")
        assert int(when) >= before + 100_000
    run("PEXPIREAT", "k", "9999999999999", "XX")
    assert propagated == [[b"PEXPIREAT", b"k", b"9999999999999"]]


def test_expire_into_the_past_propagates_del(run: Run, propagated: list[list[bytes]]) -> None:
    run("SET", "k", "v")
    propagated.clear()
    run("EXPIRE", "k", "-1")
    assert propagated == [[b"DEL", b"k"]]


def test_unchanged_expiry_is_not_propagated(run: Run, propagated: list[list[bytes]]) -> None:
    run("SET", "k", "v")
    propagated.clear()
    run("EXPIRE", "missing", "10")
    run("EXPIRE", "k", "10", "XX")
    run("PERSIST", "k")
    assert propagated == []
    run("EXPIRE", "k", "10")
    propagated.clear()
    run("PERSIST", "k")
    assert propagated == [[b"PERSIST", b"k"]]


# -- real time, over the wire ----------------------------------------------------------------


def test_keys_expire_in_real_time(r: redis.Redis) -> None:
    r.set("px", "v", px=50)
    r.psetex("psetex", 50, "v")
    r.set("getex", "v")
    r.getex("getex", px=50)
    r.set("pexpire", "v")
    r.pexpire("pexpire", 50)
    r.set("stays", "v", px=60_000)
    keys = ["px", "psetex", "getex", "pexpire"]
    assert r.exists(*keys) == 4
    assert 0 < r.pttl("px") <= 50
    time.sleep(0.1)
    assert r.exists(*keys) == 0
    assert r.mget(*keys) == [None] * 4
    assert r.keys("*") == [b"stays"]
    assert r.ttl("px") == -2


def test_wire_ttl_replies_resp3(r3: redis.Redis) -> None:
    r3.set("k", "v", ex=100)
    assert r3.ttl("k") == 100
    assert r3.expire("k", 200, gt=True) is True
    assert r3.expire("k", 100, gt=True) is False
    assert r3.persist("k") is True
    assert r3.ttl("k") == -1
    assert r3.expiretime("missing") == -2


def test_past_expiry_while_loading_is_kept_for_replay(run: Run, state: ServerState) -> None:
    """An append-only file replays PEXPIREAT times that have passed since; the commands after
    them ran while the key was alive, so loading keeps the key (as Redis does)."""
    run("SET", "k", "1")
    state.keyspace.loading = True
    try:
        assert run("PEXPIREAT", "k", "1") == 1
        assert run("INCR", "k") == 2
        assert run("GETEX", "k", "PXAT", "2") == b"2"
    finally:
        state.keyspace.loading = False
    assert run("EXISTS", "k") == 0
