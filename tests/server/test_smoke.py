"""The server starts, answers real clients, and shuts down cleanly."""

from __future__ import annotations

import socket

import redis

from ferrite_host.testing import FerriteProcess


def test_ping_set_get_over_the_wire(r: redis.Redis) -> None:
    assert r.ping() is True
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == b"hello"


def test_resp3_hello_map(server: FerriteProcess) -> None:
    client = server.client(protocol=3)
    info = client.execute_command("HELLO", "3")
    assert info[b"proto"] == 3
    assert info[b"server"] == b"redis"
    assert set(info) == {b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"}


def test_inline_command(server: FerriteProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b'SET inline "a b"\r\nGET inline\r\n')
        data = b""
        while data.count(b"\r\n") < 3:
            data += sock.recv(1024)
        assert data == b"+OK\r\n$3\r\na b\r\n"


def test_sigterm_exits_zero() -> None:
    proc = FerriteProcess(modules=[]).start()
    try:
        assert proc.stop() == 0
    finally:
        proc.cleanup()
