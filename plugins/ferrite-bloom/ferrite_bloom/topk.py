"""Top-K with RedisBloom's HeavyKeeper: fingerprinted counters with probabilistic decay.

`depth` rows of `width` buckets each hold a 32-bit fingerprint and a counter. An item's
fingerprint is `MurmurHash2(item, 1919)` and its bucket in row `i` is
`MurmurHash2(item, i) % width`. A bucket owned by another fingerprint decays by one with
probability `decay ** count` per unit added, and is taken over when it reaches zero, so
heavy hitters keep their buckets and light ones wash out. A min-heap of `k` entries holds
the current top items with their largest counter. Like RedisBloom's, the heap is an array
of exactly `k` slots (empty ones count 0): a newcomer at least as heavy as the root replaces
it, and sifting down moves past children of equal count, so which item an equal-count
newcomer expels is the same as RedisBloom's.
"""

from __future__ import annotations

import random
import struct
from array import array
from dataclasses import dataclass, field

from ferrite_bloom.hashing import murmurhash2

DEFAULT_WIDTH = 8
DEFAULT_DEPTH = 7
DEFAULT_DECAY = 0.9
MAX_INCREMENT = 100_000
FINGERPRINT_SEED = 1919
#: Decay probabilities are tabulated for counters below this.
DECAY_TABLE_SIZE = 256
#: Encoding version of snapshot records (RedisBloom's TOPK_ENC_VER).
ENCODING_VERSION = 1
STRUCT_BYTES = 48
BUCKET_BYTES = 8
HEAP_ENTRY_BYTES = 24
MAX_BUCKETS = 1 << 26


@dataclass
class HeapEntry:
    count: int
    fp: int
    item: bytes | None


def _empty_heap(k: int) -> list[HeapEntry]:
    return [HeapEntry(0, 0, None) for _ in range(k)]


@dataclass
class TopK:
    k: int
    width: int
    depth: int
    decay: float
    fingerprints: array[int] = field(default_factory=lambda: array("I"))
    counters: array[int] = field(default_factory=lambda: array("I"))
    heap: list[HeapEntry] = field(default_factory=list)

    @classmethod
    def create(cls, k: int, width: int, depth: int, decay: float) -> TopK:
        if width * depth > MAX_BUCKETS or k > MAX_BUCKETS:
            raise MemoryError(f"a {width}x{depth} Top-K of {k} is too large")
        size = width * depth
        counters = array("I", bytes(4 * size))
        return cls(k, width, depth, decay, array("I", counters), counters, _empty_heap(k))

    def __post_init__(self) -> None:
        self._table = [self.decay**i for i in range(DECAY_TABLE_SIZE)]

    def _decay_chance(self, count: int) -> float:
        table = self._table
        if count < DECAY_TABLE_SIZE:
            return table[count]
        last = DECAY_TABLE_SIZE - 1
        return float(table[last] ** (count // last) * table[count % last])

    def _cells(self, item: bytes) -> list[int]:
        width = self.width
        return [row * width + murmurhash2(item, row) % width for row in range(self.depth)]

    def add(self, item: bytes, increment: int = 1) -> bytes | None:
        """Count `item` `increment` times; the item pushed out of the top k, if any."""
        fp = murmurhash2(item, FINGERPRINT_SEED)
        fingerprints, counters = self.fingerprints, self.counters
        largest = 0
        for cell in self._cells(item):
            count = counters[cell]
            if count == 0:
                fingerprints[cell] = fp
                count = increment
                largest = max(largest, count)
            elif fingerprints[cell] == fp:
                count += increment
                largest = max(largest, count)
            else:
                for remaining in range(increment, 0, -1):
                    if random.random() < self._decay_chance(count):
                        count -= 1
                        if count == 0:
                            fingerprints[cell] = fp
                            count = remaining
                            largest = max(largest, count)
                            break
            counters[cell] = min(count, 0xFFFFFFFF)
        return self._offer(item, fp, largest)

    def _offer(self, item: bytes, fp: int, count: int) -> bytes | None:
        heap = self.heap
        if count < heap[0].count:
            return None
        index = self._index(item, fp)
        if index >= 0:
            heap[index].count = count
            self._sift_down(index)
            return None
        expelled = heap[0].item
        heap[0] = HeapEntry(count, fp, item)
        self._sift_down(0)
        return expelled

    def _index(self, item: bytes, fp: int) -> int:
        for index, entry in enumerate(self.heap):
            if entry.fp == fp and entry.item == item:
                return index
        return -1

    def _sift_down(self, index: int) -> None:
        """Move the entry at `index` below every child whose count is not larger."""
        heap = self.heap
        size = len(heap)
        moving = heap[index]
        while True:
            child = 2 * index + 1
            if child >= size:
                break
            if child + 1 < size and heap[child].count > heap[child + 1].count:
                child += 1
            if heap[child].count > moving.count:
                break
            heap[index] = heap[child]
            index = child
        heap[index] = moving

    def query(self, item: bytes) -> bool:
        return self._index(item, murmurhash2(item, FINGERPRINT_SEED)) >= 0

    def count(self, item: bytes) -> int:
        """The largest counter the item owns (an estimate of its count)."""
        fp = murmurhash2(item, FINGERPRINT_SEED)
        fingerprints, counters = self.fingerprints, self.counters
        return max(
            (counters[cell] for cell in self._cells(item) if fingerprints[cell] == fp), default=0
        )

    def ranked(self) -> list[HeapEntry]:
        """The top items, largest count first (ties in heap order)."""
        return sorted((e for e in self.heap if e.item is not None), key=lambda e: -e.count)

    @property
    def memory_bytes(self) -> int:
        return STRUCT_BYTES + BUCKET_BYTES * self.width * self.depth + HEAP_ENTRY_BYTES * self.k

    def copy(self) -> TopK:
        return TopK(
            self.k,
            self.width,
            self.depth,
            self.decay,
            array("I", self.fingerprints),
            array("I", self.counters),
            [HeapEntry(e.count, e.fp, e.item) for e in self.heap],
        )


_HEADER = struct.Struct("<QQQdQ")  # k, width, depth, decay, heap entries
_ENTRY = struct.Struct("<QIQ")  # count, fp, item length (NO_ITEM for an empty slot)
NO_ITEM = (1 << 64) - 1


def rdb_save(topk: TopK) -> bytes:
    parts = [
        _HEADER.pack(topk.k, topk.width, topk.depth, topk.decay, len(topk.heap)),
        topk.fingerprints.tobytes(),
        topk.counters.tobytes(),
    ]
    for entry in topk.heap:
        if entry.item is None:
            parts.append(_ENTRY.pack(entry.count, entry.fp, NO_ITEM))
            continue
        parts.append(_ENTRY.pack(entry.count, entry.fp, len(entry.item)))
        parts.append(entry.item)
    return b"".join(parts)


def rdb_load(data: bytes, encver: int) -> TopK:
    if encver > ENCODING_VERSION:
        raise ValueError(f"Top-K saved with encoding version {encver} is not readable")
    k, width, depth, decay, entries = _HEADER.unpack_from(data, 0)
    position = _HEADER.size
    size = 4 * width * depth
    fingerprints, counters = array("I"), array("I")
    fingerprints.frombytes(data[position : position + size])
    counters.frombytes(data[position + size : position + 2 * size])
    if len(counters) != width * depth:
        raise ValueError("Top-K record is truncated")
    position += 2 * size
    heap = []
    for _ in range(entries):
        count, fp, length = _ENTRY.unpack_from(data, position)
        position += _ENTRY.size
        if length == NO_ITEM:
            heap.append(HeapEntry(count, fp, None))
            continue
        item = bytes(data[position : position + length])
        if len(item) != length:
            raise ValueError("Top-K record is truncated")
        position += length
        heap.append(HeapEntry(count, fp, item))
    if position != len(data) or len(heap) != k:
        raise ValueError("Top-K record is malformed")
    return TopK(k, width, depth, decay, fingerprints, counters, heap)
