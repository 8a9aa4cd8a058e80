"""Differential test of authentication: both servers with `requirepass`, the same exchanges on
fresh and on authenticated connections, every reply compared. Skipped without redis-server."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from typing import Any

import hiredis
import pytest

from ferrite_host.testing import FerriteProcess

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

#: Each list runs on one fresh connection.
SESSIONS = [
    [["PING"]],
    [["FOO", "x"]],  # unknown command comes before NOAUTH, as in Redis
    [["GET"]],  # so does wrong arity
    [["GET", "k"]],
    [["AUTH", "nope"]],
    [["AUTH", "default", "nope"]],
    [["AUTH", "bob", "secret"]],
    [["AUTH", "a", "b", "c"]],
    [["HELLO", "3"]],
    [["HELLO", "2", "AUTH", "default", "nope"]],
    [["QUIT"]],
    [["AUTH", "secret"], ["SET", "k", "v"], ["AUTH", "wrong"], ["GET", "k"]],
    [["AUTH", "secret"], ["CLIENT", "SETNAME", "me"], ["CLIENT", "GETNAME"], ["PING"]],
]


def _call(sock: socket.socket, reader: Any, argv: list[str]) -> Any:
    sock.sendall(
        b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in argv)
    )
    while True:
        reply = reader.gets()
        if reply is not False:
            return ("error", str(reply)) if isinstance(reply, hiredis.ReplyError) else reply
        data = sock.recv(65536)
        if not data:
            return "<closed>"
        reader.feed(data)


def _run(port: int, session: list[list[str]]) -> list[Any]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        reader = hiredis.Reader()
        return [_call(sock, reader, argv) for argv in session]


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    theirs = reference_redis("--requirepass", "secret")
    with FerriteProcess("--requirepass", "secret", modules=[]) as ours:
        yield theirs, ours.port


@pytest.mark.parametrize("session", SESSIONS, ids=lambda s: " / ".join(" ".join(a) for a in s))
def test_same_auth_replies_as_redis(ports: tuple[int, int], session: list[list[str]]) -> None:
    theirs, ours = ports
    assert _run(ours, session) == _run(theirs, session)
