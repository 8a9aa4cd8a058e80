"""Differential property test: random sequences of set and sorted-set commands (including
wrong types, odd ranges and scores) against a real redis-server and Ferrite side by side,
every reply compared with its wire type. Bounded so it stays quick."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from resp_client import RawClient, unordered

from ferrite_host.testing import FerriteProcess

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

KEYS = [b"s1", b"s2", b"z1", b"z2", b"str"]
MEMBERS = st.sampled_from([b"a", b"b", b"c", b"1", b"2", b"10", b"-3", b"", b"\xff\x00"])
SCORES = st.sampled_from([b"0", b"1", b"-1", b"2.5", b"1.1", b"inf", b"-inf", b"1e300", b"x"])
BOUNDS = st.sampled_from([b"-inf", b"+inf", b"0", b"(1", b"2.5", b"(2.5", b"x", b"(-inf"])
LEX = st.sampled_from([b"-", b"+", b"[a", b"(a", b"[b", b"(c", b"[", b"a"])
INDEXES = st.sampled_from([b"0", b"1", b"-1", b"-2", b"3", b"100", b"-100"])
KEY = st.sampled_from(KEYS)

#: Commands whose reply order is unspecified (hash-table order), compared unordered.
_UNORDERED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF"}


def _cmd(*parts: st.SearchStrategy[bytes] | bytes) -> st.SearchStrategy[list[bytes]]:
    return st.tuples(*(p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts)).map(
        list
    )


commands = st.one_of(
    _cmd(b"SADD", KEY, MEMBERS, MEMBERS),
    _cmd(b"SREM", KEY, MEMBERS),
    _cmd(b"SISMEMBER", KEY, MEMBERS),
    _cmd(b"SMISMEMBER", KEY, MEMBERS, MEMBERS),
    _cmd(b"SCARD", KEY),
    _cmd(b"SMEMBERS", KEY),
    _cmd(b"SMOVE", KEY, KEY, MEMBERS),
    _cmd(b"SINTER", KEY, KEY),
    _cmd(b"SUNION", KEY, KEY),
    _cmd(b"SDIFF", KEY, KEY),
    _cmd(b"SINTERCARD", b"2", KEY, KEY),
    _cmd(b"SUNIONSTORE", KEY, KEY, KEY),
    _cmd(b"SINTERSTORE", KEY, KEY, KEY),
    _cmd(b"SDIFFSTORE", KEY, KEY, KEY),
    _cmd(b"ZADD", KEY, SCORES, MEMBERS),
    _cmd(b"ZADD", KEY, st.sampled_from([b"NX", b"XX", b"GT", b"LT", b"CH"]), SCORES, MEMBERS),
    _cmd(b"ZADD", KEY, b"INCR", SCORES, MEMBERS),
    _cmd(b"ZINCRBY", KEY, SCORES, MEMBERS),
    _cmd(b"ZREM", KEY, MEMBERS),
    _cmd(b"ZSCORE", KEY, MEMBERS),
    _cmd(b"ZMSCORE", KEY, MEMBERS, MEMBERS),
    _cmd(b"ZRANK", KEY, MEMBERS),
    _cmd(b"ZREVRANK", KEY, MEMBERS),
    _cmd(b"ZCARD", KEY),
    _cmd(b"ZCOUNT", KEY, BOUNDS, BOUNDS),
    _cmd(b"ZLEXCOUNT", KEY, LEX, LEX),
    _cmd(b"ZRANGE", KEY, INDEXES, INDEXES, b"WITHSCORES"),
    _cmd(b"ZRANGE", KEY, BOUNDS, BOUNDS, b"BYSCORE", b"LIMIT", INDEXES, INDEXES),
    _cmd(b"ZRANGE", KEY, BOUNDS, BOUNDS, b"BYSCORE", b"REV", b"WITHSCORES"),
    _cmd(b"ZRANGEBYLEX", KEY, LEX, LEX),
    _cmd(b"ZREVRANGEBYLEX", KEY, LEX, LEX, b"LIMIT", INDEXES, INDEXES),
    _cmd(b"ZREVRANGE", KEY, INDEXES, INDEXES),
    _cmd(b"ZREMRANGEBYRANK", KEY, INDEXES, INDEXES),
    _cmd(b"ZREMRANGEBYSCORE", KEY, BOUNDS, BOUNDS),
    _cmd(b"ZREMRANGEBYLEX", KEY, LEX, LEX),
    _cmd(b"ZPOPMIN", KEY),
    _cmd(b"ZPOPMAX", KEY, INDEXES),
    _cmd(b"ZUNIONSTORE", KEY, b"2", KEY, KEY),
    _cmd(b"ZINTER", b"2", KEY, KEY, b"WITHSCORES"),
    _cmd(b"ZUNION", b"2", KEY, KEY, b"AGGREGATE", st.sampled_from([b"MIN", b"MAX"])),
    _cmd(b"ZDIFF", b"2", KEY, KEY),
    _cmd(b"ZRANGESTORE", KEY, KEY, INDEXES, INDEXES),
    _cmd(b"SORT", KEY, b"ALPHA"),
    _cmd(b"SET", b"str", MEMBERS),
    _cmd(b"DEL", KEY),
    _cmd(b"OBJECT", b"ENCODING", KEY),
    _cmd(b"TYPE", KEY),
)


@pytest.fixture(scope="module")
def clients(
    reference_redis: Callable[..., int], server: FerriteProcess
) -> Iterator[tuple[RawClient, RawClient]]:
    theirs, ours = RawClient(reference_redis(), 3), RawClient(server.port, 3)
    yield theirs, ours
    theirs.close()
    ours.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(commands, min_size=10, max_size=40))
def test_same_replies_as_redis_for_random_sequences(
    clients: tuple[RawClient, RawClient], sequence: list[list[bytes]]
) -> None:
    theirs, ours = clients
    theirs.call(b"FLUSHALL")
    ours.call(b"FLUSHALL")
    for argv in sequence:
        expected, got = theirs.call(*argv), ours.call(*argv)
        if argv[0] in _UNORDERED:
            expected, got = unordered(expected), unordered(got)
        assert expected == got, f"{b' '.join(argv)!r}: redis {expected!r}, ferrite {got!r}"
