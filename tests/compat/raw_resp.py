"""A RESP client that keeps every reply's wire type, for byte-exact differential tests.

redis-py turns replies into Python values (and its callbacks reshape some), which would hide
a map sent as an array or a double sent as a bulk string. Here each reply is a tree of
(type byte, payload) pairs read straight off the socket.
"""

from __future__ import annotations

import socket
from typing import Any

Reply = tuple[str, Any]


class RawResp:
    def __init__(self, port: int, protocol: int = 2) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        if protocol == 3:
            kind, _ = self.call(b"HELLO", b"3")
            assert kind == "%", "HELLO 3 failed"

    def call(self, *args: bytes | str | int) -> Reply:
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.sock.sendall(
            b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        )
        return self._read()

    def _line(self) -> bytes:
        line = self.file.readline()
        if not line:
            raise ConnectionError("server closed the connection")
        return line[:-2]

    def _read(self) -> Reply:
        line = self._line()
        kind, rest = chr(line[0]), line[1:]
        if kind in "$=":
            size = int(rest)
            if size < 0:
                return kind, None
            data = self.file.read(size + 2)[:-2]
            return kind, data
        if kind in "*~>":
            size = int(rest)
            if size < 0:
                return kind, None
            return kind, [self._read() for _ in range(size)]
        if kind in "%|":
            return kind, [(self._read(), self._read()) for _ in range(int(rest))]
        return kind, rest  # + - : , _ # ( as their raw text

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def plain(reply: Reply) -> Any:
    """The reply without wire types (bytes, ints, lists), for order-insensitive checks."""
    kind, value = reply
    if kind in "*~>" and value is not None:
        return [plain(item) for item in value]
    if kind in "%|":
        return [(plain(k), plain(v)) for k, v in value]
    if kind == ":":
        return int(value)
    return value
