"""Raw-socket helpers for wire tests: exact bytes in, exact bytes out."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest


class RawClient:
    """A plain TCP connection that sends bytes and checks the exact bytes answered."""

    def __init__(self, port: int, source: str | None = None, timeout: float = 10.0) -> None:
        source_address = (source, 0) if source else None
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=timeout, source_address=source_address
        )
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes (fewer only if the server closed)."""
        while len(self.buffer) < size:
            chunk = self._recv()
            if not chunk:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def expect(self, expected: bytes) -> None:
        assert self.read(len(expected)) == expected

    def read_until(self, marker: bytes) -> bytes:
        """Everything up to and including `marker`."""
        while marker not in self.buffer:
            chunk = self._recv()
            if not chunk:
                raise AssertionError(f"connection closed before {marker!r}: {self.buffer!r}")
            self.buffer += chunk
        end = self.buffer.index(marker) + len(marker)
        data, self.buffer = self.buffer[:end], self.buffer[end:]
        return data

    def read_bulk(self) -> bytes:
        """The payload of one bulk string reply."""
        header = self.read_lines(1)
        assert header.startswith(b"$"), header
        size = int(header[1:-2])
        return self.read(size + 2)[:-2]

    def read_lines(self, count: int) -> bytes:
        """Everything up to and including the `count`th CRLF."""
        while self.buffer.count(b"\r\n") < count:
            chunk = self._recv()
            if not chunk:
                break
            self.buffer += chunk
        end = 0
        for _ in range(count):
            end = self.buffer.index(b"\r\n", end) + 2
        data, self.buffer = self.buffer[:end], self.buffer[end:]
        return data

    def read_until_closed(self) -> bytes:
        """All remaining bytes; returns when the server closes the connection."""
        data = self.buffer
        self.buffer = b""
        while True:
            chunk = self._recv()
            if not chunk:
                return data
            data += chunk

    def is_closed(self, wait: float = 5.0) -> bool:
        """True when the server closed the connection within `wait` seconds."""
        self.sock.settimeout(wait)
        try:
            self.read_until_closed()
        except TimeoutError:
            return False
        return True

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except ConnectionResetError:
            return b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


RawFactory = Callable[..., RawClient]


@pytest.fixture
def raw_factory() -> Iterator[RawFactory]:
    opened: list[RawClient] = []

    def open_raw(port: int, source: str | None = None) -> RawClient:
        client = RawClient(port, source)
        opened.append(client)
        return client

    yield open_raw
    for client in opened:
        client.close()
