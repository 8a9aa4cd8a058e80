"""Differential test from Redis's own pubsub.tcl: under CLIENT REPLY OFF/SKIP a client still
gets SUBSCRIBE's confirmations (pushes in RESP3, arrays in RESP2), nothing else. Same bytes
sent to a real redis-server and to Ferrite, the bytes received compared."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from ferrite_host.testing import FerriteProcess

END = b"CLIENT REPLY ON\r\nPING\r\n"


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis()


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as proc:
        proc.start()
        yield proc


def _received(port: int, protocol: int, payload: bytes) -> bytes:
    """What the server sends back for `payload`, after HELLO's reply, up to the PONG."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"HELLO %d\r\nPING hello-done\r\n" % protocol + payload + END)
        data = b""
        while not data.endswith(b"+PONG\r\n"):
            chunk = sock.recv(65536)
            assert chunk, "connection closed"
            data += chunk
        return data.split(b"hello-done\r\n", 1)[1]


PAYLOADS = [
    b"CLIENT REPLY OFF\r\nSUBSCRIBE a b\r\nPSUBSCRIBE c*\r\nPING\r\nUNSUBSCRIBE a\r\n"
    b"CLIENT REPLY SKIP\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE\r\n",
    b"CLIENT REPLY SKIP\r\nSUBSCRIBE x\r\nUNSUBSCRIBE x\r\n",
]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_push_confirmations_under_client_reply(
    redis_port: int, ferrite: FerriteProcess, protocol: int, payload: bytes
) -> None:
    if protocol == 2 and b"PING\r\n" in payload:
        payload = payload.replace(b"PING\r\n", b"")  # RESP2 subscribers may not PING inline
    assert _received(ferrite.port, protocol, payload) == _received(redis_port, protocol, payload)
