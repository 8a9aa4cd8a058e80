"""LZF, the compression Redis uses for long strings in RDB files (`rdbcompression yes`).

The stream format (liblzf's): a control byte below 32 starts a literal run of ctrl+1
bytes; otherwise its top 3 bits are a match length minus 2 (7 means an extra length byte
follows), its low 5 bits and the next byte the back-reference offset minus 1.
"""

from __future__ import annotations

_MAX_LITERAL = 32
_MAX_OFFSET = 1 << 13
_MAX_MATCH = 264  # 2 + 7 + 255


class LzfError(ValueError):
    """Compressed data that does not decode to the promised length."""


def decompress(data: bytes | bytearray | memoryview, size: int) -> bytes:
    """Decode `data` into exactly `size` bytes; LzfError on anything malformed."""
    src = bytes(data)
    out = bytearray()
    pos, end = 0, len(src)
    while pos < end:
        ctrl = src[pos]
        pos += 1
        if ctrl < 32:
            run = ctrl + 1
            if pos + run > end:
                raise LzfError("literal run past the end of the compressed data")
            out += src[pos : pos + run]
            pos += run
        else:
            length = ctrl >> 5
            if length == 7:
                if pos >= end:
                    raise LzfError("match length past the end of the compressed data")
                length += src[pos]
                pos += 1
            if pos >= end:
                raise LzfError("match offset past the end of the compressed data")
            offset = ((ctrl & 0x1F) << 8 | src[pos]) + 1
            pos += 1
            length += 2
            start = len(out) - offset
            if start < 0:
                raise LzfError("back reference before the start of the data")
            if offset >= length:
                out += out[start : start + length]
            else:  # overlapping copy: the run repeats itself
                for index in range(start, start + length):
                    out.append(out[index])
        if len(out) > size:
            raise LzfError(f"decompresses to more than the {size} bytes announced")
    if len(out) != size:
        raise LzfError(f"decompresses to {len(out)} bytes, {size} announced")
    return bytes(out)


def compress(data: bytes | bytearray | memoryview, limit: int | None = None) -> bytes | None:
    """LZF-compress `data`; None when the result would not be shorter than `limit` bytes."""
    src = bytes(data)
    size = len(src)
    cap = size if limit is None else limit
    out = bytearray()
    table: dict[bytes, int] = {}
    literal_start = 0
    pos = 0
    while pos + 2 < size:
        key = src[pos : pos + 3]
        ref = table.get(key)
        table[key] = pos
        if ref is None or pos - ref > _MAX_OFFSET:
            pos += 1
            continue
        longest = min(_MAX_MATCH, size - pos)
        length = 3
        while length < longest and src[ref + length] == src[pos + length]:
            length += 1
        _emit_literals(out, src, literal_start, pos)
        offset = pos - ref - 1
        code = length - 2
        if code < 7:
            out.append((code << 5) | (offset >> 8))
        else:
            out.append((7 << 5) | (offset >> 8))
            out.append(code - 7)
        out.append(offset & 0xFF)
        if len(out) >= cap:
            return None
        for index in range(pos + 1, min(pos + length, size - 2)):
            table[src[index : index + 3]] = index
        pos += length
        literal_start = pos
    _emit_literals(out, src, literal_start, size)
    return bytes(out) if len(out) < cap else None


def _emit_literals(out: bytearray, src: bytes, start: int, end: int) -> None:
    while start < end:
        run = min(_MAX_LITERAL, end - start)
        out.append(run - 1)
        out += src[start : start + run]
        start += run
