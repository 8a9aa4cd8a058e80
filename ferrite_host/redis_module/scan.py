"""RM_Scan and RM_ScanKey: walking the keyspace, or one hash/set/zset, a batch per call.

    cursor = ctx.scan_cursor_create()
    while ctx.scan(cursor, callback, privdata):   # callback(ctx, keyname, key, privdata)
        pass

Each call handles one batch and answers whether there is more, as RedisModule_Scan does.
The keyspace walk uses the database's SCAN (every key present for the whole walk is seen
once); a value walk works on a copy of the members taken by its first call, so the
callback may change the value.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any

from ferrite_host.keyspace import HashValue, SetValue, ZSetValue

if TYPE_CHECKING:
    from collections.abc import Callable

#: Keys or elements handled per call (Redis's own batch for a SCAN step is 10).
BATCH = 10


class ScanCursor:
    """RedisModuleScanCursor: where a keyspace or value walk is (RM_ScanCursorCreate)."""

    def __init__(self) -> None:
        self.position = 0
        self.done = False
        self.items: list[tuple[bytes, bytes | None]] | None = None

    def restart(self) -> None:
        """RM_ScanCursorRestart: the next call starts from the beginning again."""
        self.position = 0
        self.done = False
        self.items = None

    def destroy(self) -> None:
        """RM_ScanCursorDestroy (nothing to free in Python)."""
        self.items = None


def scan_keyspace(
    ctx: Any, cursor: ScanCursor, callback: Callable[..., Any], privdata: Any = None
) -> bool:
    """One batch of `callback(ctx, keyname, key, privdata)`; False once the walk is over.

    `key` is a READ handle on the key (closed after the callback), as Redis passes one.
    """
    if cursor.done:
        return False
    from ferrite_host.redis_module.api import KeyMode, RedisModuleString

    db = ctx._session.db
    following, names = db.scan(cursor.position, BATCH, lambda _key: True)
    for name in names:
        handle = ctx.open_key(name, KeyMode.READ)
        try:
            callback(ctx, RedisModuleString(name), handle, privdata)
        finally:
            ctx.close_key(handle)
    cursor.position = following
    cursor.done = following == 0
    return not cursor.done


def _score_text(score: float) -> bytes:
    """A score as RM_ScanKey shows it: printf's %.17g ("0.10000000000000001", "1e+20")."""
    return b"%.17g" % score


def _members(value: Any) -> list[tuple[bytes, bytes | None]] | None:
    if isinstance(value, HashValue):
        return list(value.items())
    if isinstance(value, SetValue):
        return [(member, None) for member in value]
    if isinstance(value, ZSetValue):
        return [(member, _score_text(score)) for member, score in value]
    return None


def scan_value(
    key: Any, cursor: ScanCursor, callback: Callable[..., Any], privdata: Any = None
) -> bool:
    """One batch of `callback(key, field, value, privdata)` over a hash (field, value), a
    set (member, None) or a zset (member, score as a string); False once done.

    A missing key or another type ends the walk at once with `key.errno` EINVAL.
    """
    from ferrite_host.redis_module.api import RedisModuleString

    if cursor.done:
        return False
    if cursor.items is None:
        items = _members(key._value())
        if items is None:
            key.errno = errno.EINVAL
            cursor.done = True
            return False
        cursor.items = items
    batch = cursor.items[cursor.position : cursor.position + BATCH]
    cursor.position += len(batch)
    for name, value in batch:
        shown = None if value is None else RedisModuleString(value)
        callback(key, RedisModuleString(name), shown, privdata)
    cursor.done = cursor.position >= len(cursor.items)
    return not cursor.done
