"""SLOWLOG's memory: the last `slowlog-max-len` calls that took `slowlog-log-slower-than`
microseconds or more, newest first, shaped as Redis stores them."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

#: Redis keeps at most this many arguments of a logged call (the last says how many more).
MAX_ARGC = 32
#: ... and at most this many bytes of each argument.
MAX_ARG_BYTES = 128


@dataclass(frozen=True)
class SlowLogEntry:
    id: int
    timestamp: int
    duration_us: int
    argv: list[bytes]
    peer: str
    client_name: str

    def reply(self) -> list[object]:
        return [
            self.id,
            self.timestamp,
            self.duration_us,
            list(self.argv),
            self.peer.encode(),
            self.client_name.encode(),
        ]


def trimmed(argv: list[bytes]) -> list[bytes]:
    """Redis's abbreviation of a long command line: 31 arguments and a count of the rest,
    each argument cut at 128 bytes with a count of the bytes left out."""
    kept = argv
    if len(argv) > MAX_ARGC:
        kept = argv[: MAX_ARGC - 1]
    out = [
        arg[:MAX_ARG_BYTES] + b"... (%d more bytes)" % (len(arg) - MAX_ARG_BYTES)
        if len(arg) > MAX_ARG_BYTES
        else arg
        for arg in kept
    ]
    if len(argv) > MAX_ARGC:
        out.append(b"... (%d more arguments)" % (len(argv) - MAX_ARGC + 1))
    return out


class SlowLog:
    def __init__(self) -> None:
        self.entries: deque[SlowLogEntry] = deque()
        self.next_id = 0

    def push(
        self, argv: list[bytes], duration_us: int, peer: str, client_name: str, max_len: int
    ) -> None:
        entry = SlowLogEntry(
            self.next_id, int(time.time()), duration_us, trimmed(argv), peer, client_name
        )
        self.next_id += 1
        self.entries.appendleft(entry)
        while len(self.entries) > max_len:
            self.entries.pop()

    def newest(self, count: int) -> list[SlowLogEntry]:
        """The `count` newest entries (all of them for a negative count)."""
        if count < 0 or count >= len(self.entries):
            return list(self.entries)
        return [self.entries[i] for i in range(count)]

    def reset(self) -> None:
        self.entries.clear()
