"""Streams, which Ferrite has no type for yet, kept byte for byte instead of refused.

A stream in an RDB file (STREAM_LISTPACKS 1 to 3) is walked field by field to find where
it ends, and kept as an opaque value: TYPE answers "stream", DEL/RENAME/DUMP/RESTORE work,
and snapshots write it back exactly as read, so a Redis dump.rdb with streams loads and
survives a round trip through Ferrite.
"""

from __future__ import annotations

from typing import Any

from ferrite_host.keyspace.values import TypedValue
from ferrite_host.persistence.rdb import constants as c
from ferrite_host.persistence.rdb.reader import RdbCursor

_STREAM_ID = 16  # two big-endian u64: milliseconds and sequence


class OpaqueStream:
    """The stream's RDB type and encoded body."""

    __slots__ = ("raw", "rdb_type")

    def __init__(self, rdb_type: int, raw: bytes) -> None:
        self.rdb_type = rdb_type
        self.raw = raw


class StreamType:
    """The ValueType of kept streams: TYPE says "stream"; the value is only bytes."""

    name = "stream"
    encver = 0
    module_name = "(built-in stream, kept as stored)"

    def raw_value(self, value: OpaqueStream) -> tuple[int, bytes]:
        return value.rdb_type, value.raw

    def release(self, value: Any) -> None:
        """Nothing to free."""

    def mem_usage(self, value: OpaqueStream) -> int:
        return len(value.raw)

    def digest(self, value: OpaqueStream) -> bytes:
        return value.raw

    def copy(self, value: OpaqueStream) -> OpaqueStream:
        return OpaqueStream(value.rdb_type, value.raw)

    def has_copy(self) -> bool:
        return True

    def can_save(self) -> bool:
        return True

    def save(self, value: OpaqueStream) -> bytes:
        raise NotImplementedError("a kept stream is written from its stored bytes")

    def load(self, data: bytes, encver: int) -> Any:
        raise NotImplementedError("a kept stream is read from its stored bytes")

    def aof_rewrite(self, value: OpaqueStream, key: bytes) -> list[list[bytes]]:
        from ferrite_host.persistence.rdb.dump import dump_payload

        return [[b"RESTORE", key, b"0", dump_payload(key, TypedValue(self, value)), b"REPLACE"]]


STREAM_TYPE = StreamType()


def read_stream(cursor: RdbCursor, rdb_type: int) -> TypedValue:
    start = cursor.pos
    _skip_stream(cursor, rdb_type)
    return TypedValue(STREAM_TYPE, OpaqueStream(rdb_type, cursor.data[start : cursor.pos]))


def _skip_stream(cursor: RdbCursor, rdb_type: int) -> None:
    v2 = rdb_type >= c.TYPE_STREAM_LISTPACKS_2
    v3 = rdb_type >= c.TYPE_STREAM_LISTPACKS_3
    for _ in range(cursor.count("the stream's listpack count", 2)):
        at = cursor.pos
        if len(cursor.string("a stream node id")) != _STREAM_ID:
            raise cursor.fail("a stream node id is not 16 bytes", at)
        cursor.string("a stream listpack")
    cursor.length("the stream length")
    _stream_id(cursor, "the stream's last id")
    if v2:
        _stream_id(cursor, "the stream's first id")
        _stream_id(cursor, "the stream's max deleted id")
        cursor.length("the stream's entries added")
    for _ in range(cursor.count("the stream's consumer group count")):
        cursor.string("a consumer group name")
        _stream_id(cursor, "a consumer group's last id")
        if v2:
            cursor.length("a consumer group's entries read")
        for _ in range(cursor.count("a consumer group's pending count", _STREAM_ID + 9)):
            cursor.take(_STREAM_ID + 8, "a pending entry")
            cursor.length("a pending entry's delivery count")
        for _ in range(cursor.count("a consumer group's consumer count")):
            cursor.string("a consumer name")
            cursor.take(8, "a consumer's seen time")
            if v3:
                cursor.take(8, "a consumer's active time")
            for _ in range(cursor.count("a consumer's pending count", _STREAM_ID)):
                cursor.take(_STREAM_ID, "a consumer's pending id")


def _stream_id(cursor: RdbCursor, what: str) -> None:
    cursor.length(what)
    cursor.length(what)
