"""The sorted-set key API: add/incr/rem/score with Redis's flags, and range iteration by
score and by lex in both directions, all through the keyspace mutators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.redis_module.api import KeyMode, KeyType, RedisModuleCtx, Status
from ferrite_host.redis_module.key_zsets import ZAddFlag

RW = KeyMode.READ | KeyMode.WRITE


@pytest.fixture
def ctx(session: Session) -> RedisModuleCtx:
    return RedisModuleCtx(session, "t.z", argv=[b"t.z"])


@pytest.fixture
def events(state: ServerState) -> list[tuple[bytes | None, str]]:
    seen: list[tuple[bytes | None, str]] = []
    state.keyspace.subscribe(lambda db, key, event, cls: seen.append((key, event)))
    return seen


def test_add_creates_the_key_and_reports_flags(
    ctx: RedisModuleCtx, run: Callable[..., Any], events: list[tuple[bytes | None, str]]
) -> None:
    key = ctx.open_key("z", RW)
    assert key is not None
    assert key.zset_add(1.5, b"a") == (Status.OK, ZAddFlag.ADDED)
    assert key.key_type() == KeyType.ZSET
    assert key.zset_add(2.0, b"a") == (Status.OK, ZAddFlag.UPDATED)
    assert key.zset_add(2.0, b"a") == (Status.OK, ZAddFlag.NONE)
    assert key.zset_add(9.0, b"a", ZAddFlag.NX) == (Status.OK, ZAddFlag.NOP)
    assert key.zset_add(9.0, b"new", ZAddFlag.XX) == (Status.OK, ZAddFlag.NOP)
    assert key.zset_add(1.0, b"a", ZAddFlag.GT) == (Status.OK, ZAddFlag.NOP)
    assert key.zset_add(1.0, b"a", ZAddFlag.LT) == (Status.OK, ZAddFlag.UPDATED)
    assert key.zset_add(float("nan"), b"a")[0] == Status.ERR
    assert run("ZRANGE", "z", "0", "-1", "WITHSCORES") == [b"a", 1.0]
    assert events == [(b"z", "new"), (b"z", "zadd"), (b"z", "zadd"), (b"z", "zadd")]


def test_incrby_and_nan(ctx: RedisModuleCtx) -> None:
    key = ctx.open_key("z", RW)
    assert key is not None
    assert key.zset_incrby(2.0, b"m") == (Status.OK, ZAddFlag.ADDED, 2.0)
    assert key.zset_incrby(0.5, b"m") == (Status.OK, ZAddFlag.UPDATED, 2.5)
    assert key.zset_incrby(float("inf"), b"m")[0] == Status.OK
    assert key.zset_incrby(float("-inf"), b"m") == (Status.ERR, ZAddFlag.NONE, None)
    assert key.zset_score(b"m") == float("inf")


def test_rem_deletes_an_emptied_key(ctx: RedisModuleCtx, run: Callable[..., Any]) -> None:
    run("ZADD", "z", "1", "a")
    key = ctx.open_key("z", RW)
    assert key is not None
    assert key.zset_rem(b"nope") == (Status.OK, False)
    assert key.zset_rem(b"a") == (Status.OK, True)
    assert run("EXISTS", "z") == 0
    assert key.zset_rem(b"a") == (Status.OK, False)


def test_wrong_type_and_read_only_handles(ctx: RedisModuleCtx, run: Callable[..., Any]) -> None:
    run("SET", "s", "v")
    run("ZADD", "z", "1", "a")
    string_key = ctx.open_key("s", RW)
    assert string_key is not None
    assert string_key.zset_add(1, b"a")[0] == Status.ERR
    assert string_key.zset_score(b"a") is None
    assert string_key.zset_first_in_score_range(0, 1) == Status.ERR
    read_only = ctx.open_key("z", KeyMode.READ)
    assert read_only is not None
    assert read_only.zset_add(5, b"a")[0] == Status.ERR
    assert read_only.zset_rem(b"a")[0] == Status.ERR
    assert read_only.zset_score(b"a") == 1.0
    assert run("ZSCORE", "z", "a") == 1.0


def _walk(key: Any, forward: bool) -> list[tuple[bytes, float]]:
    seen = []
    while not key.zset_range_end_reached():
        seen.append(key.zset_range_current_element())
        moved = key.zset_range_next() if forward else key.zset_range_prev()
        assert moved != key.zset_range_end_reached()
    assert key.zset_range_current_element() is None
    key.zset_range_stop()
    return seen


def test_score_ranges_both_directions(ctx: RedisModuleCtx, run: Callable[..., Any]) -> None:
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    key = ctx.open_key("z", KeyMode.READ)
    assert key is not None
    assert key.zset_first_in_score_range(2, 4) == Status.OK
    assert _walk(key, True) == [(b"b", 2.0), (b"c", 3.0), (b"d", 4.0)]
    assert key.zset_last_in_score_range(2, 4, True, True) == Status.OK
    assert _walk(key, False) == [(b"c", 3.0)]
    assert key.zset_first_in_score_range(float("-inf"), float("inf")) == Status.OK
    assert [m for m, _ in _walk(key, True)] == [b"a", b"b", b"c", b"d"]
    assert key.zset_first_in_score_range(10, 20) == Status.OK
    assert key.zset_range_end_reached()
    assert key.zset_range_next() is False


def test_lex_ranges_both_directions(ctx: RedisModuleCtx, run: Callable[..., Any]) -> None:
    run("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d")
    key = ctx.open_key("z", KeyMode.READ)
    assert key is not None
    assert key.zset_first_in_lex_range(b"[b", b"+") == Status.OK
    assert [m for m, _ in _walk(key, True)] == [b"b", b"c", b"d"]
    assert key.zset_last_in_lex_range(b"-", b"(d") == Status.OK
    assert [m for m, _ in _walk(key, False)] == [b"c", b"b", b"a"]
    assert key.zset_first_in_lex_range(b"b", b"+") == Status.ERR
    empty = ctx.open_key("missing", KeyMode.READ)
    assert empty is None or empty.zset_first_in_lex_range(b"-", b"+") == Status.ERR
