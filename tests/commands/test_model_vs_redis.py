"""Differential property test: the model test's random command sequences, run against a real
redis-server and against Ferrite side by side, comparing every reply. Skipped where
redis-server is not installed (.ci/run installs Debian's package)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_model import KEYS, RawClient, commands, initial_state

from ferrite_host.testing import FerriteProcess

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

#: Replies that depend on time or on hash order, compared loosely.
_TIMED = {b"TTL": 2, b"PTTL": 2000, b"EXPIRETIME": 2, b"PEXPIRETIME": 2000}
_UNORDERED = {b"KEYS", b"SCAN ALL"}


@pytest.fixture(scope="module")
def reference(reference_redis: Callable[..., int]) -> Iterator[RawClient]:
    client = RawClient(reference_redis())
    yield client
    client.close()


@pytest.fixture(scope="module")
def ours(server: FerriteProcess) -> Iterator[RawClient]:
    client = RawClient(server.port)
    yield client
    client.close()


def _call(client: RawClient, argv: list[bytes]) -> Any:
    return client.scan_all() if argv == [b"SCAN ALL"] else client.call(*argv)


def _same(argv: list[bytes], theirs: Any, mine: Any) -> bool:
    name = argv[0].upper()
    if name in _UNORDERED:
        return sorted(theirs) == sorted(mine)
    if name == b"RANDOMKEY":
        return (theirs is None) == (mine is None)
    if name in _TIMED and isinstance(theirs, int) and isinstance(mine, int) and theirs >= 0:
        return abs(theirs - mine) <= _TIMED[name]
    return bool(theirs == mine) and type(theirs) is type(mine)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(setup=initial_state, sequence=st.lists(commands, min_size=10, max_size=40))
def test_same_replies_as_redis_for_random_sequences(
    reference: RawClient, ours: RawClient, setup: list[list[bytes]], sequence: list[list[bytes]]
) -> None:
    reference.call(b"FLUSHALL")
    ours.call(b"FLUSHALL")
    final_check = [[command, key] for key in KEYS for command in (b"GET", b"PTTL")]
    for argv in setup + sequence + final_check:
        theirs, mine = _call(reference, argv), _call(ours, argv)
        assert _same(argv, theirs, mine), f"{b' '.join(argv)!r}: redis {theirs!r}, ferrite {mine!r}"
