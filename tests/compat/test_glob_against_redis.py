"""Glob patterns differential against redis-server: the same keys on both servers, KEYS and
SCAN MATCH with fuzzed patterns, every answer compared; and the CVE-2022-36021 pattern
answers at once, leaving the server stoppable."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrite_host.testing import FerriteProcess

KEYS = [
    b"",
    b"a",
    b"A",
    b"ab",
    b"aB",
    b"abc",
    b"a]",
    b"]",
    b"-",
    b"^",
    b"\\",
    b"*",
    b"?",
    b"[",
    b"a*b",
    b"\xff",
    b"\x80a",
    b"user:1",
    b"user:10",
    b"User:2",
    b"a" * 40,
]
PATTERN_BYTES = st.sampled_from([*list(b"aAbB*?[]^-\\:"), 255, 128])


@pytest.fixture(scope="module")
def pair(reference_redis: Callable[..., int]) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    theirs = redis.Redis(port=reference_redis(), protocol=2, socket_timeout=10)
    with FerriteProcess(modules=[]) as proc:
        ours = proc.client(protocol=2)
        for client in (ours, theirs):
            client.select(9)
            client.flushdb()
            client.mset({key: b"1" for key in KEYS})
        yield ours, theirs
        ours.close()
    theirs.flushdb()
    theirs.close()


def _keys(client: redis.Redis, pattern: bytes) -> list[bytes]:
    return sorted(client.keys(pattern))


def _scan(client: redis.Redis, pattern: bytes) -> list[bytes]:
    return sorted(client.scan_iter(match=pattern, count=1000))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(PATTERN_BYTES, min_size=0, max_size=8).map(bytes))
def test_keys_and_scan_match_like_redis(
    pair: tuple[redis.Redis, redis.Redis], pattern: bytes
) -> None:
    ours, theirs = pair
    assert _keys(ours, pattern) == _keys(theirs, pattern)
    assert _scan(ours, pattern) == _scan(theirs, pattern)


@pytest.mark.parametrize(
    "pattern",
    [b"*", b"**", b"[a-]*", b"[a-\xff]", b"[\x7f-\x81]", b"*a" * 1000, b"*a" * 1001, b"a*\\"],
)
def test_corner_patterns_like_redis(pair: tuple[redis.Redis, redis.Redis], pattern: bytes) -> None:
    ours, theirs = pair
    assert _keys(ours, pattern) == _keys(theirs, pattern)


def test_glob_bomb_answers_at_once_and_sigterm_stops_the_server() -> None:
    bomb = b"a*" * 20 + b"b"
    with FerriteProcess(modules=[]) as proc:
        client = proc.client(protocol=2, socket_timeout=5)  # a stall would time out
        client.set(b"a" * 40, b"v")
        assert client.keys(bomb) == []
        assert list(client.scan_iter(match=bomb)) == []
        client.close()
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGTERM)
        try:
            assert proc.proc.wait(10) == 0
        except subprocess.TimeoutExpired:
            pytest.fail("the server ignored SIGTERM")
