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


def _slot(data: bytes, pos: int) -> int:
    """liblzf's hash-table slot for the 3 bytes at `pos` (HLOG 16, its VERY_FAST hash)."""
    return (
        ((data[pos] << 8) | data[pos + 1]) - 5 * ((data[pos + 1] << 8) | data[pos + 2])
    ) & 0xFFFF


def compress(data: bytes | bytearray | memoryview, limit: int | None = None) -> bytes | None:
    """LZF-compress `data` into at most `limit` bytes, or None (liblzf's 0) when it won't fit.

    Follows liblzf's choices exactly (one 65536-slot table of last positions, matches
    never referring to offset 0, the same space checks), so the bytes are the ones Redis
    writes for the same string and DUMP payloads compare equal.
    """
    src = bytes(data)
    size = len(src)
    cap = size if limit is None else limit
    if not size or not cap:
        return None
    if len({src[index : index + 3] for index in range(size - 2)}) == size - 2:
        return None  # no 3 bytes repeat: no match, and literals alone never shrink data
    table: dict[int, int] = {}  # slot -> last position; a missing slot reads as 0
    out = bytearray(1)  # the header byte of the first literal run
    lit = 0
    pos = 0
    lookup = table.get
    while pos < size - 2:
        second = src[pos + 1]
        slot = (((src[pos] << 8) | second) - 5 * ((second << 8) | src[pos + 2])) & 0xFFFF
        ref = lookup(slot, 0)
        table[slot] = pos
        offset = pos - ref - 1
        if (
            0 <= offset < _MAX_OFFSET
            and ref > 0
            and src[ref + 2] == src[pos + 2]
            and src[ref] == src[pos]
            and src[ref + 1] == src[pos + 1]
        ):
            used = len(out)
            if used + 4 >= cap and used - (0 if lit else 1) + 4 >= cap:
                return None
            if lit:
                out[used - lit - 1] = lit - 1  # close the literal run
            else:
                out.pop()  # no literals: drop the run's reserved header byte
            length = _match_length(src, ref, pos, min(size - pos - 2, _MAX_MATCH))
            code = length - 2
            if code < 7:
                out.append((offset >> 8) + (code << 5))
            else:
                out.append((offset >> 8) + (7 << 5))
                out.append(code - 7)
            out.append(offset & 0xFF)
            lit = 0
            out.append(0)
            pos += length
            if pos >= size - 2:
                break
            for back in (2, 1):  # liblzf re-hashes the match's last two positions
                table[_slot(src, pos - back)] = pos - back
        else:
            if len(out) >= cap:
                return None
            lit += 1
            out.append(src[pos])
            pos += 1
            if lit == _MAX_LITERAL:
                out[len(out) - lit - 1] = lit - 1
                lit = 0
                out.append(0)
    if len(out) + 3 > cap:
        return None
    while pos < size:
        lit += 1
        out.append(src[pos])
        pos += 1
        if lit == _MAX_LITERAL:
            out[len(out) - lit - 1] = lit - 1
            lit = 0
            out.append(0)
    if lit:
        out[len(out) - lit - 1] = lit - 1
    else:
        out.pop()
    return bytes(out)


def _match_length(src: bytes, ref: int, pos: int, longest: int) -> int:
    """How many bytes match (at least 3), probing the way liblzf does: 16 unchecked steps
    first when over 16 may match, which can run up to two bytes past `longest`."""
    length = 2
    if longest > 16:
        for _ in range(16):
            length += 1
            if src[ref + length] != src[pos + length]:
                return length
    length += 1
    while length < longest and src[ref + length] == src[pos + length]:
        length += 1
    return length
