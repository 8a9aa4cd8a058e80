"""The hash functions RedisBloom's structures are defined by.

Bloom and Cuckoo filters hash items with MurmurHash64A (64-bit); Count-Min sketches and
Top-K use the 32-bit MurmurHash2. Both are Austin Appleby's public-domain algorithms,
reading little-endian blocks as RedisBloom does on x86-64, so the same item lands in the
same bits and buckets (which is what makes SCANDUMP chunks portable).
"""

from __future__ import annotations

import struct

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1
_M64 = 0xC6A4A7935BD1E995
_R64 = 47
_M32 = 0x5BD1E995
_R32 = 24


def murmurhash64a(data: bytes, seed: int) -> int:
    """MurmurHash64A, 64-bit, little-endian blocks."""
    length = len(data)
    h = (seed ^ (length * _M64)) & MASK64
    blocks = length // 8
    for (k,) in struct.iter_unpack("<Q", data[: blocks * 8]):
        k = (k * _M64) & MASK64
        k ^= k >> _R64
        k = (k * _M64) & MASK64
        h ^= k
        h = (h * _M64) & MASK64
    tail = data[blocks * 8 :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M64) & MASK64
    h ^= h >> _R64
    h = (h * _M64) & MASK64
    h ^= h >> _R64
    return h


def murmurhash2(data: bytes, seed: int) -> int:
    """MurmurHash2, 32-bit, little-endian blocks (the classic `MurmurHash2(key, len, seed)`)."""
    length = len(data)
    h = (seed ^ length) & MASK32
    blocks = length // 4
    for (k,) in struct.iter_unpack("<I", data[: blocks * 4]):
        k = (k * _M32) & MASK32
        k ^= k >> _R32
        k = (k * _M32) & MASK32
        h = (h * _M32) & MASK32
        h ^= k
    tail = data[blocks * 4 :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M32) & MASK32
    h ^= h >> 13
    h = (h * _M32) & MASK32
    h ^= h >> 15
    return h
