"""A reply nested deeper than the encoder can recurse (a module can build one) becomes an
error reply for that command; the connection and the replies around it are unaffected."""

from __future__ import annotations

import asyncio
from typing import Any

from ferrite_host.assembly import build_state
from ferrite_host.core.spec import CommandSpec
from ferrite_host.server.connection import NESTING_ERROR, Connection


class RecordingTransport(asyncio.Transport):
    """The socket side of a connection: keeps what the server writes."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 5555) if name in ("peername", "sockname") else default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def get_write_buffer_size(self) -> int:
        return 0  # everything written counts as sent

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def _deep(session: Any, argv: list[bytes]) -> Any:
    reply: list[Any] = [b"bottom"]
    for _ in range(int(argv[1])):
        reply = [reply]
    return reply


def test_too_deep_reply_is_an_error_and_the_connection_lives() -> None:
    state = build_state()
    state.commands.register(CommandSpec(name="deep", handler=_deep, arity=2))
    connection = Connection(state)
    transport = RecordingTransport()
    connection.connection_made(transport)
    connection.data_received(b"PING\r\nDEEP 100000\r\nDEEP 2\r\nPING\r\n")
    expected = b"+PONG\r\n-" + NESTING_ERROR.encode() + b"\r\n*1\r\n*1\r\n*1\r\n$6\r\nbottom\r\n"
    assert bytes(transport.written) == expected + b"+PONG\r\n"
    assert not transport.closed
