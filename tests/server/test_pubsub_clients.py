"""redis-py's PubSub against Ferrite, in both protocols: get_message, listen, run_in_thread,
health-check pings, patterns, shard channels, keyspace notifications, and the asyncio
PubSub. Waits are bounded by timeouts; nothing asserts on timing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio

from ferrite_host.testing import FerriteProcess

PROTOCOLS = [2, 3]


@pytest.fixture
def client(server: FerriteProcess, request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    conn = server.client(protocol=request.param)
    conn.flushall()
    yield conn
    conn.config_set("notify-keyspace-events", "")
    conn.close()


def _next(pubsub: redis.client.PubSub, timeout: float = 5.0) -> dict[str, Any]:
    """The next message that is not None, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.5)
        if message is not None:
            return message
    raise AssertionError("no message arrived")


@pytest.mark.parametrize("client", PROTOCOLS, indirect=True)
def test_get_message_channels_and_patterns(client: redis.Redis) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe("news")
    pubsub.psubscribe("n*")
    assert _next(pubsub)["type"] == "subscribe"
    assert _next(pubsub)["type"] == "psubscribe"
    assert client.publish("news", "hello") == 2
    first, second = _next(pubsub), _next(pubsub)
    assert (first["type"], first["channel"], first["data"]) == ("message", b"news", b"hello")
    assert (second["type"], second["pattern"], second["data"]) == ("pmessage", b"n*", b"hello")
    assert client.pubsub_numsub("news") == [(b"news", 1)]
    assert client.pubsub_numpat() == 1
    pubsub.unsubscribe("news")
    assert _next(pubsub) == {
        "type": "unsubscribe",
        "pattern": None,
        "channel": b"news",
        "data": 1,
    }
    pubsub.close()


@pytest.mark.parametrize("client", PROTOCOLS, indirect=True)
def test_subscribed_client_can_still_ping(client: redis.Redis) -> None:
    pubsub = client.pubsub()
    pubsub.subscribe("c")
    _next(pubsub)
    pubsub.ping("hi")
    reply = _next(pubsub)
    assert reply["type"] == "pong" or reply["data"] in (b"hi", [b"pong", b"hi"])
    pubsub.close()


@pytest.mark.parametrize("client", PROTOCOLS, indirect=True)
def test_handlers_and_listen(client: redis.Redis) -> None:
    received: list[bytes] = []
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(**{"with-handler": lambda m: received.append(m["data"])})
    pubsub.subscribe("plain")
    client.publish("with-handler", "one")
    client.publish("plain", "two")
    for message in pubsub.listen():
        if message is not None and message["type"] == "message":
            assert message["data"] == b"two"
            break
    assert received == [b"one"]
    pubsub.close()


@pytest.mark.parametrize("client", PROTOCOLS, indirect=True)
def test_run_in_thread_with_health_checks(server: FerriteProcess, client: redis.Redis) -> None:
    done = threading.Event()
    received: list[bytes] = []

    def handler(message: dict[str, Any]) -> None:
        received.append(message["data"])
        if len(received) == 3:
            done.set()

    protocol = client.get_connection_kwargs()["protocol"]
    listener = redis.Redis(port=server.port, protocol=protocol, health_check_interval=1)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(work=handler)
    worker = pubsub.run_in_thread(sleep_time=0.05, daemon=True)
    try:
        deadline = time.monotonic() + 5
        while client.pubsub_numsub("work")[0][1] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        client.publish("work", "a")
        time.sleep(1.2)  # past the health-check interval: the next read sends a PING first
        client.publish("work", "b")
        client.publish("work", "c")
        assert done.wait(5)
        assert received == [b"a", b"b", b"c"]
    finally:
        worker.stop()
        worker.join(5)
        pubsub.close()
        listener.close()


@pytest.mark.parametrize("client", PROTOCOLS, indirect=True)
def test_shard_channels(client: redis.Redis) -> None:
    pubsub = client.pubsub()
    pubsub.ssubscribe("orders")
    assert _next(pubsub)["type"] == "ssubscribe"
    assert client.spublish("orders", "x") == 1
    message = _next(pubsub)
    assert (message["type"], message["channel"], message["data"]) == ("smessage", b"orders", b"x")
    assert client.pubsub_shardnumsub("orders") == [(b"orders", 1)]
    assert client.execute_command("PUBSUB SHARDCHANNELS") == [b"orders"]
    pubsub.sunsubscribe("orders")
    assert _next(pubsub)["type"] == "sunsubscribe"
    pubsub.close()


@pytest.mark.parametrize("client", PROTOCOLS, indirect=True)
def test_keyspace_notifications(client: redis.Redis) -> None:
    client.config_set("notify-keyspace-events", "KEA")
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.psubscribe("__keyspace@0__:*", "__keyevent@0__:expired")
    pubsub.get_message(timeout=1)
    pubsub.get_message(timeout=1)
    client.set("k", "v")
    client.expire("k", 100)
    client.set("gone", "v", pxat=1)
    assert client.get("gone") is None
    seen: list[tuple[bytes, bytes]] = []
    while len(seen) < 4:
        message = _next(pubsub)
        seen.append((message["channel"], message["data"]))
    assert seen[:3] == [
        (b"__keyspace@0__:k", b"set"),
        (b"__keyspace@0__:k", b"expire"),
        (b"__keyspace@0__:gone", b"set"),
    ]
    pubsub.close()


def test_disconnect_and_reset_unsubscribe(server: FerriteProcess) -> None:
    admin = server.client(protocol=2)
    sub = server.client(protocol=2, single_connection_client=True)
    sub.execute_command("SUBSCRIBE", "left")
    assert admin.pubsub_numsub("left") == [(b"left", 1)]
    assert "flags=P" in admin.execute_command("CLIENT", "LIST", "TYPE", "pubsub").decode()
    sub.close()
    deadline = time.monotonic() + 5
    while admin.pubsub_numsub("left") != [(b"left", 0)]:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    resetting = server.client(protocol=2, single_connection_client=True)
    resetting.execute_command("SUBSCRIBE", "r")
    assert admin.pubsub_numsub("r") == [(b"r", 1)]
    resetting.execute_command("RESET")
    assert admin.pubsub_numsub("r") == [(b"r", 0)]
    resetting.close()
    admin.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_asyncio_pubsub(server: FerriteProcess, protocol: int) -> None:
    async def scenario() -> list[tuple[str, bytes]]:
        client = redis.asyncio.Redis(port=server.port, protocol=protocol)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe("async-channel")
        await pubsub.psubscribe("async-*")
        await client.publish("async-channel", "payload")
        got: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + 5
        while len(got) < 2 and time.monotonic() < deadline:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if message is not None:
                got.append((message["type"], message["data"]))
        await pubsub.aclose()
        await client.aclose()
        return got

    assert asyncio.run(scenario()) == [("message", b"payload"), ("pmessage", b"payload")]
