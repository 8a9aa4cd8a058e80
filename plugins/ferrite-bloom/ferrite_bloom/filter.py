"""A scalable Bloom filter sized, hashed and grown the way RedisBloom's SBChain is.

Sizing follows RedisBloom (`bloom_init` with FORCE64 | NOROUND): bits-per-entry from the error
rate, the bit array rounded up to whole 64-bit words, `ceil(ln2 * bpe)` hashes. A chain starts
with one filter at half the requested error rate; when the newest filter is full a new one is
added with `expansion` times its capacity and half its error rate, so the compound error rate
stays under the requested one. Items are hashed with MurmurHash64A as RedisBloom does.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

from ferrite_bloom.hashing import MASK64, murmurhash64a

__all__ = ["BloomLayer", "FilterFull", "FilterTooLarge", "ScalableBloomFilter", "murmurhash64a"]

_HASH_SEED = 0xC6A4A7935BD1E995
_LN2 = 0.693147180559945
_LN2_SQUARED = 0.480453013918201
ERROR_TIGHTENING_RATIO = 0.5

# Option bits, as RedisBloom stores them (and so as SCANDUMP headers carry them).
OPT_NOROUND = 1
OPT_ENTS_IS_BITS = 2
OPT_FORCE64 = 4
OPT_NO_SCALING = 8
KNOWN_OPTIONS = OPT_NOROUND | OPT_ENTS_IS_BITS | OPT_FORCE64 | OPT_NO_SCALING

#: One filter's bit array may not exceed this: a typo in a capacity must not eat the machine.
MAX_FILTER_BYTES = 1 << 30
#: What RedisBloom's BF.INFO `Size` counts for the chain header and for each link (C structs).
CHAIN_STRUCT_BYTES = 32
LINK_STRUCT_BYTES = 64

_u64 = struct.Struct("<Q")


def item_hash(item: bytes) -> tuple[int, int]:
    """The two 64-bit hashes double hashing combines (as `bloom_calc_hash64`)."""
    a = murmurhash64a(item, _HASH_SEED)
    return a, murmurhash64a(item, a)


class FilterTooLarge(Exception):
    """A filter would need more memory than one filter may use."""


@dataclass
class BloomLayer:
    """One fixed-size Bloom filter in the chain (RedisBloom's `struct bloom` + link size)."""

    entries: int
    error: float
    bpe: float
    hashes: int
    bits: int
    bitmap: bytearray
    size: int = 0
    n2: int = 0

    @classmethod
    def create(cls, entries: int, error: float) -> BloomLayer:
        if entries < 1 or not 0 < error < 1:
            raise ValueError("a filter needs entries >= 1 and 0 < error < 1")
        bpe = abs(-math.log(error) / _LN2_SQUARED)
        bits = int(entries * bpe) or 1
        nbytes = (bits // 64 + 1) * 8 if bits % 64 else bits // 8
        if nbytes > MAX_FILTER_BYTES:
            raise FilterTooLarge(f"a filter of {entries} entries needs {nbytes} bytes")
        return cls(entries, error, bpe, math.ceil(_LN2 * bpe), nbytes * 8, bytearray(nbytes))

    @property
    def nbytes(self) -> int:
        return len(self.bitmap)

    def _positions(self, hashes: tuple[int, int]) -> list[int]:
        a, b = hashes
        bits = self.bits
        return [((a + i * b) & MASK64) % bits for i in range(self.hashes)]

    def contains(self, hashes: tuple[int, int]) -> bool:
        bitmap = self.bitmap
        return all(bitmap[x >> 3] & (1 << (x & 7)) for x in self._positions(hashes))

    def add(self, hashes: tuple[int, int]) -> bool:
        """Set the item's bits; True when at least one was unset (the item is new)."""
        bitmap = self.bitmap
        added = False
        for x in self._positions(hashes):
            mask = 1 << (x & 7)
            if not bitmap[x >> 3] & mask:
                bitmap[x >> 3] |= mask
                added = True
        if added:
            self.size += 1
        return added

    def is_consistent(self) -> bool:
        """The integrity checks RedisBloom applies to a filter rebuilt from a dump."""
        return (
            0 < self.error < 1
            and self.bits > 0
            and self.bits == self.nbytes * 8
            and self.hashes == math.ceil(_LN2 * self.bpe)
        )


class FilterFull(Exception):
    """A non-scaling filter has reached its capacity."""


@dataclass
class ScalableBloomFilter:
    """RedisBloom's SBChain: a growing list of Bloom filters with tightening error rates."""

    expansion: int
    options: int
    layers: list[BloomLayer] = field(default_factory=list)
    size: int = 0

    @classmethod
    def create(
        cls, capacity: int, error_rate: float, expansion: int = 2, scaling: bool = True
    ) -> ScalableBloomFilter:
        options = OPT_FORCE64 | OPT_NOROUND | (0 if scaling else OPT_NO_SCALING)
        chain = cls(expansion=expansion, options=options)
        tightening = ERROR_TIGHTENING_RATIO if scaling else 1.0
        chain.layers.append(BloomLayer.create(capacity, error_rate * tightening))
        return chain

    @property
    def scaling(self) -> bool:
        return not self.options & OPT_NO_SCALING

    @property
    def capacity(self) -> int:
        return sum(layer.entries for layer in self.layers)

    @property
    def memory_bytes(self) -> int:
        """What BF.INFO reports as `Size` (RedisBloom's BFMemUsage)."""
        return CHAIN_STRUCT_BYTES + sum(LINK_STRUCT_BYTES + layer.nbytes for layer in self.layers)

    def contains(self, item: bytes) -> bool:
        hashes = item_hash(item)
        return any(layer.contains(hashes) for layer in reversed(self.layers))

    def add(self, item: bytes) -> bool:
        """Add `item`; False when it was (probably) there already.

        Raises FilterFull for a full non-scaling filter, FilterTooLarge when growing would
        need a filter larger than allowed.
        """
        hashes = item_hash(item)
        if any(layer.contains(hashes) for layer in reversed(self.layers)):
            return False
        current = self.layers[-1]
        if current.size >= current.entries:
            if not self.scaling:
                raise FilterFull
            current = BloomLayer.create(
                current.entries * self.expansion, current.error * ERROR_TIGHTENING_RATIO
            )
            self.layers.append(current)
        added = current.add(hashes)
        if added:
            self.size += 1
        return added

    def copy(self) -> ScalableBloomFilter:
        layers = [
            BloomLayer(
                layer.entries,
                layer.error,
                layer.bpe,
                layer.hashes,
                layer.bits,
                bytearray(layer.bitmap),
                layer.size,
                layer.n2,
            )
            for layer in self.layers
        ]
        return ScalableBloomFilter(self.expansion, self.options, layers, self.size)
