"""client-output-buffer-limit: a subscriber that never reads is disconnected once its
pending output passes the pub/sub limit, the server stays up and other clients are served.
Run against Ferrite and, for the same outcome, against redis-server."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess

MESSAGE = b"x" * 16384


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as proc:
        yield proc


@pytest.fixture(params=["ferrite", "redis"])
def port(
    request: pytest.FixtureRequest, ferrite: FerriteProcess, reference_redis: Callable[..., int]
) -> Iterator[int]:
    number = ferrite.port if request.param == "ferrite" else reference_redis()
    yield number
    redis.Redis(port=number).config_set(
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    )


def _slow_socket(port: int) -> socket.socket:
    """A client with a tiny receive buffer that will stop reading."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.settimeout(10)
    return sock


def _subscribe(port: int, channel: bytes) -> socket.socket:
    sock = _slow_socket(port)
    sock.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(channel), channel))
    expected = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel), channel)
    got = b""
    while len(got) < len(expected):
        got += sock.recv(len(expected) - len(got))
    assert got == expected
    return sock


def _publish_until_gone(client: redis.Redis, channel: bytes, most: int) -> int:
    """Publish until nobody listens on `channel`; returns the bytes published."""
    sent = 0
    while sent < most:
        with client.pipeline(transaction=False) as pipe:
            for _ in range(64):
                pipe.publish(channel, MESSAGE)
            receivers = pipe.execute()
        sent += 64 * len(MESSAGE)
        if receivers[-1] == 0:
            return sent
    return sent


def test_a_subscriber_that_never_reads_is_disconnected(port: int) -> None:
    client = redis.Redis(port=port)
    client.config_set("client-output-buffer-limit", "pubsub 1mb 256kb 60")
    assert client.config_get("client-output-buffer-limit") == {
        "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 "
        "pubsub 1048576 262144 60"
    }
    slow = _subscribe(port, b"flood")
    bystander = _subscribe(port, b"quiet")
    sent = _publish_until_gone(client, b"flood", 256 * 1024 * 1024)
    assert sent < 256 * 1024 * 1024, "the slow subscriber was never disconnected"
    assert client.pubsub_numsub("flood", "quiet") == [(b"flood", 0), (b"quiet", 1)]
    assert client.publish("quiet", "still here") == 1
    assert client.ping()
    slow.close()
    bystander.close()


def test_the_soft_limit_disconnects_when_held_past_its_seconds(port: int) -> None:
    client = redis.Redis(port=port)
    client.config_set("client-output-buffer-limit", "pubsub 0 128kb 0")
    slow = _subscribe(port, b"soft")
    sent = _publish_until_gone(client, b"soft", 256 * 1024 * 1024)
    assert sent < 256 * 1024 * 1024
    assert client.pubsub_numsub("soft") == [(b"soft", 0)]
    slow.close()


def test_a_normal_client_not_reading_its_replies(port: int) -> None:
    client = redis.Redis(port=port)
    client.set("big", MESSAGE * 4)
    client.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    slow = _slow_socket(port)
    slow.sendall(b"CLIENT SETNAME slowreader\r\n")
    assert slow.recv(5) == b"+OK\r\n"
    request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 64
    deadline = time.monotonic() + 30
    while any(c["name"] == "slowreader" for c in client.client_list()):
        assert time.monotonic() < deadline, "the client that never reads stayed connected"
        try:
            slow.sendall(request)
        except OSError:  # dropped (or our sending blocked): the listing decides
            time.sleep(0.05)
    assert client.ping()
    slow.close()


def test_client_list_shows_pending_output(ferrite: FerriteProcess) -> None:
    client = ferrite.client()
    client.config_set("client-output-buffer-limit", "pubsub 0 0 0")
    slow = _subscribe(ferrite.port, b"backlog")
    for _ in range(16):
        with client.pipeline(transaction=False) as pipe:
            for _ in range(64):
                pipe.publish(b"backlog", MESSAGE)
            pipe.execute()
    (listed,) = [c for c in client.client_list() if c["sub"] == "1"]
    assert int(listed["omem"]) > 0
    assert int(listed["oll"]) >= 1
    assert int(listed["tot-mem"]) > int(listed["omem"])
    assert int(client.info("clients")["client_recent_max_output_buffer"]) > 0
    slow.close()
    client.config_set(
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    )


def test_the_disconnection_is_logged(ferrite: FerriteProcess) -> None:
    client = ferrite.client()
    client.config_set("client-output-buffer-limit", "pubsub 512kb 0 0")
    slow = _subscribe(ferrite.port, b"logged")
    _publish_until_gone(client, b"logged", 256 * 1024 * 1024)
    log = ferrite.log_path.read_text()
    assert "scheduled to be closed ASAP for overcoming of output buffer limits." in log
    assert "flags=P" in log
    slow.close()
