"""The client side of MIGRATE: a blocking RESP connection that sends RESTOREs to a server.

Blocking on purpose, as Redis's MIGRATE is: the command returns when the target answered
(or the timeout passed), so the keys are deleted here only once they exist there. As in
Redis, a connection is kept for 10 seconds after its last use (with the database it last
selected), so a burst of MIGRATEs to one target reuses it.
"""

from __future__ import annotations

import socket
import time

from ferrite_host.persistence.aof import encode_command

CONNECT_ERROR = "IOERR error or timeout connecting to the client"
WRITE_ERROR = "IOERR error or timeout writing to target instance"
READ_ERROR = "IOERR error or timeout reading to target instance"


class MigrationError(Exception):
    """What MIGRATE replies (Redis's text) when talking to the target failed."""


class TargetError(Exception):
    """The target answered a command with an error (its text, without the '-')."""


class TargetConnection:
    def __init__(self, host: str, port: int, timeout_ms: int) -> None:
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout_ms / 1000)
        except (OSError, ValueError):
            raise MigrationError(CONNECT_ERROR) from None
        self._sock.settimeout(timeout_ms / 1000)
        self._buffer = b""
        #: The database the target has selected for us (-1: unknown).
        self.selected = -1
        self.last_use = time.monotonic()

    def set_timeout(self, timeout_ms: int) -> None:
        self._sock.settimeout(timeout_ms / 1000)

    def close(self) -> None:
        self._sock.close()

    def send(self, commands: list[list[bytes]]) -> None:
        try:
            self._sock.sendall(b"".join(encode_command(argv) for argv in commands))
        except OSError:
            raise MigrationError(WRITE_ERROR) from None

    def reply(self) -> bytes | int | None:
        """One reply; TargetError for an error reply (only simple replies are expected)."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise TargetError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self._exact(size + 2)
            return data[:-2]
        raise MigrationError(READ_ERROR)

    def _line(self) -> bytes:
        while b"\r\n" not in self._buffer:
            self._fill()
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line

    def _exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _fill(self) -> None:
        try:
            chunk = self._sock.recv(65536)
        except OSError:
            raise MigrationError(READ_ERROR) from None
        if not chunk:
            raise MigrationError(READ_ERROR)
        self._buffer += chunk


#: Seconds an idle cached connection is kept (Redis's MIGRATE_SOCKET_CACHE_TTL).
CACHE_TTL = 10.0
CACHE_ITEMS = 64
_cache: dict[tuple[str, int], TargetConnection] = {}


def connection(host: str, port: int, timeout_ms: int) -> TargetConnection:
    """A cached connection to host:port, or a new one (MigrationError when it fails)."""
    expire_idle()
    cached = _cache.get((host, port))
    if cached is not None:
        cached.set_timeout(timeout_ms)
        cached.last_use = time.monotonic()
        return cached
    if len(_cache) >= CACHE_ITEMS:
        drop(*next(iter(_cache)))
    fresh = _cache[(host, port)] = TargetConnection(host, port, timeout_ms)
    return fresh


def drop(host: str, port: int) -> None:
    """Close and forget a connection (after an I/O error its state is unknown)."""
    cached = _cache.pop((host, port), None)
    if cached is not None:
        cached.close()


def expire_idle() -> None:
    now = time.monotonic()
    for slot, cached in list(_cache.items()):
        if now - cached.last_use > CACHE_TTL:
            drop(*slot)
