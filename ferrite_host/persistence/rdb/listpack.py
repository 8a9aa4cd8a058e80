"""Listpacks: the compact encoding Redis 7.0 keeps small hashes, sorted sets and list nodes in.

    listpack := total-bytes(u32 LE) count(u16 LE, 65535 = unknown) entry* 0xFF
    entry    := encoding [data] backlen

Integers are stored in the smallest integer encoding (as Redis converts every element that
reads as a canonical 64-bit integer); `backlen` is the size of encoding+data in 7-bit groups,
written so that it can be read from right to left.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from ferrite_host.persistence.rdb.errors import EncodingError
from ferrite_host.strconv import parse_int

_EOF = 0xFF
_HEADER = struct.Struct("<IH")
_COUNT_UNKNOWN = 65535


def decode(blob: bytes) -> list[bytes]:
    """Every element, integers spelled as decimal text (as Redis hands them out)."""
    size = len(blob)
    if size < 7:
        raise EncodingError(f"listpack of {size} bytes is shorter than its header")
    total, count = _HEADER.unpack_from(blob)
    if total != size:
        raise EncodingError(f"listpack header says {total} bytes, the blob has {size}")
    if blob[-1] != _EOF:
        raise EncodingError("listpack does not end with its end marker")
    items: list[bytes] = []
    pos = 6
    end = size - 1
    while pos < end:
        start = pos
        item, pos = _entry(blob, pos, end)
        items.append(item)
        pos = _skip_backlen(blob, pos, end, pos - start)
    if pos != end:
        raise EncodingError("listpack entries overrun the end marker")
    if count != _COUNT_UNKNOWN and count != len(items):
        raise EncodingError(f"listpack header says {count} entries, found {len(items)}")
    return items


def _need(blob: bytes, pos: int, size: int, end: int) -> None:
    if pos + size > end:
        raise EncodingError("listpack entry runs past the end of the listpack")


def _entry(blob: bytes, pos: int, end: int) -> tuple[bytes, int]:
    first = blob[pos]
    if first < 0x80:  # 7-bit unsigned integer
        return b"%d" % first, pos + 1
    if first < 0xC0:  # string of up to 63 bytes
        length = first & 0x3F
        _need(blob, pos + 1, length, end)
        return blob[pos + 1 : pos + 1 + length], pos + 1 + length
    if first < 0xE0:  # 13-bit signed integer
        _need(blob, pos, 2, end)
        value = ((first & 0x1F) << 8) | blob[pos + 1]
        if value >= 1 << 12:
            value -= 1 << 13
        return b"%d" % value, pos + 2
    if first < 0xF0:  # string of up to 4095 bytes
        _need(blob, pos, 2, end)
        length = ((first & 0x0F) << 8) | blob[pos + 1]
        _need(blob, pos + 2, length, end)
        return blob[pos + 2 : pos + 2 + length], pos + 2 + length
    if first == 0xF0:  # string with a 32-bit length
        _need(blob, pos, 5, end)
        length = int.from_bytes(blob[pos + 1 : pos + 5], "little")
        _need(blob, pos + 5, length, end)
        return blob[pos + 5 : pos + 5 + length], pos + 5 + length
    width = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}.get(first)
    if width is None:
        raise EncodingError(f"unknown listpack entry encoding 0x{first:02x}")
    _need(blob, pos, 1 + width, end)
    value = int.from_bytes(blob[pos + 1 : pos + 1 + width], "little", signed=True)
    return b"%d" % value, pos + 1 + width


def _skip_backlen(blob: bytes, pos: int, end: int, entry_size: int) -> int:
    expected = _backlen(entry_size)
    _need(blob, pos, len(expected), end)
    if blob[pos : pos + len(expected)] != expected:
        raise EncodingError("listpack entry has a wrong back length")
    return pos + len(expected)


def _backlen(size: int) -> bytes:
    """Redis's back length: the size in 7-bit groups, most significant first, and every
    group after the first flagged with 0x80 (Redis switches widths at 2**(7n) - 1)."""
    if size <= 127:
        return bytes((size,))
    width = 2 if size < 16383 else 3 if size < 2097151 else 4 if size < 268435455 else 5
    groups = [(size >> (7 * shift)) & 0x7F for shift in range(width - 1, -1, -1)]
    return bytes([groups[0]] + [group | 0x80 for group in groups[1:]])


def encode_entry(item: bytes) -> bytes:
    """One element as Redis's lpAppend stores it: an integer encoding when it reads as one."""
    value = parse_int(item) if len(item) <= 20 else None
    if value is not None:
        head = _int_entry(value)
    else:
        length = len(item)
        if length < 64:
            head = bytes((0x80 | length,)) + item
        elif length < 4096:
            head = bytes((0xE0 | (length >> 8), length & 0xFF)) + item
        else:
            head = b"\xf0" + length.to_bytes(4, "little") + item
    return head + _backlen(len(head))


def _int_entry(value: int) -> bytes:
    if 0 <= value <= 127:
        return bytes((value,))
    if -4096 <= value <= 4095:
        unsigned = value & 0x1FFF
        return bytes((0xC0 | (unsigned >> 8), unsigned & 0xFF))
    for code, width in ((0xF1, 2), (0xF2, 3), (0xF3, 4), (0xF4, 8)):
        bound = 1 << (width * 8 - 1)
        if -bound <= value < bound:
            return bytes((code,)) + value.to_bytes(width, "little", signed=True)
    raise AssertionError("parse_int returned a value outside 64 bits")


def build(entries: Iterable[bytes]) -> bytes:
    """A listpack from already encoded entries (see `encode_entry`)."""
    parts = list(entries)
    body = b"".join(parts)
    count = len(parts) if len(parts) < _COUNT_UNKNOWN else _COUNT_UNKNOWN
    return _HEADER.pack(6 + len(body) + 1, count) + body + b"\xff"


def encode(items: Iterable[bytes]) -> bytes:
    return build(encode_entry(item) for item in items)
