"""Ziplists: the compact encoding of Redis before 7.0, which 7.0 still reads from RDB files.

ziplist := total-bytes(u32 LE) tail-offset(u32 LE) count(u16 LE) entry* 0xFF
entry   := prevlen(1 byte, or 0xFE + u32 LE) encoding data
"""

from __future__ import annotations

import struct

from ferrite_host.persistence.rdb.errors import EncodingError

_HEADER = struct.Struct("<IIH")
_INT_WIDTHS = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}


def decode(blob: bytes) -> list[bytes]:
    size = len(blob)
    if size < 11:
        raise EncodingError(f"ziplist of {size} bytes is shorter than its header")
    total, tail, count = _HEADER.unpack_from(blob)
    if total != size:
        raise EncodingError(f"ziplist header says {total} bytes, the blob has {size}")
    if blob[-1] != 0xFF:
        raise EncodingError("ziplist does not end with its end marker")
    if tail > size - 1:
        raise EncodingError("ziplist tail offset points past its end")
    items: list[bytes] = []
    pos, end = 10, size - 1
    while pos < end:
        pos = _skip_prevlen(blob, pos, end)
        item, pos = _entry(blob, pos, end)
        items.append(item)
    if pos != end:
        raise EncodingError("ziplist entries overrun the end marker")
    if count != 0xFFFF and count != len(items):
        raise EncodingError(f"ziplist header says {count} entries, found {len(items)}")
    return items


def _need(pos: int, size: int, end: int) -> None:
    if pos + size > end:
        raise EncodingError("ziplist entry runs past the end of the ziplist")


def _skip_prevlen(blob: bytes, pos: int, end: int) -> int:
    _need(pos, 1, end)
    if blob[pos] < 0xFE:
        return pos + 1
    if blob[pos] == 0xFF:
        raise EncodingError("ziplist entry starts with the end marker")
    _need(pos, 5, end)
    return pos + 5


def _entry(blob: bytes, pos: int, end: int) -> tuple[bytes, int]:
    _need(pos, 1, end)
    first = blob[pos]
    kind = first >> 6
    if kind == 0:
        length, pos = first & 0x3F, pos + 1
    elif kind == 1:
        _need(pos, 2, end)
        length, pos = ((first & 0x3F) << 8) | blob[pos + 1], pos + 2
    elif kind == 2:
        _need(pos, 5, end)
        length, pos = int.from_bytes(blob[pos + 1 : pos + 5], "big"), pos + 5
    else:
        return _int_entry(blob, pos, end, first)
    _need(pos, length, end)
    return blob[pos : pos + length], pos + length


def _int_entry(blob: bytes, pos: int, end: int, first: int) -> tuple[bytes, int]:
    if 0xF1 <= first <= 0xFD:  # a 4-bit immediate 0..12
        return b"%d" % ((first & 0x0F) - 1), pos + 1
    width = _INT_WIDTHS.get(first)
    if width is None:
        raise EncodingError(f"unknown ziplist entry encoding 0x{first:02x}")
    _need(pos, 1 + width, end)
    value = int.from_bytes(blob[pos + 1 : pos + 1 + width], "little", signed=True)
    return b"%d" % value, pos + 1 + width
