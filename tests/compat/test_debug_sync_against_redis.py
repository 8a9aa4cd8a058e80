"""Differential tests for what Redis's own Tcl suite leans on: DEBUG DIGEST / DIGEST-VALUE
(its algorithm, per type) and DEBUG LOADAOF. Same calls to a real redis-server and to Ferrite,
replies compared."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

DEBUG_AND_AOF = ("--enable-debug-command", "yes", "--appendonly", "yes")


@pytest.fixture(scope="module")
def redis_port(
    reference_redis: Callable[..., int], tmp_path_factory: pytest.TempPathFactory
) -> int:
    directory = tmp_path_factory.mktemp("redis-aof")
    return reference_redis(*DEBUG_AND_AOF, "--dir", str(directory))


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(*DEBUG_AND_AOF, modules=[]) as proc:
        proc.start()
        yield proc


@pytest.fixture
def pair(redis_port: int, ferrite: FerriteProcess) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    theirs = redis.Redis(port=redis_port, socket_timeout=10, single_connection_client=True)
    ours = ferrite.client(socket_timeout=10, single_connection_client=True)
    for client in (theirs, ours):
        client.flushall()
    yield theirs, ours
    theirs.close()
    ours.close()


def _run(client: redis.Redis, argv: list[str]) -> Any:
    try:
        return client.execute_command(*argv)
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"


def _compare(pair: tuple[redis.Redis, redis.Redis], script: str) -> None:
    theirs, ours = pair
    mismatches = []
    for line in script.strip().splitlines():
        argv = line.split()
        expected, got = _run(theirs, argv), _run(ours, argv)
        if expected != got:
            mismatches.append(f"{line!r}: redis {expected!r}, ferrite {got!r}")
    assert not mismatches, "\n".join(mismatches)


def test_digests_follow_redis_per_type(pair: tuple[redis.Redis, redis.Redis]) -> None:
    for client in pair:
        client.zadd("bigz", {f"m{i}": i / 3 for i in range(200)})  # a skiplist
        client.hset("bigh", mapping={f"f{i}": i for i in range(600)})  # a hashtable
        client.rpush("bigl", *range(300))
    _compare(
        pair,
        """
        DEBUG DIGEST
        RPUSH l a b 1 2
        SADD s a b 1 2
        SADD ints 3 1 2
        HSET h a 1 b 2
        ZADD z 1 a 2.5 b -3 c 0.1 d 1e300 e inf f
        SET str hello
        SET num 12345
        DEBUG DIGEST-VALUE l s ints h z str num nokey bigz bigh bigl
        DEBUG DIGEST
        PEXPIRE l 100000
        DEBUG DIGEST-VALUE l
        DEBUG DIGEST
        SELECT 3
        SET x 1
        DEBUG DIGEST
        FLUSHALL
        DEBUG DIGEST
        """,
    )


def test_debug_loadaof_keeps_what_the_aof_has(pair: tuple[redis.Redis, redis.Redis]) -> None:
    _compare(
        pair,
        """
        SET foo bar EX 100
        SET foo bar2 KEEPTTL
        SET p v EX 100
        GETEX p PERSIST
        RPUSH l a b c
        DEBUG LOADAOF
        GET foo
        TTL p
        LRANGE l 0 -1
        DBSIZE
        DEBUG LOADAOF EXTRA
        """,
    )
    for client in pair:
        assert 90 < client.ttl("foo") <= 100
