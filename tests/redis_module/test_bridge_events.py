"""Around the commands, on redis-server through the bridge and on `ferrite serve`: module
configs (Redis-shaped and Pythonic) in CONFIG GET/SET, INFO sections, keyspace and server
events, PUBLISH from a module, the context queries, the collection keys' errno, the Pythonic
Key's collection calls and timers.

The same fixture modules (fx_events, fx_pythonic) load on both hosts and every reply is
compared; timer ids (Redis's are not sequential) are the one thing left out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_module_helpers import fx_env

from ferrite_host.testing import FerriteProcess
from ferrite_host.testing.bridge_process import BridgeUnavailable, RedisBridgeProcess, ensure_bridge

pytestmark = pytest.mark.timeout(180)

MODULES: list[str | tuple[str, ...]] = ["fx_events", "fx_pythonic"]

SCENARIO: list[tuple[object, ...]] = [
    ("CONFIG", "GET", "fxe.limit"),
    ("CONFIG", "GET", "fxe.greeting"),
    ("CONFIG", "GET", "fxe.loud"),
    ("CONFIG", "GET", "fxe.mode"),
    ("CONFIG", "GET", "fxe.fixed"),
    ("CONFIG", "SET", "fxe.limit", "20"),
    ("CONFIG", "SET", "fxe.limit", "5000"),
    ("CONFIG", "SET", "fxe.limit", "x"),
    ("CONFIG", "SET", "fxe.fixed", "3"),
    ("CONFIG", "SET", "fxe.mode", "safe"),
    ("CONFIG", "SET", "fxe.mode", "bogus"),
    ("CONFIG", "SET", "fxe.loud", "yes"),
    ("CONFIG", "SET", "fxe.loud", "maybe"),
    ("CONFIG", "SET", "fxe.greeting", "hello"),
    ("CONFIG", "GET", "fxe.mode"),
    ("FXE.CONFIGS",),
    ("FXE.HEARD", "SETS"),
    ("INFO", "fxe_stats"),
    ("CONFIG", "GET", "fx_pythonic.limit"),
    ("CONFIG", "SET", "fx_pythonic.limit", "3"),
    ("CONFIG", "SET", "fx_pythonic.limit", "-1"),
    ("FXP.ADD", "c", "2"),
    ("FXP.ADD", "c", "2"),
    ("INFO", "fx_pythonic_stats"),
    ("RPUSH", "l", "a", "b"),
    ("LPOP", "l"),
    ("DEL", "l", "l2"),
    ("SET", "k", "v"),
    ("FXE.NOTIFY", "k", "myevent"),
    ("FXE.HEARD", "KEYSPACE"),
    ("FLUSHDB",),
    ("SWAPDB", "0", "1"),
    ("SWAPDB", "0", "1"),
    ("FXE.HEARD", "SERVER"),
    ("FXE.PUBLISH", "ch", "msg"),
    ("SET", "k", "v"),
    ("FXE.QUERIES", "k"),
    ("FXE.QUERIES", "nope"),
    ("FXE.ERRNOS", "k"),
    ("RPUSH", "lst", "a"),
    ("FXE.ERRNOS", "lst"),
    ("HSET", "h", "f", "v"),
    ("FXE.ERRNOS", "h"),
    ("FXP.COLL", "c1"),
    ("FXP.COLL", "c1"),
    ("LRANGE", "c1:l", 0, -1),
    ("HGETALL", "c1:h"),
    ("ZRANGE", "c1:z", 0, -1, "WITHSCORES"),
    ("GET", "c1:s"),
    # RM_GetLRU/SetLRU/GetLFU/SetLFU under both policy kinds, and on an empty key.
    ("SET", "a", "v"),
    ("FXE.ACCESS", "a", "LRU", -5),
    ("FXE.ACCESS", "a", "LRU", 600000),
    ("FXE.ACCESS", "a", "LFU", 100),
    ("FXE.ACCESS", "nokey", "LRU", 10),
    ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
    ("FXE.ACCESS", "a", "LFU", 100),
    ("FXE.ACCESS", "a", "LFU", 300),
    ("FXE.ACCESS", "a", "LRU", 1000),
    ("FXE.ACCESS", "nokey", "LFU", 3),
    ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
]


@pytest.fixture(scope="module")
def hosts(
    fx_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FerriteProcess, RedisBridgeProcess]]:
    try:
        so = ensure_bridge(tmp_path_factory.mktemp("bridge-build"))
    except BridgeUnavailable as exc:
        pytest.skip(str(exc))
    ferrite = FerriteProcess(modules=MODULES, env=fx_env(fx_site))
    bridge = RedisBridgeProcess(modules=MODULES, bridge=so, paths=[fx_site])
    with ferrite, bridge:
        yield ferrite, bridge


def reply(client: redis.Redis, *args: object) -> object:
    try:
        return client.execute_command(*args)
    except redis.ResponseError as exc:
        return ("error", str(exc))


def test_the_same_replies_as_ferrite(hosts: tuple[FerriteProcess, RedisBridgeProcess]) -> None:
    ferrite, bridge = (host.client(protocol=2) for host in hosts)
    for client in (ferrite, bridge):
        client.flushall()
        for store in ("SETS", "SERVER", "KEYSPACE"):
            client.execute_command("FXE.HEARD", store)  # what loading and flushing did
    for command in SCENARIO:
        assert reply(bridge, *command) == reply(ferrite, *command), command
    for client in (ferrite, bridge):
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("FXE.QUERIES", "k")
        assert pipe.execute() == [[1, 0, 1, 1, 0, 0, 1, 16, 1, 1]]  # MULTI
        in_lua = client.eval("return redis.call('FXE.QUERIES', KEYS[1])", 1, "k")
        assert in_lua[:2] + in_lua[3:] == [1, 0, 0, 1, 0, 1, 16, 1, 1]  # LUA, not MULTI
        client.close()


def test_a_module_publishes_to_subscribers(hosts: tuple[FerriteProcess, RedisBridgeProcess]):
    for host in hosts:
        client = host.client(protocol=2)
        pubsub = client.pubsub()
        pubsub.subscribe("news")
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"
        assert client.execute_command("FXE.PUBLISH", "news", "hi") == 1
        message = pubsub.get_message(timeout=5)
        assert message is not None and message["data"] == b"hi"
        pubsub.close()
        client.close()


def test_module_notifications_reach_clients_when_enabled(
    hosts: tuple[FerriteProcess, RedisBridgeProcess],
) -> None:
    for host in hosts:
        client = host.client(protocol=2)
        client.config_set("notify-keyspace-events", "Kd")
        pubsub = client.pubsub()
        pubsub.psubscribe("__keyspace@0__:*")
        assert pubsub.get_message(timeout=5)["type"] == "psubscribe"
        client.execute_command("FXE.NOTIFY", "nk", "custom")
        message = pubsub.get_message(timeout=5)
        assert message is not None
        assert (message["channel"], message["data"]) == (b"__keyspace@0__:nk", b"custom")
        pubsub.close()
        client.config_set("notify-keyspace-events", "")
        client.close()


def _wait_for(client: redis.Redis, key: str) -> bytes | None:
    for _ in range(100):
        value = client.get(key)
        if value is not None:
            return value  # type: ignore[no-any-return]
        time.sleep(0.02)
    return None


@pytest.mark.parametrize("command", ["FXE", "FXP"])
def test_timers_fire_stop_and_tell_what_is_left(
    hosts: tuple[FerriteProcess, RedisBridgeProcess], command: str
) -> None:
    for host in hosts:
        client = host.client(protocol=2)
        client.flushall()
        if command == "FXE":
            pending = client.execute_command("FXE.LATER", 100_000, "never", "v")
            assert client.execute_command("FXE.TIMER", "INFO", pending) == [1, [b"never", b"v"]]
            assert client.execute_command("FXE.TIMER", "STOP", pending) == [b"never", b"v"]
            assert client.execute_command("FXE.TIMER", "STOP", pending) is None
            assert client.execute_command("FXE.TIMER", "INFO", pending) is None
            client.execute_command("FXE.LATER", 10, "soon", "fired")
        else:
            pending = client.execute_command("FXP.LATER", 100_000, "never")
            left, data = client.execute_command("FXP.TIMER", "INFO", pending)
            assert 0 < left <= 100_000 and data == b"never"
            assert client.execute_command("FXP.TIMER", "STOP", pending) == b"never"
            client.execute_command("FXP.LATER", 10, "soon")
        assert _wait_for(client, "soon") == b"fired"
        assert client.exists("never") == 0
        client.close()


def test_configs_given_at_start_reach_the_module(
    fx_site: Path, hosts: tuple[FerriteProcess, RedisBridgeProcess]
) -> None:
    """redis.conf-style `fxe.limit 42` lines reach the module through RM_LoadConfigs, the
    immutable config included."""
    extra = ["--fxe.limit", "42", "--fxe.fixed", "9"]
    with RedisBridgeProcess(
        *extra, modules=["fx_events"], bridge=hosts[1].bridge, paths=[fx_site]
    ) as loaded:
        client = loaded.client(protocol=2)
        assert client.config_get("fxe.*") == {
            "fxe.limit": "42",
            "fxe.fixed": "9",
            "fxe.greeting": "hi",
            "fxe.loud": "no",
            "fxe.mode": "fast",
        }
        assert client.execute_command("FXE.CONFIGS")[:3] == [b"9", b"hi", b"42"]
        client.close()
