"""Request-size limits differential against redis-server: protocol frames past Redis's
bounds, and string growth past proto-max-bulk-len, answered (and closed) the same way."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    theirs = reference_redis()
    with FerriteProcess(modules=[]) as ours:
        yield theirs, ours.port


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        out = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return out + b"<closed>"
            out += chunk


@pytest.mark.parametrize(
    "frame",
    [
        b"*2147483648\r\n",  # one past INT_MAX arguments
        b"*1\r\n$536870913\r\n",  # one byte past proto-max-bulk-len
        b"*1\r\n$-1\r\n",
        b"*x\r\nPING\r\n",
        b"*1\r\n$4\r\nPING\r\n*2\r\n$x\r\nPING\r\nPING\r\n",  # runs the first, not the rest
        b"*1\r\n" + b"$" + b"9" * 70000 + b"\r\n",  # bulk count line past 64 KiB
        b"*" + b"9" * 70000 + b"\r\n",  # count line past 64 KiB, complete
        b"*" + b"9" * 70000,  # ... and incomplete
        b"*1\r\n$" + b"9" * 70000,
        b"PING " + b"x" * 70000,  # inline request past 64 KiB without a newline
    ],
    ids=lambda frame: repr(frame[:24]),
)
def test_oversized_frames_like_redis(ports: tuple[int, int], frame: bytes) -> None:
    theirs, ours = ports
    assert _raw(ours, frame) == _raw(theirs, frame)


def test_string_growth_bounded_by_proto_max_bulk_len(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[object]:
        client = redis.Redis(port=port, protocol=2, socket_timeout=10)
        client.select(7)
        client.config_set("proto-max-bulk-len", "1mb")
        out: list[object] = []
        steps: list[list[object]] = [
            ["SETRANGE", "s", 1024 * 1024 - 1, "x"],
            ["SETRANGE", "s", 1024 * 1024, "x"],
            ["SETRANGE", "t", 1024 * 1024, ""],
            ["SETRANGE", "t", -1, "x"],
            ["APPEND", "s", "y"],
            ["STRLEN", "s"],
            ["SETRANGE", "u", 2**62, "x"],
        ]
        for argv in steps:
            try:
                out.append(client.execute_command(*argv))
            except redis.ResponseError as exc:
                out.append(("error", str(exc)))
        client.config_set("proto-max-bulk-len", "512mb")
        client.flushdb()
        client.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)
