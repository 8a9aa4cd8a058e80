"""A Count-Min sketch as RedisBloom keeps one: `depth` rows of `width` 32-bit counters.

Row `i` counts an item in column `MurmurHash2(item, seed=i) % width`; a query answers the
smallest of the item's counters, which over-estimates by at most `2/width` of the total
with probability `1 - 0.5**depth` (hence CMS.INITBYPROB's `width = ceil(2/error)`,
`depth = ceil(log(probability) / log(0.5))`).
"""

from __future__ import annotations

import math
import struct
from array import array
from dataclasses import dataclass, field

from ferrite_bloom.hashing import MASK32, murmurhash2

#: Encoding version of snapshot records (RedisBloom's CMS_ENC_VER).
ENCODING_VERSION = 0
#: What MEMORY USAGE counts for the sketch struct besides its counters.
STRUCT_BYTES = 24
MAX_COUNTERS = 1 << 28


class CounterOverflow(Exception):
    """An increment would take a counter past 2**32 - 1."""


def dimensions_for(error: float, probability: float) -> tuple[int, int]:
    """(width, depth) for an over-estimate `error` with failure `probability`."""
    width = math.ceil(2 / error)
    depth = math.ceil(math.log10(probability) / math.log10(0.5))
    return width, depth


def _counters(size: int) -> array[int]:
    return array("I", bytes(4 * size))


@dataclass
class CountMinSketch:
    width: int
    depth: int
    counters: array[int] = field(default_factory=lambda: array("I"))
    count: int = 0

    @classmethod
    def create(cls, width: int, depth: int) -> CountMinSketch:
        if width * depth > MAX_COUNTERS:
            raise MemoryError(f"a {width}x{depth} sketch is too large")
        return cls(width, depth, _counters(width * depth))

    def _cells(self, item: bytes) -> list[int]:
        width = self.width
        return [row * width + murmurhash2(item, row) % width for row in range(self.depth)]

    def query(self, item: bytes) -> int:
        counters = self.counters
        return min(counters[cell] for cell in self._cells(item))

    def incrby(self, item: bytes, value: int) -> int:
        """Add `value` to the item's counters; the new estimate. CounterOverflow leaves it as is."""
        cells = self._cells(item)
        counters = self.counters
        if any(counters[cell] + value > MASK32 for cell in cells):
            raise CounterOverflow
        for cell in cells:
            counters[cell] += value
        self.count += value
        return min(counters[cell] for cell in cells)

    def merge(self, sources: list[CountMinSketch], weights: list[int]) -> None:
        """Replace the counters by the weighted sum of the sources' (same dimensions)."""
        merged = [0] * (self.width * self.depth)
        total = 0
        for source, weight in zip(sources, weights, strict=True):
            for cell, value in enumerate(source.counters):
                merged[cell] += value * weight
            total += source.count * weight
        if any(not 0 <= value <= MASK32 for value in merged) or not 0 <= total < 1 << 64:
            raise CounterOverflow
        self.counters = array("I", merged)
        self.count = total

    @property
    def memory_bytes(self) -> int:
        return STRUCT_BYTES + 4 * len(self.counters)

    def copy(self) -> CountMinSketch:
        return CountMinSketch(self.width, self.depth, array("I", self.counters), self.count)


_HEADER = struct.Struct("<QQQ")  # width, depth, count


def rdb_save(sketch: CountMinSketch) -> bytes:
    counters = array("I", sketch.counters)
    if counters.itemsize != 4:  # pragma: no cover - every supported platform has 4-byte I
        raise ValueError("unsigned int is not 32 bits here")
    return _HEADER.pack(sketch.width, sketch.depth, sketch.count) + counters.tobytes()


def rdb_load(data: bytes, encver: int) -> CountMinSketch:
    if encver > ENCODING_VERSION:
        raise ValueError(f"sketches saved with encoding version {encver} are not readable")
    width, depth, count = _HEADER.unpack_from(data, 0)
    counters = array("I")
    counters.frombytes(data[_HEADER.size :])
    if len(counters) != width * depth:
        raise ValueError("count-min sketch record has the wrong number of counters")
    return CountMinSketch(width, depth, counters, count)
