"""Zipmaps: the hash encoding of Redis 2.x, which Redis 7.0 still reads from RDB files.

zipmap := count(1 byte, 254+ = unknown) (len key len free value free-bytes)* 0xFF
len    := 1 byte below 254, or 254 + u32 LE
"""

from __future__ import annotations

from ferrite_host.persistence.rdb.errors import EncodingError


def decode(blob: bytes) -> list[bytes]:
    """Field, value, field, value, ..."""
    if not blob:
        raise EncodingError("empty zipmap")
    items: list[bytes] = []
    pos, size = 1, len(blob)
    while True:
        if pos >= size:
            raise EncodingError("zipmap has no end marker")
        if blob[pos] == 0xFF:
            break
        length, pos = _length(blob, pos)
        key, pos = _take(blob, pos, length)
        length, pos = _length(blob, pos)
        if pos >= size:
            raise EncodingError("zipmap value runs past its end")
        free = blob[pos]
        value, pos = _take(blob, pos + 1, length)
        pos += free
        items += (key, value)
    if pos != size - 1:
        raise EncodingError("zipmap has bytes after its end marker")
    return items


def _length(blob: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(blob):
        raise EncodingError("zipmap length runs past its end")
    first = blob[pos]
    if first < 254:
        return first, pos + 1
    if first == 254 and pos + 5 <= len(blob):
        return int.from_bytes(blob[pos + 1 : pos + 5], "little"), pos + 5
    raise EncodingError("zipmap has a malformed length")


def _take(blob: bytes, pos: int, length: int) -> tuple[bytes, int]:
    if pos + length > len(blob):
        raise EncodingError("zipmap entry runs past its end")
    return blob[pos : pos + length], pos + length
