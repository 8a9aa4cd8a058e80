"""Intsets: sorted arrays of 16-, 32- or 64-bit integers, Redis's encoding of small integer sets.

intset := width(u32 LE: 2, 4 or 8) count(u32 LE) integer*count (signed LE, ascending)
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from itertools import pairwise

from ferrite_host.persistence.rdb.errors import EncodingError

_HEADER = struct.Struct("<II")
_FORMATS = {2: "h", 4: "i", 8: "q"}


def decode(blob: bytes) -> list[bytes]:
    if len(blob) < 8:
        raise EncodingError(f"intset of {len(blob)} bytes is shorter than its header")
    width, count = _HEADER.unpack_from(blob)
    code = _FORMATS.get(width)
    if code is None:
        raise EncodingError(f"intset has an unknown integer width {width}")
    if len(blob) != 8 + width * count:
        raise EncodingError(
            f"intset of {count} {width}-byte integers should be {8 + width * count} bytes, "
            f"is {len(blob)}"
        )
    values = struct.unpack_from(f"<{count}{code}", blob, 8)
    if any(a >= b for a, b in pairwise(values)):
        raise EncodingError("intset integers are not in strictly ascending order")
    return [b"%d" % value for value in values]


def encode(values: Iterable[int]) -> bytes:
    ordered = sorted(values)
    low = ordered[0] if ordered else 0
    high = ordered[-1] if ordered else 0
    width = 2
    if low < -(1 << 15) or high >= 1 << 15:
        width = 4
    if low < -(1 << 31) or high >= 1 << 31:
        width = 8
    return _HEADER.pack(width, len(ordered)) + struct.pack(
        f"<{len(ordered)}{_FORMATS[width]}", *ordered
    )
