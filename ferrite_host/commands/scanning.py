"""SSCAN / ZSCAN (and any collection scan): options, and a cursor that survives changes.

Redis's cursor walks hash-table buckets in reverse-binary order so that a member present for
the whole iteration is returned at least once, however the table grows or shrinks. Python's
set and dict give no bucket access, so the cursor here is a position on a fixed ordering of
the members by their hash: members are visited by ascending hash slot, and a cursor `c`
means "every member whose slot is >= c is still to come". Adding or removing members never
moves another member's slot, which gives Redis's guarantee; a snapshot of the slot order,
kept on the value while a scan runs, makes each call O(COUNT + log N).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from ferrite_host.commands.keys import parse_cursor
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.keyspace import glob_match
from ferrite_host.strconv import parse_int

_SLOT_MASK = (1 << 62) - 1


class ScanOptions:
    __slots__ = ("count", "cursor", "pattern")

    def __init__(self, cursor: int, count: int, pattern: bytes | None) -> None:
        self.cursor = cursor
        self.count = count
        self.pattern = pattern

    def matches(self, member: bytes) -> bool:
        return self.pattern is None or glob_match(self.pattern, member)


def parse_scan(argv: list[bytes], cursor_at: int = 2) -> ScanOptions:
    """`<cursor> [MATCH pattern] [COUNT count]` starting at `argv[cursor_at]`."""
    cursor = parse_cursor(argv[cursor_at])
    count = 10
    pattern: bytes | None = None
    pos = cursor_at + 1
    while pos < len(argv):
        option = argv[pos].lower()
        if pos + 1 >= len(argv) or option not in (b"count", b"match"):
            raise CommandError(errors.SYNTAX)
        value = argv[pos + 1]
        if option == b"count":
            parsed = parse_int(value)
            if parsed is None:
                raise CommandError(errors.NOT_INTEGER)
            if parsed < 1:
                raise CommandError(errors.SYNTAX)
            count = parsed
        else:
            pattern = None if value == b"*" else value
        pos += 2
    return ScanOptions(cursor, count, pattern)


def _slot(member: bytes) -> int:
    return (hash(member) & _SLOT_MASK) + 1


class SlotSnapshot:
    """The members of a value ordered by hash slot, taken when a scan starts (cursor 0).

    Continuing calls only bisect into it, so a whole scan costs O(N log N) once, not O(N)
    per call. Members added after the snapshot may be missed and removed ones are skipped,
    which is what Redis guarantees; any snapshot serves any cursor, since slots are fixed.
    """

    __slots__ = ("members", "slots")

    def __init__(self, members: Iterable[bytes]) -> None:
        ordered = sorted((_slot(member), member) for member in members)
        self.slots = [slot for slot, _member in ordered]
        self.members = [member for _slot_, member in ordered]


class Scannable(Protocol):
    """A value that keeps its scan snapshot (SetValue, ZSetValue)."""

    scan_snapshot: Any

    def __contains__(self, member: object) -> bool: ...


def hash_scan(
    value: Scannable, members: Callable[[], Iterable[bytes]], cursor: int, count: int
) -> tuple[int, list[bytes]]:
    """About `count` members from `cursor` on, and the cursor to continue from (0: done)."""
    snapshot = value.scan_snapshot
    if snapshot is None or cursor == 0:
        snapshot = value.scan_snapshot = SlotSnapshot(members())
    slots = snapshot.slots
    start = bisect.bisect_left(slots, cursor)
    end = min(start + count, len(slots))
    while 0 < end < len(slots) and slots[end] == slots[end - 1]:
        end += 1  # members sharing a slot are returned together
    found = [member for member in snapshot.members[start:end] if member in value]
    if end >= len(slots):
        value.scan_snapshot = None
        return 0, found
    return slots[end], found
