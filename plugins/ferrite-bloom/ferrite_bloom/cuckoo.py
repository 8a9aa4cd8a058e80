"""A scalable Cuckoo filter laid out as RedisBloom's: 8-bit fingerprints in flat buckets.

An item's 64-bit MurmurHash64A (seed 0) gives its fingerprint `hash % 255 + 1` (0 marks an
empty slot) and its two candidate buckets `h1 = hash` and `h2 = h1 ^ (fp * 0x5bd1e995)`, each
taken modulo the sub-filter's bucket count. Bucket counts are powers of two, so the
alternate of a bucket index can be recomputed from the index alone (which is what lets
fingerprints be kicked between buckets and moved between sub-filters). When the newest
sub-filter cannot take an item after `max_iterations` kicks, a sub-filter `expansion` times
larger is added (at most 32 in all). Every sub-filter's slots are one byte array, bucket
after bucket, exactly the bytes SCANDUMP hands out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ferrite_bloom.hashing import MASK64, murmurhash64a

DEFAULT_CAPACITY = 1000
DEFAULT_BUCKET_SIZE = 2
DEFAULT_MAX_ITERATIONS = 20
DEFAULT_EXPANSION = 1
MAX_BUCKET_SIZE = 255
MAX_ITERATIONS = 65535
MAX_EXPANSION = 32768
#: A filter grows to at most this many sub-filters.
MAX_FILTERS = 32
#: One sub-filter may not exceed this many bytes.
MAX_FILTER_BYTES = 1 << 30
_ALT_MULTIPLIER = 0x5BD1E995
#: What CF.INFO's `Size` counts for the filter struct and for each sub-filter struct.
FILTER_STRUCT_BYTES = 40
SUBFILTER_STRUCT_BYTES = 16
#: Compaction runs when deletions exceed this share of the items (and there are sub-filters
#: to fold away).
COMPACT_RATIO = 0.1


class FilterTooLarge(Exception):
    """A sub-filter would need more memory than one may use."""


class FilterFull(Exception):
    """No slot was found and the filter may not grow."""


def next_power_of_two(n: int) -> int:
    """RedisBloom's getNextN2 on 64 bits: 0 stays 0, powers of two stay."""
    if n <= 0:
        return 0
    return 1 << (n - 1).bit_length()


def _alternate(fp: int, index: int) -> int:
    return (index ^ (fp * _ALT_MULTIPLIER)) & MASK64


@dataclass(frozen=True)
class Probe:
    """An item's fingerprint and its two (unreduced) bucket hashes."""

    fp: int
    h1: int
    h2: int

    @classmethod
    def of(cls, item: bytes) -> Probe:
        digest = murmurhash64a(item, 0)
        fp = digest % 255 + 1
        return cls(fp, digest, _alternate(fp, digest))


def _find_empty(data: bytearray, start: int, size: int) -> int:
    """Slot index of the first empty slot in the bucket starting at `start`, or -1."""
    at = data.find(0, start, start + size)
    return at


@dataclass
class CuckooFilter:
    """RedisBloom's CuckooFilter: parameters, counters and the sub-filters' slot arrays."""

    num_buckets: int
    bucket_size: int
    max_iterations: int
    expansion: int
    filters: list[bytearray] = field(default_factory=list)
    num_items: int = 0
    num_deletes: int = 0

    @classmethod
    def create(
        cls,
        capacity: int,
        bucket_size: int = DEFAULT_BUCKET_SIZE,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        expansion: int = DEFAULT_EXPANSION,
    ) -> CuckooFilter:
        buckets = next_power_of_two(capacity // bucket_size) or 1
        cuckoo = cls(buckets, bucket_size, max_iterations, next_power_of_two(expansion))
        cuckoo._grow()
        return cuckoo

    # -- geometry ----------------------------------------------------------------------------

    def buckets_of(self, index: int) -> int:
        """Bucket count of sub-filter `index`: the first one's times expansion**index."""
        growth: int = self.expansion**index
        return self.num_buckets * growth

    @property
    def total_buckets(self) -> int:
        return sum(len(data) for data in self.filters) // self.bucket_size

    @property
    def memory_bytes(self) -> int:
        """CF.INFO `Size`, as RedisBloom counts it."""
        return (
            FILTER_STRUCT_BYTES
            + SUBFILTER_STRUCT_BYTES * len(self.filters)
            + sum(len(data) for data in self.filters)
        )

    def _grow(self) -> None:
        nbytes = self.buckets_of(len(self.filters)) * self.bucket_size
        if nbytes > MAX_FILTER_BYTES:
            raise FilterTooLarge(f"a cuckoo sub-filter of {nbytes} bytes is too large")
        self.filters.append(bytearray(nbytes))

    def _buckets(self, index: int, probe: Probe) -> tuple[int, int]:
        """Start offsets of the item's two buckets in sub-filter `index`."""
        buckets = len(self.filters[index]) // self.bucket_size
        return (probe.h1 % buckets) * self.bucket_size, (probe.h2 % buckets) * self.bucket_size

    # -- queries -----------------------------------------------------------------------------

    def contains(self, item: bytes) -> bool:
        probe = Probe.of(item)
        return any(self._holds(index, probe) for index in range(len(self.filters)))

    def _holds(self, index: int, probe: Probe) -> bool:
        data = self.filters[index]
        size = self.bucket_size
        first, second = self._buckets(index, probe)
        return data.find(probe.fp, first, first + size) >= 0 or (
            data.find(probe.fp, second, second + size) >= 0
        )

    def count(self, item: bytes) -> int:
        """Copies of the item's fingerprint in its buckets (both counted, as RedisBloom does)."""
        probe = Probe.of(item)
        size = self.bucket_size
        total = 0
        for index, data in enumerate(self.filters):
            first, second = self._buckets(index, probe)
            total += data.count(probe.fp, first, first + size)
            total += data.count(probe.fp, second, second + size)
        return total

    # -- updates -----------------------------------------------------------------------------

    def add(self, item: bytes, unique: bool = False) -> bool:
        """Insert `item`; False (unchanged) when `unique` and it may be present already.

        Raises FilterFull when no slot was found and the filter may not grow.
        """
        probe = Probe.of(item)
        if unique and any(self._holds(index, probe) for index in range(len(self.filters))):
            return False
        while True:
            if self._place(probe) or self._kick(len(self.filters) - 1, probe):
                self.num_items += 1
                return True
            if self.expansion == 0 or len(self.filters) >= MAX_FILTERS:
                raise FilterFull
            self._grow()

    def _place(self, probe: Probe) -> bool:
        """Put the fingerprint in a free slot of either bucket, newest sub-filter first."""
        size = self.bucket_size
        for index in range(len(self.filters) - 1, -1, -1):
            data = self.filters[index]
            for start in self._buckets(index, probe):
                slot = _find_empty(data, start, size)
                if slot >= 0:
                    data[slot] = probe.fp
                    return True
        return False

    def _kick(self, index: int, probe: Probe) -> bool:
        """Cuckoo eviction in one sub-filter; on failure every move is undone."""
        data = self.filters[index]
        size = self.bucket_size
        buckets = len(data) // size
        fp = probe.fp
        victim = 0
        bucket = probe.h1 % buckets
        for _ in range(self.max_iterations):
            slot = bucket * size + victim
            data[slot], fp = fp, data[slot]
            bucket = _alternate(fp, bucket) % buckets
            empty = _find_empty(data, bucket * size, size)
            if empty >= 0:
                data[empty] = fp
                return True
            victim = (victim + 1) % size
        for _ in range(self.max_iterations):
            victim = (victim + size - 1) % size
            bucket = _alternate(fp, bucket) % buckets
            slot = bucket * size + victim
            data[slot], fp = fp, data[slot]
        return False

    def delete(self, item: bytes) -> bool:
        """Remove one copy of the item's fingerprint; False when none was found."""
        probe = Probe.of(item)
        size = self.bucket_size
        for index in range(len(self.filters) - 1, -1, -1):
            data = self.filters[index]
            for start in self._buckets(index, probe):
                slot = data.find(probe.fp, start, start + size)
                if slot >= 0:
                    data[slot] = 0
                    self.num_items -= 1
                    self.num_deletes += 1
                    if len(self.filters) > 1 and self.num_deletes > self.num_items * COMPACT_RATIO:
                        self.compact()
                    return True
        return False

    def compact(self) -> int:
        """Move fingerprints of newer sub-filters into older ones; drop emptied trailing ones.

        A fingerprint in bucket `b` of a larger sub-filter belongs in bucket `b % n` or its
        alternate in a sub-filter of `n` buckets, because bucket counts are powers of two.
        """
        moved = 0
        size = self.bucket_size
        for index in range(len(self.filters) - 1, 0, -1):
            data = self.filters[index]
            for slot, fp in enumerate(data):
                if fp and self._relocate(fp, slot // size, index):
                    data[slot] = 0
                    moved += 1
        while len(self.filters) > 1 and not any(self.filters[-1]):
            self.filters.pop()
        self.num_deletes = 0
        return moved

    def _relocate(self, fp: int, bucket: int, below: int) -> bool:
        probe = Probe(fp, bucket, _alternate(fp, bucket))
        size = self.bucket_size
        for index in range(below):
            data = self.filters[index]
            for start in self._buckets(index, probe):
                slot = _find_empty(data, start, size)
                if slot >= 0:
                    data[slot] = fp
                    return True
        return False

    def copy(self) -> CuckooFilter:
        return CuckooFilter(
            self.num_buckets,
            self.bucket_size,
            self.max_iterations,
            self.expansion,
            [bytearray(data) for data in self.filters],
            self.num_items,
            self.num_deletes,
        )


# -- serialisation: SCANDUMP chunks and snapshot records ----------------------------------------

#: RedisBloom's packed CFHeader: numItems, numBuckets, numDeletes, numFilters (u64),
#: bucketSize, maxIterations, expansion (u16).
HEADER = struct.Struct("<QQQQHHH")
#: SCANDUMP's first iterator; later ones are 1 + the byte offset into all slot arrays.
CHUNK_ITER_INIT = 1
MAX_CHUNK = 10 * 1024 * 1024
#: Encoding version of snapshot records (RedisBloom's CF_MIN_EXPANSION_VERSION era).
ENCODING_VERSION = 4


class BadDump(ValueError):
    """Bytes that do not describe a valid filter; the message is the client-facing error."""


def encode_header(cuckoo: CuckooFilter) -> bytes:
    return HEADER.pack(
        cuckoo.num_items,
        cuckoo.num_buckets,
        cuckoo.num_deletes,
        len(cuckoo.filters),
        cuckoo.bucket_size,
        cuckoo.max_iterations,
        cuckoo.expansion,
    )


def from_header(data: bytes, error: str = "Couldn't create filter!") -> CuckooFilter:
    """A filter with empty slot arrays, shaped as a SCANDUMP header describes."""
    if len(data) != HEADER.size:
        raise BadDump(error)
    items, buckets, deletes, nfilters, bucket_size, max_iterations, expansion = HEADER.unpack(data)
    valid = (
        0 < nfilters <= MAX_FILTERS
        and 0 < bucket_size <= MAX_BUCKET_SIZE
        and buckets > 0
        and buckets & (buckets - 1) == 0
        and (expansion == 0 or expansion & (expansion - 1) == 0)
        and (nfilters == 1 or expansion > 0)
    )
    if not valid:
        raise BadDump(error)
    cuckoo = CuckooFilter(buckets, bucket_size, max_iterations, expansion, [], items, deletes)
    try:
        for _ in range(nfilters):
            cuckoo._grow()
    except FilterTooLarge:
        raise BadDump(error) from None
    return cuckoo


def _locate(cuckoo: CuckooFilter, offset: int) -> tuple[bytearray, int] | None:
    if offset < 0:
        return None
    for data in cuckoo.filters:
        if offset < len(data):
            return data, offset
        offset -= len(data)
    return None


def next_chunk(cuckoo: CuckooFilter, iterator: int) -> tuple[int, bytes]:
    """(next iterator, data) for CF.SCANDUMP; (0, b"") when every slot was sent."""
    located = _locate(cuckoo, iterator - 1)
    if located is None:
        return 0, b""
    data, offset = located
    chunk = bytes(data[offset : offset + MAX_CHUNK])
    return iterator + len(chunk), chunk


def load_chunk(cuckoo: CuckooFilter, iterator: int, chunk: bytes) -> None:
    """Copy one chunk (whose iterator is the one SCANDUMP gave *with* it) into the slots."""
    located = _locate(cuckoo, iterator - len(chunk) - 1)
    if located is None or len(chunk) > len(located[0]) - located[1]:
        raise BadDump("Couldn't load chunk!")
    data, offset = located
    data[offset : offset + len(chunk)] = chunk


def dump_commands(cuckoo: CuckooFilter, key: bytes) -> list[list[bytes]]:
    """CF.LOADCHUNK commands that rebuild the filter (what RedisBloom's aof_rewrite emits)."""
    commands = [[b"CF.LOADCHUNK", key, b"%d" % CHUNK_ITER_INIT, encode_header(cuckoo)]]
    iterator = CHUNK_ITER_INIT
    while True:
        iterator, chunk = next_chunk(cuckoo, iterator)
        if iterator == 0:
            return commands
        commands.append([b"CF.LOADCHUNK", key, b"%d" % iterator, chunk])


def rdb_save(cuckoo: CuckooFilter) -> bytes:
    return encode_header(cuckoo) + b"".join(bytes(data) for data in cuckoo.filters)


def rdb_load(data: bytes, encver: int) -> CuckooFilter:
    if encver > ENCODING_VERSION:
        raise ValueError(f"cuckoo filters saved with encoding version {encver} are not readable")
    cuckoo = from_header(data[: HEADER.size], "cuckoo filter record has a bad header")
    position = HEADER.size
    for data_slots in cuckoo.filters:
        chunk = data[position : position + len(data_slots)]
        if len(chunk) != len(data_slots):
            raise ValueError("cuckoo filter record is truncated")
        data_slots[:] = chunk
        position += len(chunk)
    if position != len(data):
        raise ValueError("cuckoo filter record has trailing bytes")
    return cuckoo
