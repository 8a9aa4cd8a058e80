"""A one-connection client for differential tests that keeps error replies as values
(("error", text)) and a closed connection as "<closed>", so sequences compare whole."""

from __future__ import annotations

import socket
from typing import Any

import hiredis


class Conn:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.reader = hiredis.Reader()

    def __call__(self, *argv: str) -> Any:
        self.sock.sendall(
            b"*%d\r\n" % len(argv)
            + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in argv)
        )
        while True:
            reply = self.reader.gets()
            if reply is not False:
                return ("error", str(reply)) if isinstance(reply, hiredis.ReplyError) else reply
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return "<closed>"
            self.reader.feed(data)

    def close(self) -> None:
        self.sock.close()
