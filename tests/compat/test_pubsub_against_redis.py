"""Differential test of pub/sub at the byte level: the same scripts of commands, on several
connections, sent to a real redis-server and to Ferrite must get the same bytes back on
every connection (subscription confirmations, messages, subscribed-mode errors, PING's
shapes, RESP2 arrays and RESP3 pushes). Skipped where redis-server is not installed."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator

import pytest

from ferrite_host.testing import FerriteProcess

_SYNC = b"__sync__"
_SYNC_TAIL = b"$8\r\n__sync__\r\n"

#: Steps: (connection number, commands separated by ";", sent in one write). A step that
#: starts with "!" has its reply dropped from the comparison (HELLO: client ids and versions
#: differ); one that starts with "~" answers an array in hash order (PUBSUB CHANNELS), so
#: its elements are compared sorted.
Script = list[tuple[int, str]]

SCRIPTS: dict[str, Script] = {
    "resp2-subscribe-flow": [
        (0, "UNSUBSCRIBE"),
        (0, "PUNSUBSCRIBE"),
        (0, "SUNSUBSCRIBE"),
        (0, "SUBSCRIBE a b a"),
        (0, "PSUBSCRIBE p* a*"),
        (0, "SSUBSCRIBE s1 s2"),
        (0, "GET x"),
        (0, "CLIENT ID"),
        (0, "NOSUCHCMD x"),
        (0, "SUBSCRIBE"),
        (0, "PING"),
        (0, "PING hi"),
        (0, "PING a b"),
        (0, "MULTI;UNSUBSCRIBE a;EXEC"),
        (0, "UNSUBSCRIBE a"),
        (0, "UNSUBSCRIBE"),
        (0, "PUNSUBSCRIBE nothere"),
        (0, "PUNSUBSCRIBE"),
        (0, "GET x"),
        (0, "SUNSUBSCRIBE s1"),
        (0, "SUNSUBSCRIBE"),
        (0, "PING"),
        (0, "GET x"),
    ],
    "resp2-reset-and-quit": [
        (0, "SUBSCRIBE a"),
        (0, "RESET"),
        (0, "PING"),
        (1, "PUBLISH a m"),
        (0, "SUBSCRIBE a"),
        (1, "PUBSUB NUMSUB a"),
        (0, "QUIT"),
        (1, "PUBSUB NUMSUB a"),
        (1, "PUBLISH a m"),
    ],
    "resp3-subscribe-flow": [
        (0, "!HELLO 3"),
        (0, "SUBSCRIBE a"),
        (0, "GET x"),
        (0, "PING"),
        (0, "PING hi"),
        (0, "PUBLISH a m"),
        (0, "SSUBSCRIBE x"),
        (0, "SPUBLISH x m"),
        (0, "SSUBSCRIBE x y"),
        (0, "UNSUBSCRIBE"),
        (0, "SUNSUBSCRIBE x y z"),
        (0, "PSUBSCRIBE *"),
        (0, "PUBLISH q m"),
        (0, "!HELLO 2"),
        (0, "GET x"),
        (0, "PUNSUBSCRIBE"),
        (0, "GET x"),
    ],
    "publish-fan-out": [
        (0, "SUBSCRIBE news"),
        (1, "PSUBSCRIBE n* o?her"),
        (2, "!HELLO 3"),
        (2, "SUBSCRIBE news other"),
        (2, "PSUBSCRIBE *"),
        (3, "PUBLISH news hello"),
        (3, "PUBLISH other x"),
        (3, "PUBLISH nothing y"),
        (3, "~PUBSUB CHANNELS"),
        (3, "~PUBSUB CHANNELS n*"),
        (3, "PUBSUB CHANNELS n* x"),
        (3, "PUBSUB NUMSUB"),
        (3, "PUBSUB NUMSUB news other nothing news"),
        (3, "PUBSUB NUMPAT"),
        (3, "PUBSUB NUMPAT x"),
        (1, "PUNSUBSCRIBE n*"),
        (3, "PUBSUB NUMPAT"),
        (3, "PUBLISH news again"),
        (0, "QUIT"),
        (3, "~PUBSUB CHANNELS"),
        (3, "PUBLISH news last"),
    ],
    "sharded": [
        (0, "SSUBSCRIBE s1 s2"),
        (1, "!HELLO 3"),
        (1, "SSUBSCRIBE s2"),
        (2, "SPUBLISH s2 m"),
        (2, "SPUBLISH s1 m"),
        (2, "PUBLISH s1 m"),
        (2, "SPUBLISH nobody m"),
        (2, "~PUBSUB SHARDCHANNELS"),
        (2, "PUBSUB SHARDCHANNELS s1"),
        (2, "PUBSUB SHARDCHANNELS s* x"),
        (2, "PUBSUB SHARDNUMSUB s1 s2 s3"),
        (2, "PUBSUB SHARDNUMSUB"),
        (2, "PUBSUB CHANNELS"),
        (0, "SUNSUBSCRIBE s2"),
        (2, "PUBSUB SHARDNUMSUB s1 s2"),
    ],
    "help-and-errors": [
        (0, "PUBSUB HELP"),
        (0, "PUBSUB"),
        (0, "PUBSUB FOO"),
        (0, "PUBSUB HELP x"),
        (0, "PUBLISH a"),
        (0, "SPUBLISH a"),
        (0, "PSUBSCRIBE"),
        (0, "SSUBSCRIBE"),
        (0, "MULTI;PUBLISH a b;PING;EXEC"),
        (0, "PING"),
    ],
}


class _Client:
    """One raw connection; `roundtrip` sends a command then a sync PING, and returns every
    byte that arrived before the PING's answer (which is left out)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.closed = False
        self.quitting = False

    def send(self, words: list[bytes]) -> None:
        self.sock.sendall(
            b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)
        )

    def drain(self) -> bytes:
        """Everything up to the sync reply (the sync itself is not returned)."""
        if self.closed:
            return b""
        if self.quitting:
            return self._until_closed()
        self.send([b"PING", _SYNC])
        data = b""
        while not data.endswith(_SYNC_TAIL):
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                return data + b"<closed>"
            data += chunk
        data = data[: -len(_SYNC_TAIL)]
        # Strip the header of the sync reply: nothing (bulk) or RESP2 subscribed mode's array.
        return data.removesuffix(b"*2\r\n$4\r\npong\r\n")

    def _until_closed(self) -> bytes:
        data = b""
        while chunk := self.sock.recv(65536):
            data += chunk
        self.closed = True
        return data + b"<closed>"

    def close(self) -> None:
        self.sock.close()


def _transcript(port: int, script: Script) -> list[tuple[int, str, list[bytes]]]:
    clients: dict[int, _Client] = {}
    out = []
    try:
        for number, line in script:
            client = clients.setdefault(number, _Client(port))
            hidden, unordered = line.startswith("!"), line.startswith("~")
            for command in line.lstrip("!~").split(";"):
                words = [w.encode() for w in command.split()]
                client.send(words)
                client.quitting = words[0].upper() == b"QUIT"
            # The acting connection first (its command is then done), then every other one,
            # so deliveries show where they land.
            own = client.drain()
            replies = [own if c is client else c.drain() for c in clients.values()]
            mine = list(clients).index(number)
            if hidden:
                replies[mine] = b"<hidden>"
            elif unordered:
                replies[mine] = b"".join(sorted(re.findall(rb"\$\d+\r\n[^\r]*\r\n", own)))
            out.append((number, line, replies))
    finally:
        for client in clients.values():
            client.close()
    return out


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> Iterator[int]:
    yield reference_redis()


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_pubsub_script_matches_redis(redis_port: int, server: FerriteProcess, name: str) -> None:
    script = SCRIPTS[name]
    expected = _transcript(redis_port, script)
    got = _transcript(server.port, script)
    for want, have in zip(expected, got, strict=True):
        assert have == want
