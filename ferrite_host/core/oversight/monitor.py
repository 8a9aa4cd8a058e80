"""MONITOR: every executed command, as one `+<time> [<db> <client>] "arg" ...` line, pushed to
each client that asked for the feed."""

from __future__ import annotations

import time
from collections.abc import Callable

#: Sends bytes to one client outside the request/reply cycle (set by the network layer).
Writer = Callable[[bytes], None]

_ESCAPES = {0x5C: b"\\\\", 0x22: b'\\"', 0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t"}
_ESCAPES |= {0x07: b"\\a", 0x08: b"\\b"}
_QUOTED = [
    _ESCAPES.get(byte, bytes([byte]) if 0x20 <= byte < 0x7F else b"\\x%02x" % byte)
    for byte in range(256)
]


def quoted(arg: bytes) -> bytes:
    """An argument as Redis's sdscatrepr writes it: double quotes, C escapes, \\xHH."""
    return b'"' + b"".join([_QUOTED[byte] for byte in arg]) + b'"'


def monitor_line(db: int, client: str, argv: list[bytes], now: float | None = None) -> bytes:
    stamp = time.time() if now is None else now
    seconds = int(stamp)
    micros = int((stamp - seconds) * 1_000_000)
    head = b"+%d.%06d [%d %s]" % (seconds, micros, db, client.encode())
    return b" ".join([head, *(quoted(arg) for arg in argv)]) + b"\r\n"


class MonitorFeed:
    """The clients in MONITOR mode, by client id."""

    def __init__(self) -> None:
        self.writers: dict[int, Writer] = {}

    def add(self, client_id: int, writer: Writer) -> None:
        self.writers[client_id] = writer

    def remove(self, client_id: int) -> None:
        self.writers.pop(client_id, None)

    def feed(self, db: int, client: str, argv: list[bytes]) -> None:
        line = monitor_line(db, client, argv)
        for writer in list(self.writers.values()):
            writer(line)
