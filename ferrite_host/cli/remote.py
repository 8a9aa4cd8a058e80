"""A minimal client for CLI commands that talk to a running server (`ferrite modules load`).

redis-py rewrites error replies (it strips the `ERR` prefix and picks exception classes);
the CLI must print errors exactly as the server sent them, so it speaks RESP itself over a
socket and parses with hiredis. Connection options follow redis-cli: -h, -p, -a, --user, -u.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import hiredis

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 6379
TIMEOUT_SECONDS = 10.0


class ServerUnreachable(Exception):
    """The server could not be reached; the message says where we tried and why."""


class ServerError(Exception):
    """The server answered with an error reply; the message is its text verbatim."""


@dataclass
class Endpoint:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    password: str | None = None
    user: str | None = None
    db: int = 0

    @classmethod
    def from_options(
        cls,
        host: str | None,
        port: int | None,
        password: str | None,
        user: str | None,
        url: str | None,
    ) -> Endpoint:
        """Explicit -h/-p/-a/--user win over the parts of a -u URL, as in redis-cli."""
        endpoint = cls.from_url(url) if url else cls()
        if host is not None:
            endpoint.host = host
        if port is not None:
            endpoint.port = port
        if password is not None:
            endpoint.password = password
        if user is not None:
            endpoint.user = user
        return endpoint

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        """redis://[[user]:password@]host[:port][/db]"""
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError(f"unsupported URL scheme in {url!r}: use redis://host:port")
        path = parts.path.strip("/")
        try:
            db = int(path) if path else 0
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise ValueError(f"invalid URL {url!r}: expected redis://host:port/db") from None
        return cls(
            host=parts.hostname or DEFAULT_HOST,
            port=port,
            password=unquote(parts.password) if parts.password else None,
            user=unquote(parts.username) if parts.username else None,
            db=db,
        )

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def _encode(args: tuple[str | bytes, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RemoteServer:
    """One connection; `command()` returns the reply or raises ServerError with its text."""

    def __init__(self, endpoint: Endpoint, timeout: float = TIMEOUT_SECONDS) -> None:
        self.endpoint = endpoint
        try:
            self._sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
        except OSError as exc:
            raise ServerUnreachable(
                f"could not connect to a Ferrite server at {endpoint}: {exc.strerror or exc}"
            ) from None
        self._reader = hiredis.Reader()
        if endpoint.password is not None:
            auth = (
                ("AUTH", endpoint.user, endpoint.password)
                if endpoint.user
                else ("AUTH", endpoint.password)
            )
            self.command(*[a for a in auth if a is not None])
        if endpoint.db:
            self.command("SELECT", str(endpoint.db))

    def command(self, *args: str | bytes) -> Any:
        try:
            self._sock.sendall(_encode(args))
            while True:
                reply = self._reader.gets()
                if reply is not False:
                    break
                data = self._sock.recv(65536)
                if not data:
                    raise ServerUnreachable(f"the server at {self.endpoint} closed the connection")
                self._reader.feed(data)
        except OSError as exc:
            raise ServerUnreachable(
                f"lost the connection to {self.endpoint}: {exc.strerror or exc}"
            ) from None
        if isinstance(reply, hiredis.ReplyError):
            raise ServerError(str(reply))
        return reply

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> RemoteServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
