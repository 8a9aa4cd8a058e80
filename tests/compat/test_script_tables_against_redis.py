"""Differential tests from Redis's own scripting.tcl: how a returned table is read (raw, no
metatable), for EVAL and for FCALL, and cjson's settings functions. Same calls to a real
redis-server and to Ferrite, replies compared."""

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


#: cjson's settings functions, in order (a setting holds for the scripts after it).
CJSON_SETTINGS = [
    "return {cjson.encode_max_depth(5), cjson.encode_max_depth()}",
    "return cjson.encode_max_depth(0)",
    "return cjson.encode_max_depth('x')",
    "return cjson.encode_max_depth('7')",
    "return {tostring(cjson.encode_invalid_numbers('null')), cjson.encode({1/0, 0/0})}",
    "return {tostring(cjson.encode_invalid_numbers(true)), cjson.encode({1/0, -1/0, 0/0})}",
    "cjson.encode_invalid_numbers(false) return cjson.encode_max_depth()",
    "return {cjson.encode_number_precision(3), cjson.encode(3.14159), cjson.encode(123456)}",
    "return cjson.encode_number_precision(15)",
    "cjson.encode_number_precision(14) return cjson.encode(3.14159)",
    "return {cjson.decode_max_depth(2)}",
    "return cjson.decode('[[[1]]]')",
    "return cjson.decode('[[1]]')",
    "cjson.encode_max_depth(2) return cjson.encode({{{1}}})",
    "return cjson.encode({{1}})",
    "return {cjson.encode_sparse_array(true, 3, 4)}",
    "return {cjson.encode_sparse_array()}",
    "return cjson.encode_keep_buffer(1)",
    "return tostring(cjson.encode_keep_buffer(false))",
    "return cjson.encode_keep_buffer('on')",
    "return tostring(cjson.encode_invalid_numbers({}))",
    "return tostring(cjson.decode_invalid_numbers(false))",
    "return cjson.decode('nan')",
    "return tostring(cjson.decode_invalid_numbers(true))",
    "return cjson.decode('0x10')",
    "return cjson.encode_max_depth(1, 2)",
    "return cjson.encode_invalid_numbers('on', 2)",
]


def _cjson_replies(client: redis.Redis) -> list[Any]:
    client.script_flush()  # a fresh Lua state: lua-cjson's defaults
    out = [_run(client, "EVAL", script, 0) for script in CJSON_SETTINGS]
    client.script_flush()
    out.append(_run(client, "EVAL", "return cjson.encode_max_depth()", 0))
    return [reply.split(" script:")[0] if isinstance(reply, str) else reply for reply in out]


def test_cjson_settings_hold_until_script_flush(redis_port: int, ferrite: FerriteProcess) -> None:
    theirs = redis.Redis(port=redis_port, socket_timeout=10)
    ours = ferrite.client()
    try:
        assert _cjson_replies(ours) == _cjson_replies(theirs)
    finally:
        theirs.close()
        ours.close()


READ_ONLY_CALLS = [
    ("EVAL_RO", "return redis.call('publish', 'ch', 'msg')"),
    ("EVAL_RO", "return redis.call('spublish', 'ch', 'msg')"),
    ("EVAL_RO", "return redis.call('pfcount', 'hll')"),
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('publish', 'ch', 'msg')"),
    ("EVAL", "#!lua\nreturn redis.call('publish', 'ch', 'msg')"),
    ("EVAL_RO", "return redis.call('get', 'hll')"),
]


def test_read_only_scripts_refuse_may_replicate_commands(
    redis_port: int, ferrite: FerriteProcess
) -> None:
    replies = []
    for port in (redis_port, ferrite.port):
        with redis.Redis(port=port, socket_timeout=10) as client:
            replies.append(
                [
                    str(reply).split(" script:")[0]
                    for reply in (
                        _run(client, command, body, 0) for command, body in READ_ONLY_CALLS
                    )
                ]
            )
    assert replies[1] == replies[0]
