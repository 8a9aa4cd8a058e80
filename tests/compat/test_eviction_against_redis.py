"""maxmemory differential against redis-server: -OOM refusals byte for byte (commands,
MULTI/EXEC, scripts, functions), the eviction settings' CONFIG SET/GET, and OBJECT
FREQ/IDLETIME where they are deterministic.

`maxmemory 1` is over the limit on both servers whatever they hold, so every refusal is
deterministic under noeviction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ferrite_host.testing import FerriteProcess
from tests.compat.raw_resp import RawResp, Reply

#: DUMP of the string "v" as Redis 7.0 writes it.
PAYLOAD = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"

FUNCTIONS = (
    "#!lua name=evictlib\n"
    'redis.register_function("w", function() return redis.call("set", "f", "1") end)\n'
    "redis.register_function{function_name='r', "
    "callback=function() return redis.call('get', 'f') end, flags={'no-writes'}}\n"
    "redis.register_function{function_name='o', "
    "callback=function() return redis.call('set', 'f', '2') end, flags={'allow-oom'}}\n"
)


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    # Its own reference server: these tests change maxmemory.
    theirs = reference_redis("--maxmemory-policy", "noeviction", "--maxmemory-samples", "5")
    with FerriteProcess(modules=[]) as ours:
        yield theirs, ours.port


def both(ports: tuple[int, int], steps: list[list[object]]) -> None:
    """Run `steps` on a fresh connection to each server, compare every reply, and leave
    both without a memory limit."""
    replies = []
    for port in ports:
        conn = RawResp(port)
        conn.call("FLUSHALL")
        conn.call("FUNCTION", "FLUSH")
        out = [_canonical(step, conn.call(*(_arg(part) for part in step))) for step in steps]
        conn.call("CONFIG", "SET", "maxmemory", "0")
        conn.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
        replies.append(out)
    for step, ours, theirs in zip(steps, replies[1], replies[0], strict=True):
        assert ours == theirs, step


def _canonical(step: list[object], reply: Reply) -> Reply:
    """CONFIG GET answers in hash-table order: compare its pairs sorted. An idle time may
    read one second more when the access clock ticks between two steps: compare tens."""
    if step[:2] == ["CONFIG", "GET"] and reply[0] == "*":
        items = reply[1]
        return reply[0], sorted(zip(items[::2], items[1::2], strict=True))
    if step[:2] == ["OBJECT", "IDLETIME"] and reply[0] == ":":
        return reply[0], round(int(reply[1]), -1)
    return reply


def _arg(part: object) -> bytes | str:
    return part if isinstance(part, bytes) else str(part)


def test_oom_refusals_like_redis(ports: tuple[int, int]) -> None:
    both(
        ports,
        [
            ["SET", "x", "1"],
            ["CONFIG", "SET", "maxmemory", "1"],
            ["SET", "a", "b"],
            ["INCR", "x"],
            ["GET", "x"],
            ["DEL", "x"],  # not deny-oom: runs
            ["LPUSH", "l", "v"],
            ["APPEND", "x", "1"],
            ["PING"],
            ["MULTI"],
            ["GET", "x"],  # anything queued over the limit is refused
            ["EXEC"],
            ["MULTI"],
            ["DISCARD"],
            ["CONFIG", "SET", "maxmemory", "0"],
            ["MULTI"],
            ["SET", "a", "b"],
            ["CONFIG", "SET", "maxmemory", "1"],
            ["EXEC"],  # EXEC of a queued deny-oom command
            ["CONFIG", "SET", "maxmemory", "0"],
            ["MULTI"],
            ["GET", "a"],
            ["CONFIG", "SET", "maxmemory", "1"],
            ["EXEC"],  # nothing deny-oom queued: runs
        ],
    )


def test_scripts_over_maxmemory_like_redis(ports: tuple[int, int]) -> None:
    both(
        ports,
        [
            ["SET", "x", "1"],
            ["FUNCTION", "LOAD", FUNCTIONS],
            ["CONFIG", "SET", "maxmemory", "1"],
            ["EVAL", "return redis.call('set','a','b')", "0"],
            ["EVAL", "return redis.pcall('set','a','b')", "0"],
            ["EVAL", "#!lua\nreturn redis.call('set','a','b')", "0"],
            ["EVAL", "#!lua flags=allow-oom\nreturn redis.call('set','a','b')", "0"],
            ["EVAL", "#!lua flags=no-writes\nreturn redis.call('get','a')", "0"],
            ["EVAL", "return redis.call('get','a')", "0"],
            ["EVAL", "redis.call('del','nokey'); return redis.call('set','a','c')", "0"],
            ["EVAL_RO", "return redis.call('get','a')", "0"],
            ["FCALL", "w", "0"],
            ["FCALL", "r", "0"],
            ["FCALL_RO", "r", "0"],
            ["FCALL", "o", "0"],
            ["FUNCTION", "LOAD", "REPLACE", FUNCTIONS],
        ],
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("maxmemory", "abc"),
        ("maxmemory", "-1"),
        ("maxmemory", "1.5mb"),
        ("maxmemory", "100mb"),
        ("maxmemory", "10b"),
        ("maxmemory", "5K"),
        ("maxmemory", "3GB"),
        ("maxmemory-samples", "0"),
        ("maxmemory-samples", "65"),
        ("maxmemory-samples", "x"),
        ("maxmemory-samples", "5k"),
        ("maxmemory-eviction-tenacity", "101"),
        ("maxmemory-eviction-tenacity", "0"),
        ("lfu-log-factor", "-1"),
        ("lfu-log-factor", "100"),
        ("lfu-decay-time", "-1"),
        ("lfu-decay-time", "0"),
        ("maxmemory-policy", "foo"),
        ("maxmemory-policy", "ALLKEYS-LRU"),
        ("maxmemory-policy", "volatile-ttl"),
    ],
)
def test_config_set_like_redis(ports: tuple[int, int], name: str, value: str) -> None:
    both(
        ports,
        [
            ["CONFIG", "SET", name, value],
            ["CONFIG", "GET", name],
            ["CONFIG", "SET", "maxmemory-samples", "5"],
            ["CONFIG", "SET", "maxmemory-eviction-tenacity", "10"],
            ["CONFIG", "SET", "lfu-log-factor", "10"],
            ["CONFIG", "SET", "lfu-decay-time", "1"],
        ],
    )


def test_config_get_defaults_like_redis(ports: tuple[int, int]) -> None:
    both(ports, [["CONFIG", "GET", "maxmemory*"], ["CONFIG", "GET", "lfu-*"]])


def test_object_freq_and_idletime_like_redis(ports: tuple[int, int]) -> None:
    both(
        ports,
        [
            ["SET", "k", "v"],
            ["OBJECT", "FREQ", "k"],  # error: no LFU policy
            ["OBJECT", "IDLETIME", "k"],  # just written
            ["OBJECT", "IDLETIME", "nokey"],
            ["OBJECT", "FREQ", "nokey"],
            ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
            ["CONFIG", "SET", "lfu-log-factor", "0"],  # every access counts: deterministic
            ["SET", "n", "v"],
            ["OBJECT", "FREQ", "n"],  # LFU_INIT_VAL
            ["GET", "n"],  # the first access always counts
            ["OBJECT", "FREQ", "n"],
            ["OBJECT", "FREQ", "n"],  # OBJECT itself is not an access
            ["OBJECT", "IDLETIME", "n"],  # error under LFU
            ["SET", "n", "w"],  # overwriting keeps the counter under LFU
            ["OBJECT", "FREQ", "n"],
            ["RESTORE", "r", "0", PAYLOAD, "FREQ", "100"],
            ["OBJECT", "FREQ", "r"],
            ["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
            ["RESTORE", "i", "0", PAYLOAD, "IDLETIME", "1000"],
            ["OBJECT", "IDLETIME", "i"],
            ["EXISTS", "i"],  # not an access
            ["TYPE", "i"],  # nor this
            ["OBJECT", "ENCODING", "i"],
            ["OBJECT", "IDLETIME", "i"],
            ["TOUCH", "i"],  # an access
            ["OBJECT", "IDLETIME", "i"],
            ["CONFIG", "SET", "lfu-log-factor", "10"],
        ],
    )
