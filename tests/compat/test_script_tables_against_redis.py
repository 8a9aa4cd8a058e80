"""Differential tests from Redis's own scripting.tcl: how a returned table is read (raw, no
metatable), for EVAL and for FCALL. Same calls to a real redis-server and to Ferrite,
replies compared."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

#: Script bodies; each runs as EVAL and as a library function, then `GET x` is compared too.
BODIES = [
    "return _G",
    "return redis",
    "return {1, 2, err=nil}",
    "local a = {}; setmetatable(a, {__index=function() redis.call('set', 'x', '1') end}) return a",
    "return setmetatable({}, {__index=function(t, k) return 'v' end})",
    "return setmetatable({7}, {__index=function(t, k) if k == 'err' then return 'boom' end end})",
    "return setmetatable({ok='fine'}, {})",
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


def _replies(client: redis.Redis, body: str) -> list[Any]:
    client.flushall()
    library = f"#!lua name=test\nredis.register_function('test', function(KEYS, ARGV)\n{body}\nend)"
    out = [_run(client, "EVAL", body, 0), _run(client, "GET", "x")]
    client.flushall()
    out += [_run(client, "FUNCTION", "LOAD", "REPLACE", library), _run(client, "FCALL", "test", 0)]
    out += [_run(client, "GET", "x"), _run(client, "FUNCTION", "DELETE", "test")]
    return out


@pytest.mark.parametrize("body", BODIES)
def test_returned_tables_are_read_raw(redis_port: int, ferrite: FerriteProcess, body: str) -> None:
    theirs = redis.Redis(port=redis_port, socket_timeout=10)
    ours = ferrite.client()
    try:
        assert _replies(ours, body) == _replies(theirs, body)
    finally:
        theirs.close()
        ours.close()
