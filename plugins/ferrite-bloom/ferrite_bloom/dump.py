"""Serialising filters: snapshot records (rdb_save/rdb_load) and SCANDUMP/LOADCHUNK chunks.

The SCANDUMP header has RedisBloom's packed little-endian layout (`dumpedChainHeader` followed
by one `dumpedChainLink` per filter), and chunk iterators count bytes the same way: iterator 1
is the header, then `1 + offset` into the concatenated bit arrays, so a filter can be copied
with redis-py's `scandump`/`loadchunk` loop exactly as against RedisBloom.
"""

from __future__ import annotations

import struct

from ferrite_bloom.filter import KNOWN_OPTIONS, BloomLayer, ScalableBloomFilter

#: Encoding version of snapshot records (RedisBloom's BF_MIN_GROWTH_ENC).
ENCODING_VERSION = 4
#: Largest chunk BF.SCANDUMP hands out (RedisBloom's MAX_SCANDUMP_SIZE).
MAX_CHUNK = 16 * 1024 * 1024
#: SCANDUMP's first iterator value (SB_CHUNKITER_INIT).
CHUNK_ITER_INIT = 1

_HEADER = struct.Struct("<QIII")  # size, nfilters, options, growth
_LINK = struct.Struct("<QQQddIQB")  # bytes, bits, size, error, bpe, hashes, entries, n2
_RDB_CHAIN = struct.Struct("<QQQQ")  # size, nfilters, options, growth
_RDB_LINK = struct.Struct("<QdQdQQQ")  # entries, error, hashes, bpe, bits, n2, bitmap length
_U64 = struct.Struct("<Q")


class BadDump(ValueError):
    """Bytes that do not describe a valid filter; the message is the client-facing error."""


def encode_header(chain: ScalableBloomFilter) -> bytes:
    parts = [_HEADER.pack(chain.size, len(chain.layers), chain.options, chain.expansion)]
    for layer in chain.layers:
        parts.append(
            _LINK.pack(
                layer.nbytes,
                layer.bits,
                layer.size,
                layer.error,
                layer.bpe,
                layer.hashes,
                layer.entries,
                layer.n2,
            )
        )
    return b"".join(parts)


def chain_from_header(data: bytes) -> ScalableBloomFilter:
    """An empty-bitmap filter described by a SCANDUMP header (LOADCHUNK with iterator 1)."""
    if len(data) < _HEADER.size:
        raise BadDump("ERR received bad data")
    size, nfilters, options, growth = _HEADER.unpack_from(data, 0)
    if nfilters <= 0 or len(data) != _HEADER.size + nfilters * _LINK.size:
        raise BadDump("ERR received bad data")
    layers = []
    for index in range(nfilters):
        nbytes, bits, lsize, error, bpe, hashes, entries, n2 = _LINK.unpack_from(
            data, _HEADER.size + index * _LINK.size
        )
        if nbytes * 8 != bits or nbytes > (1 << 30):
            raise BadDump("ERR received bad data")
        layer = BloomLayer(entries, error, bpe, hashes, bits, bytearray(nbytes), lsize, n2)
        if not layer.is_consistent():
            raise BadDump("ERR received bad data")
        layers.append(layer)
    chain = ScalableBloomFilter(growth, options, layers, size)
    if options & ~KNOWN_OPTIONS or sum(layer.size for layer in layers) != size:
        raise BadDump("ERR received bad data")
    return chain


def _locate(chain: ScalableBloomFilter, iterator: int) -> tuple[BloomLayer, int] | None:
    """The filter and offset inside it that a chunk iterator points at."""
    if iterator < 1:
        return None
    position = iterator - 1
    for layer in chain.layers:
        if position < layer.nbytes:
            return layer, position
        position -= layer.nbytes
    return None


def next_chunk(chain: ScalableBloomFilter, iterator: int) -> tuple[int, bytes]:
    """(next iterator, data) for BF.SCANDUMP; (0, b"") once every bit array was sent."""
    located = _locate(chain, iterator)
    if located is None:
        return 0, b""
    layer, offset = located
    chunk = bytes(layer.bitmap[offset : offset + MAX_CHUNK])
    return iterator + len(chunk), chunk


def load_chunk(chain: ScalableBloomFilter, iterator: int, data: bytes) -> None:
    """Copy one SCANDUMP chunk (whose iterator came *after* it) into the filter's bits."""
    if iterator <= 0 or iterator < len(data):
        raise BadDump("ERR received bad data")
    located = _locate(chain, iterator - len(data))
    if located is None:
        raise BadDump("ERR invalid offset - no link found")
    layer, offset = located
    if len(data) > layer.nbytes - offset:
        raise BadDump("ERR invalid chunk - Too big for current filter")
    layer.bitmap[offset : offset + len(data)] = data


def dump_commands(chain: ScalableBloomFilter, key: bytes) -> list[list[bytes]]:
    """BF.LOADCHUNK commands that rebuild the filter (what RedisBloom's aof_rewrite emits)."""
    commands = [[b"BF.LOADCHUNK", key, str(CHUNK_ITER_INIT).encode(), encode_header(chain)]]
    iterator = CHUNK_ITER_INIT
    while True:
        iterator, chunk = next_chunk(chain, iterator)
        if iterator == 0:
            return commands
        commands.append([b"BF.LOADCHUNK", key, str(iterator).encode(), chunk])


def rdb_save(chain: ScalableBloomFilter) -> bytes:
    """The fields RedisBloom's BFRdbSave writes, in its order, as fixed-width records."""
    parts = [_RDB_CHAIN.pack(chain.size, len(chain.layers), chain.options, chain.expansion)]
    for layer in chain.layers:
        parts.append(
            _RDB_LINK.pack(
                layer.entries,
                layer.error,
                layer.hashes,
                layer.bpe,
                layer.bits,
                layer.n2,
                layer.nbytes,
            )
        )
        parts.append(bytes(layer.bitmap))
        parts.append(_U64.pack(layer.size))
    return b"".join(parts)


def rdb_load(data: bytes, encver: int) -> ScalableBloomFilter:
    if encver != ENCODING_VERSION:
        raise ValueError(f"bloom filters saved with encoding version {encver} are not readable")
    view = memoryview(data)
    size, nfilters, options, growth = _RDB_CHAIN.unpack_from(view, 0)
    position = _RDB_CHAIN.size
    layers = []
    for _ in range(nfilters):
        entries, error, hashes, bpe, bits, n2, nbytes = _RDB_LINK.unpack_from(view, position)
        position += _RDB_LINK.size
        bitmap = bytearray(view[position : position + nbytes])
        if len(bitmap) != nbytes:
            raise ValueError("bloom filter record is truncated")
        position += nbytes
        (layer_size,) = _U64.unpack_from(view, position)
        position += _U64.size
        layers.append(BloomLayer(entries, error, bpe, hashes, bits, bitmap, layer_size, n2))
    if position != len(data):
        raise ValueError("bloom filter record has trailing bytes")
    return ScalableBloomFilter(growth, options, layers, size)
