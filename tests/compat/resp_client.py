"""A raw RESP client for differential tests: replies keep their wire type (set vs array,
double vs bulk, the exact double text), which redis-py's parsing would hide."""

from __future__ import annotations

import socket
from typing import Any


def encode_command(args: list[bytes]) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class RawClient:
    """One connection; `call` returns a tree of (type letter, value) pairs."""

    def __init__(self, port: int, protocol: int = 2, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        if protocol == 3:
            self.call(b"HELLO", b"3")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def call(self, *args: bytes | str | int) -> Any:
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        self.sock.sendall(encode_command(argv))
        return self.read()

    def send_raw(self, data: bytes) -> Any:
        self.sock.sendall(data)
        return self.read()

    def read(self) -> Any:
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError(f"connection closed mid-reply: {line!r}")
        kind, body = line[:1], line[1:-2]
        if kind in (b"$", b"=", b"!"):
            size = int(body)
            if size < 0:
                return ("null", None)
            data = self.file.read(size + 2)[:-2]
            return (kind.decode(), data)
        if kind in (b"*", b"~", b">", b"%"):
            size = int(body)
            if size < 0:
                return ("null-array", None)
            count = size * 2 if kind == b"%" else size
            return (kind.decode(), [self.read() for _ in range(count)])
        if kind == b"_":
            return ("null", None)
        return (kind.decode(), body)


def unordered(reply: Any) -> Any:
    """A reply whose element order Redis leaves open, in a canonical order."""
    kind, value = reply
    if isinstance(value, list):
        return (kind, sorted(value, key=repr))
    return reply


def scan_members(reply: Any) -> Any:
    """A SCAN-style reply ([cursor, members]) with the cursor dropped and members sorted."""
    kind, value = reply
    if kind in ("*",) and len(value) == 2:
        return unordered(value[1])
    return reply


def shape(reply: Any) -> Any:
    """The type and length of a reply whose content is random (SRANDMEMBER, SPOP)."""
    kind, value = reply
    if isinstance(value, list):
        return (kind, len(value), [shape(item)[0] for item in value])
    if kind in ("-",):
        return reply
    return (kind,)
