"""Differential tests from Redis's own functions.tcl: FUNCTION's own argument-count errors,
redis.register_function's argument checks, and register_function refused outside FUNCTION
LOAD. Same calls to a real redis-server and to Ferrite, replies compared."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

COMMANDS: list[list[str]] = [
    ["FUNCTION", "RESTORE"],
    ["FUNCTION", "RESTORE", "a", "b", "c", "d"],
    ["FUNCTION", "RESTORE", "a", "bogus"],
    ["FUNCTION", "FLUSH", "bad"],
    ["FUNCTION", "FLUSH", "bad", "bad"],
    ["FUNCTION", "FLUSH", "ASYNC"],
    ["FUNCTION", "LIST", "WITHCODE", "bad"],
    ["SCRIPT", "FLUSH", "a", "b"],
]

LIBRARIES = [
    "#!lua name=lib2\nredis.register_function(nil, function() return 1 end)",
    "#!lua name=lib2\nredis.register_function(1, function() return 1 end)",
    "#!lua name=lib2\nredis.register_function('f', 1)",
    "#!lua name=lib2\nredis.register_function(nil, 1)",
    "#!lua name=lib2\nredis.register_function({}, function() return 1 end)",
    "#!lua name=lib1\nlocal lib = redis\n"
    "lib.register_function('f2', function () lib.register_function('f1', function () "
    "return 1 end) end)",
]


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis()


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as proc:
        proc.start()
        yield proc


def _run(client: redis.Redis, *argv: Any) -> Any:
    try:
        return client.execute_command(*argv)
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"


def _replies(port: int) -> list[Any]:
    with redis.Redis(port=port, socket_timeout=10) as client:
        client.function_flush()
        out = [_run(client, *argv) for argv in COMMANDS]
        out += [_run(client, "FUNCTION", "LOAD", "REPLACE", code) for code in LIBRARIES]
        out.append(_run(client, "FCALL", "f2", 0))
        out.append(_run(client, "FCALL", "1", 0))
        client.function_flush()
        return out


def test_function_errors_match_redis(redis_port: int, ferrite: FerriteProcess) -> None:
    assert _replies(ferrite.port) == _replies(redis_port)
