"""CLIENT REPLY ON / OFF / SKIP: the bytes a pipelined sequence gets back, compared with a
real redis-server (what is left out matters, so the comparison is at byte level)."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable

import pytest

from ferrite_host.testing import FerriteProcess

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

SEQUENCE = (
    b"CLIENT REPLY FOO\r\nCLIENT REPLY\r\nSET a 1\r\nCLIENT REPLY OFF\r\nSET a 2\r\nGET a\r\n"
    b"CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nGET a\r\nCLIENT REPLY SKIP\r\nGET a\r\nGET a\r\n"
    b"CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nPING\r\nPING x\r\nCLIENT REPLY OFF\r\n"
    b"CLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\nPING last\r\n"
)


def _replies(port: int) -> bytes:
    """Everything the server sends back until the final `PING last` is answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(SEQUENCE)
        data = b""
        deadline = time.monotonic() + 10
        while not data.endswith(b"$4\r\nlast\r\n") and time.monotonic() < deadline:
            data += sock.recv(65536)
        return data


def test_client_reply_matches_redis(
    reference_redis: Callable[..., int], server: FerriteProcess
) -> None:
    expected = _replies(reference_redis())
    assert expected.endswith(b"$4\r\nlast\r\n")
    assert _replies(server.port) == expected
