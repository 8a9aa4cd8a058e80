"""SSCAN / ZSCAN (and any collection scan): options, and a cursor that survives changes.

Redis's cursor walks hash-table buckets in reverse-binary order so that a member present for
the whole iteration is returned at least once, however the table grows or shrinks. Python's
set and dict give no bucket access, so the cursor here is a position on a fixed ordering of
the members by their hash: members are visited by ascending hash, and a cursor `c` means
"every member whose hash slot is >= c is still to come". Adding or removing members never
moves another member's slot, which gives Redis's guarantee without any per-scan state.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import TypeVar

from ferrite_host.commands.keys import parse_cursor
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.keyspace import glob_match
from ferrite_host.strconv import parse_int

T = TypeVar("T")

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


def hash_scan(
    items: Iterable[T], member_of: Callable[[T], bytes], cursor: int, count: int
) -> tuple[int, list[T]]:
    """About `count` items from `cursor` on, and the cursor to continue from (0: done)."""
    pending = [(slot, item) for item in items if (slot := _slot(member_of(item))) >= cursor]
    if len(pending) <= count:
        return 0, [item for _slot_, item in pending]
    boundary = heapq.nsmallest(count, (slot for slot, _item in pending))[-1]
    picked = [item for slot, item in pending if slot <= boundary]
    if len(picked) == len(pending):
        return 0, picked
    return boundary + 1, picked
