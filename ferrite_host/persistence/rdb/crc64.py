"""CRC-64/Jones, the checksum of Redis's RDB files and DUMP payloads.

Reflected polynomial 0x95ac9329ac4bc9b5 (0xad93d23594c935a9 unreflected), initial value 0,
no final xor; check value for b"123456789" is 0xe9c6d914c4b8d9ca. Uses anycrc's C code when
that package is installed, else a table-driven slicing-by-8 loop (once per 8 bytes).
"""

from __future__ import annotations

import struct
from typing import Any

_POLY = 0x95AC9329AC4BC9B5
_MASK = (1 << 64) - 1


def _byte_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


def _slice_tables() -> list[list[int]]:
    tables = [_byte_table()]
    first = tables[0]
    for _ in range(7):
        previous = tables[-1]
        tables.append([(value >> 8) ^ first[value & 0xFF] for value in previous])
    return tables


def _accelerated() -> Any:
    """anycrc's C implementation of the same CRC when installed (hundreds of times faster)."""
    try:
        import anycrc  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        model = anycrc.Model("CRC64-REDIS")
    except Exception:  # an anycrc without this model: the table code does the job
        return None
    return model if model.calc(b"123456789") == 0xE9C6D914C4B8D9CA else None


_FAST = _accelerated()
_T = _slice_tables()
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _T
_WORDS = struct.Struct("<Q")


def crc64(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The CRC of `data`, continuing from `crc` (the CRC of whatever came before it)."""
    if _FAST is not None:
        return int(_FAST.calc(data, crc))
    return _crc64_python(data, crc)


def _crc64_python(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    view = memoryview(data).cast("B")
    size = len(view)
    whole = size - size % 8
    t0, t1, t2, t3, t4, t5, t6, t7 = _T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7
    if whole:
        for (word,) in struct.iter_unpack("<Q", view[:whole]):
            crc ^= word
            crc = (
                t7[crc & 0xFF]
                ^ t6[(crc >> 8) & 0xFF]
                ^ t5[(crc >> 16) & 0xFF]
                ^ t4[(crc >> 24) & 0xFF]
                ^ t3[(crc >> 32) & 0xFF]
                ^ t2[(crc >> 40) & 0xFF]
                ^ t1[(crc >> 48) & 0xFF]
                ^ t0[crc >> 56]
            )
    for byte in view[whole:]:
        crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc & _MASK


def crc64_bytes(crc: int) -> bytes:
    """The 8 little-endian bytes Redis stores a CRC as."""
    return _WORDS.pack(crc)
