"""ACL LOG: the latest refused commands, keys and logins, grouped as Redis groups them (the
same reason, context, object and user within 60 seconds count as one entry)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

#: Redis merges a repeat into the existing entry if that one is younger than this.
GROUPING_SECONDS = 60.0


@dataclass
class AclLogEntry:
    reason: str  # "command", "key", "channel" or "auth"
    context: str  # "toplevel", "multi", "lua" or "module"
    subject: str
    username: str
    client_info: str
    created: float
    count: int = 1

    def reply(self, now: float) -> dict[bytes, object]:
        return {
            b"count": self.count,
            b"reason": self.reason.encode(),
            b"context": self.context.encode(),
            b"object": self.subject.encode("utf-8", "surrogateescape"),
            b"username": self.username.encode("utf-8", "surrogateescape"),
            b"age-seconds": round(now - self.created, 3),
            b"client-info": self.client_info.encode(),
        }


class AclLog:
    def __init__(self) -> None:
        self.entries: deque[AclLogEntry] = deque()

    def add(self, entry: AclLogEntry, max_len: int) -> None:
        for existing in self.entries:
            same = (existing.reason, existing.context, existing.subject, existing.username) == (
                entry.reason,
                entry.context,
                entry.subject,
                entry.username,
            )
            if same and entry.created - existing.created < GROUPING_SECONDS:
                existing.count += 1
                existing.created = entry.created
                existing.client_info = entry.client_info
                self.entries.remove(existing)
                self.entries.appendleft(existing)
                return
        self.entries.appendleft(entry)
        while len(self.entries) > max_len:
            self.entries.pop()

    def newest(self, count: int) -> list[AclLogEntry]:
        return list(self.entries)[:count]

    def reset(self) -> None:
        self.entries.clear()


def now() -> float:
    return time.time()
