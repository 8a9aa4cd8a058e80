"""Scripts of raw commands over several connections, for byte-level differential tests.

A script is a list of steps `(connection name, commands)`; commands are separated by ";"
and sent in one write. After each step every connection is synced twice with a
`PING __sync__` (the acting one first, so its command is done before the others are read),
and each connection's bytes with the sync replies taken out are recorded. A step that starts
with "!" has its reply hidden (HELLO: versions and ids differ); one that starts with "~"
answers an array in hash order, compared sorted. `$name` in a command is replaced by that
connection's client id; client ids in the replies of CLIENT ID / GETREDIR / TRACKINGINFO
steps are replaced by their connection's name, and in `tracking-redir-broken` pushes by
`<id>`.
"""

from __future__ import annotations

import re
import socket

_SYNC = b"__sync__"
_SYNC_REPLIES = (b"*2\r\n$4\r\npong\r\n$8\r\n__sync__\r\n", b"$8\r\n__sync__\r\n")
_SYNC_TAIL = b"$8\r\n__sync__\r\n"

Script = list[tuple[str, str]]
Transcript = list[tuple[str, str, dict[str, bytes]]]


def encode(words: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)


class RawClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.closed = False
        self.quitting = False
        self.sock.sendall(encode([b"CLIENT", b"ID"]))
        reply = b""
        while not reply.endswith(b"\r\n"):
            reply += self.sock.recv(64)
        self.id = int(reply[1:-2])

    def send(self, words: list[bytes]) -> None:
        self.sock.sendall(encode(words))

    def _until_sync(self, first: bytes) -> bytes:
        data = first
        while not data.endswith(_SYNC_TAIL):
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                return data + b"<closed>"
            data += chunk
        return data

    def drain(self) -> bytes:
        """Everything that arrived up to a sync reply, sync replies left out."""
        if self.closed:
            return b""
        if self.quitting:
            data = b""
            while chunk := self.sock.recv(65536):
                data += chunk
            self.closed = True
            return data + b"<closed>"
        self.send([b"PING", _SYNC])
        data = self._until_sync(b"")
        for sync in _SYNC_REPLIES:
            data = data.replace(sync, b"")
        return data

    def close(self) -> None:
        self.sock.close()


def run_script(port: int, script: Script) -> Transcript:
    clients: dict[str, RawClient] = {}
    out: Transcript = []

    def client(name: str) -> RawClient:
        if name not in clients:
            clients[name] = RawClient(port)
        return clients[name]

    try:
        for name, line in script:
            actor = client(name)
            hidden, unordered = line.startswith("!"), line.startswith("~")
            for command in line.lstrip("!~").split(";"):
                words = []
                for word in command.split():
                    if word.startswith("$"):
                        word = str(client(word[1:]).id)
                    words.append(word.encode())
                if words[0].upper() == b"CLOSE":
                    actor.close()
                    actor.closed = True
                    continue
                actor.send(words)
                actor.quitting = words[0].upper() == b"QUIT"
            replies = {name: actor.drain()}
            for other, conn in clients.items():
                if conn is not actor:
                    replies[other] = conn.drain()
            for other, conn in clients.items():  # second round: what came after a sync
                replies[other] += conn.drain()
            if hidden:
                replies[name] = b"<hidden>"
            elif unordered:
                replies[name] = b"".join(sorted(re.findall(rb"\$\d+\r\n[^\r]*\r\n", replies[name])))
            for key, value in replies.items():
                replies[key] = re.sub(rb"(tracking-redir-broken\r\n):\d+", rb"\1:<id>", value)
            if re.search(r"GETREDIR|TRACKINGINFO|CLIENT ID", line):
                for other, conn in clients.items():
                    own = b":%d\r\n" % conn.id
                    replies[name] = replies[name].replace(own, b":<%s>\r\n" % other.encode())
            out.append((name, line, {k: v for k, v in replies.items() if v}))
    finally:
        for conn in clients.values():
            if not conn.closed:
                conn.close()
    return out
