"""HyperLogLog in Redis's own string format, so GET/SET/DUMP see the bytes Redis would.

The format (Redis's documented `HYLL` layout): a 16-byte header (magic "HYLL", encoding
byte 0 = dense / 1 = sparse, 3 unused bytes, 8-byte little-endian cached cardinality whose
top bit set means "stale"), then 16384 registers, either dense (6 bits each, packed from the
least significant bit) or sparse opcodes: ZERO `00xxxxxx` (1-64 zero registers), XZERO
`01xxxxxx yyyyyyyy` (1-16384 zero registers), VAL `1vvvvvxx` (value 1-32, run of 1-4).

The sparse update follows Redis's steps (split the covering opcode, then merge adjacent
equal VALs within five opcodes) because the bytes must come out identical, not just the
cardinality. Values are edited as `bytearray`s in place.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from itertools import repeat

P = 14
REGISTERS = 1 << P
Q = 64 - P
BITS = 6
REGISTER_MAX = (1 << BITS) - 1
HEADER = 16
DENSE_SIZE = HEADER + (REGISTERS * BITS + 7) // 8
DENSE, SPARSE = 0, 1
MAGIC = b"HYLL"
SEED = 0xADC83B19
ALPHA_INF = 0.721347520444481703680

SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
SPARSE_XZERO_MAX_LEN = 16384

_M64 = (1 << 64) - 1
_MURMUR_M = 0xC6A4A7935BD1E995


class CorruptHLL(ValueError):
    """The sparse opcodes do not describe exactly 16384 registers."""


def murmurhash64a(data: bytes, seed: int = SEED) -> int:
    """Austin Appleby's MurmurHash64A (little-endian reads), as Redis hashes HLL elements."""
    m = _MURMUR_M
    size = len(data)
    h = (seed ^ (size * m)) & _M64
    whole = size - (size & 7)
    for pos in range(0, whole, 8):
        k = int.from_bytes(data[pos : pos + 8], "little")
        k = (k * m) & _M64
        k ^= k >> 47
        k = (k * m) & _M64
        h ^= k
        h = (h * m) & _M64
    if size & 7:
        h ^= int.from_bytes(data[whole:], "little")
        h = (h * m) & _M64
    h ^= h >> 47
    h = (h * m) & _M64
    h ^= h >> 47
    return h


def pattern(element: bytes) -> tuple[int, int]:
    """(register index, run of zeros + 1) for an element: the pair PFADD records."""
    hashed = murmurhash64a(element)
    index = hashed & (REGISTERS - 1)
    rest = (hashed >> P) | (1 << Q)
    return index, (rest & -rest).bit_length()


# -- headers -------------------------------------------------------------------------------


def new_sparse() -> bytearray:
    """An empty HLL: sparse, one XZERO covering every register, cached cardinality 0."""
    value = bytearray(MAGIC + bytes([SPARSE]) + bytes(11))
    length = REGISTERS
    while length:
        run = min(length, SPARSE_XZERO_MAX_LEN)
        value += bytes([((run - 1) >> 8) | 0x40, (run - 1) & 0xFF])
        length -= run
    return value


def is_valid_header(value: bytes | bytearray) -> bool:
    """Redis's cheap check before using a string as an HLL (no opcode walk)."""
    if len(value) < HEADER or value[:4] != MAGIC or value[4] > SPARSE:
        return False
    return value[4] != DENSE or len(value) == DENSE_SIZE


def invalidate_cache(value: bytearray) -> None:
    value[15] |= 0x80


def cached_cardinality(value: bytes | bytearray) -> int | None:
    if value[15] & 0x80:
        return None
    return int.from_bytes(value[8:16], "little")


def store_cardinality(value: bytearray, card: int) -> None:
    value[8:16] = card.to_bytes(8, "little")


# -- dense registers -----------------------------------------------------------------------


def dense_get(value: bytes | bytearray, index: int) -> int:
    pos = HEADER + index * BITS // 8
    shift = index * BITS & 7
    if shift <= 8 - BITS:  # the register sits in one byte (the last one always does)
        return (value[pos] >> shift) & REGISTER_MAX
    return ((value[pos] >> shift) | (value[pos + 1] << (8 - shift))) & REGISTER_MAX


def dense_set(value: bytearray, index: int, count: int) -> bool:
    """Raise a register to `count`; True when it changed."""
    if count <= dense_get(value, index):
        return False
    pos = HEADER + index * BITS // 8
    shift = index * BITS & 7
    value[pos] = (value[pos] & ~(REGISTER_MAX << shift) & 0xFF) | ((count << shift) & 0xFF)
    if shift <= 8 - BITS:
        return True
    upper = 8 - shift
    value[pos + 1] = (value[pos + 1] & ~(REGISTER_MAX >> upper) & 0xFF) | (count >> upper)
    return True


def dense_registers(value: bytes | bytearray) -> list[int]:
    """All 16384 registers; every 3 bytes hold exactly 4 registers."""
    registers = [0] * REGISTERS
    data = value[HEADER:DENSE_SIZE]
    index = 0
    for pos in range(0, len(data), 3):
        word = data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16)
        registers[index] = word & 63
        registers[index + 1] = (word >> 6) & 63
        registers[index + 2] = (word >> 12) & 63
        registers[index + 3] = word >> 18
        index += 4
    return registers


# -- sparse opcodes ------------------------------------------------------------------------


def _opcode(value: bytes | bytearray, pos: int) -> tuple[str, int, int, int]:
    """(kind, registers covered, value, opcode length) of the opcode at `pos`."""
    byte = value[pos]
    if byte & 0x80:
        return "val", (byte & 0x3) + 1, ((byte >> 2) & 0x1F) + 1, 1
    if byte & 0x40:
        low = value[pos + 1] if pos + 1 < len(value) else 0
        return "xzero", (((byte & 0x3F) << 8) | low) + 1, 0, 2
    return "zero", (byte & 0x3F) + 1, 0, 1


def sparse_runs(value: bytes | bytearray) -> list[tuple[int, int]]:
    """(register value, run length) for every opcode, in order."""
    runs = []
    pos, end = HEADER, len(value)
    while pos < end:
        _kind, span, count, size = _opcode(value, pos)
        runs.append((count, span))
        pos += size
    return runs


def sparse_registers(value: bytes | bytearray) -> list[int]:
    """Every register of a sparse HLL; CorruptHLL unless the runs cover exactly 16384
    (a VAL run reaching past the last register is corrupt at once, as in Redis)."""
    registers: list[int] = []
    extend = registers.extend
    opcodes = iter(value[HEADER:])
    for byte in opcodes:
        if byte & 0x80:
            if len(registers) + (byte & 0x3) + 1 > REGISTERS:
                raise CorruptHLL("a sparse VAL run passes the last register")
            extend(_VAL_RUNS[byte & 0x7F])
        elif byte & 0x40:
            extend(repeat(0, (((byte & 0x3F) << 8) | next(opcodes, 0)) + 1))
        else:
            extend(repeat(0, byte + 1))
    if len(registers) != REGISTERS:
        raise CorruptHLL("sparse HLL does not cover 16384 registers")
    return registers


#: The registers each VAL opcode (its low seven bits) stands for.
_VAL_RUNS = [[((low >> 2) & 0x1F) + 1] * ((low & 0x3) + 1) for low in range(128)]


def _val(count: int, length: int) -> int:
    return 0x80 | ((count - 1) << 2) | (length - 1)


def _zeros(length: int) -> bytes:
    if length > SPARSE_ZERO_MAX_LEN:
        return bytes([((length - 1) >> 8) | 0x40, (length - 1) & 0xFF])
    return bytes([length - 1])


def to_dense(value: bytearray) -> None:
    """Rewrite a sparse HLL as dense in place, keeping its header bytes."""
    if value[4] == DENSE:
        return
    registers = sparse_registers(value)
    dense = bytearray(value[:HEADER])
    dense[4] = DENSE
    for i in range(0, REGISTERS, 4):
        word = (
            registers[i]
            | (registers[i + 1] << 6)
            | (registers[i + 2] << 12)
            | (registers[i + 3] << 18)
        )
        dense += bytes((word & 0xFF, (word >> 8) & 0xFF, word >> 16))
    value[:] = dense


def sparse_set(
    value: bytearray,
    index: int,
    count: int,
    max_bytes: int,
    trail: list[tuple[int, int]] | None = None,
) -> bool:
    """Raise register `index` to `count` in a sparse HLL, promoting it to dense when the
    value cannot be expressed sparsely or the string would pass `max_bytes`. True when the
    HLL changed; CorruptHLL when the opcodes are broken.

    `trail` lets a caller setting registers in ascending order (PFMERGE) resume the opcode
    walk: it keeps (position, first register) of the opcodes before the last edit, which
    an edit never moves, so the walk finds what a walk from the start would find.
    """
    if count > SPARSE_VAL_MAX_VALUE:
        return _promote(value, index, count)
    if trail is None:
        trail = []
    elif trail and trail[-1][1] > index:
        trail.clear()
    if trail:
        pos, first = trail[-1]
        prev = trail[-2][0] if len(trail) > 1 else -1
    else:
        pos, first, prev = HEADER, 0, -1
        trail.append((pos, first))
    end = len(value)
    span = 0
    while pos < end:  # the hot loop: find the opcode covering `index`
        byte = value[pos]
        if byte & 0x80:
            span, size = (byte & 0x3) + 1, 1
        elif byte & 0x40:
            low = value[pos + 1] if pos + 1 < end else 0
            span, size = (((byte & 0x3F) << 8) | low) + 1, 2
        else:
            span, size = (byte & 0x3F) + 1, 1
        if index < first + span:
            break
        prev = pos
        pos += size
        first += span
        trail.append((pos, first))
    del trail[-1]  # from here on only the opcodes before `prev`'s successor stay put
    if span == 0 or pos >= end:
        raise CorruptHLL("register not covered")
    kind, span, current, size = _opcode(value, pos)
    if kind == "val":
        if current >= count:
            return False
        if span == 1:
            value[pos] = _val(count, 1)
            _merge_vals(value, prev)
            return True
    if kind == "zero" and span == 1:
        value[pos] = _val(count, 1)
        _merge_vals(value, prev)
        return True
    last = first + span - 1
    seq = bytearray()
    if kind == "val":
        if index != first:
            seq.append(_val(current, index - first))
        seq.append(_val(count, 1))
        if index != last:
            seq.append(_val(current, last - index))
    else:
        if index != first:
            seq += _zeros(index - first)
        seq.append(_val(count, 1))
        if index != last:
            seq += _zeros(last - index)
    if len(seq) > size and len(value) + len(seq) - size > max_bytes:
        return _promote(value, index, count)
    missing = pos + size - len(value)
    if missing > 0:  # a corrupt XZERO cut off at the end: Redis's length maths drops a byte
        del seq[len(seq) - missing :]
    value[pos : pos + size] = seq
    _merge_vals(value, prev)
    return True


def _promote(value: bytearray, index: int, count: int) -> bool:
    to_dense(value)
    dense_set(value, index, count)
    return True


def _merge_vals(value: bytearray, prev: int) -> None:
    """Redis's step 4: from the opcode before the edit, scan up to five opcodes and fuse
    adjacent VALs of equal value whose runs fit one opcode."""
    pos = prev if prev >= 0 else HEADER
    scans = 5
    while pos < len(value) and scans > 0:
        scans -= 1
        byte = value[pos]
        if not byte & 0x80:
            pos += 2 if byte & 0x40 else 1
            continue
        if pos + 1 < len(value) and value[pos + 1] & 0x80:
            nxt = value[pos + 1]
            same = (byte >> 2) & 0x1F == (nxt >> 2) & 0x1F
            length = (byte & 0x3) + (nxt & 0x3) + 2
            if same and length <= SPARSE_VAL_MAX_LEN:
                value[pos : pos + 2] = bytes([_val(((byte >> 2) & 0x1F) + 1, length)])
                continue
        pos += 1


# -- many sparse edits ----------------------------------------------------------------------

_ZERO, _XZERO, _VAL = 0, 1, 2
#: sparse_set's answer when the HLL must turn dense first.
_PROMOTE = 2


class _SparseEditor:
    """A well-formed sparse HLL's opcodes as lists (kind, span, value) with each opcode's
    first register, for PFADD's many edits: finding an element's opcode is a bisect instead
    of a walk over the bytes. Every edit is sparse_set's, so the bytes come out the same."""

    def __init__(self, ops: list[tuple[int, int, int]], starts: list[int], size: int) -> None:
        self.ops, self.starts, self.size = ops, starts, size

    @classmethod
    def of(cls, value: bytes | bytearray) -> _SparseEditor | None:
        """None unless the opcodes cover exactly the 16384 registers, none cut off."""
        ops: list[tuple[int, int, int]] = []
        starts: list[int] = []
        pos, end, first = HEADER, len(value), 0
        while pos < end:
            byte = value[pos]
            if byte & 0x80:
                op = (_VAL, (byte & 0x3) + 1, ((byte >> 2) & 0x1F) + 1)
                pos += 1
            elif byte & 0x40:
                if pos + 1 >= end:
                    return None
                op = (_XZERO, (((byte & 0x3F) << 8) | value[pos + 1]) + 1, 0)
                pos += 2
            else:
                op = (_ZERO, (byte & 0x3F) + 1, 0)
                pos += 1
            ops.append(op)
            starts.append(first)
            first += op[1]
        if first != REGISTERS:
            return None
        return cls(ops, starts, end - HEADER)

    def set(self, index: int, count: int, max_bytes: int) -> int:
        """sparse_set on the lists: 1 changed, 0 unchanged, _PROMOTE must turn dense."""
        if count > SPARSE_VAL_MAX_VALUE:
            return _PROMOTE
        ops, starts = self.ops, self.starts
        at = bisect_right(starts, index) - 1
        kind, span, current = ops[at]
        if kind == _VAL and current >= count:
            return 0
        if span == 1 and kind != _XZERO:
            ops[at] = (_VAL, 1, count)
            self._merge(at - 1)
            return 1
        first = starts[at]
        last = first + span - 1
        seq: list[tuple[int, int, int]] = []
        seq_starts: list[int] = []
        if index != first:
            seq.append(_run(kind, current, index - first))
            seq_starts.append(first)
        seq.append((_VAL, 1, count))
        seq_starts.append(index)
        if index != last:
            seq.append(_run(kind, current, last - index))
            seq_starts.append(index + 1)
        old_size = 2 if kind == _XZERO else 1
        new_size = sum(2 if op[0] == _XZERO else 1 for op in seq)
        if new_size > old_size and self.size + new_size - old_size > max_bytes - HEADER:
            return _PROMOTE
        ops[at : at + 1] = seq
        starts[at : at + 1] = seq_starts
        self.size += new_size - old_size
        self._merge(at - 1)
        return 1

    def _merge(self, prev: int) -> None:
        """_merge_vals on the lists."""
        ops, starts = self.ops, self.starts
        at = prev if prev >= 0 else 0
        scans = 5
        while at < len(ops) and scans > 0:
            scans -= 1
            kind, span, count = ops[at]
            if kind == _VAL and at + 1 < len(ops):
                next_kind, next_span, next_count = ops[at + 1]
                if next_kind == _VAL and next_count == count and span + next_span <= 4:
                    ops[at : at + 2] = [(_VAL, span + next_span, count)]
                    del starts[at + 1]
                    self.size -= 1
                    continue
            at += 1

    def write_back(self, value: bytearray) -> None:
        out = bytearray()
        for kind, span, count in self.ops:
            if kind == _VAL:
                out.append(_val(count, span))
            elif kind == _XZERO:
                out += bytes([((span - 1) >> 8) | 0x40, (span - 1) & 0xFF])
            else:
                out.append(span - 1)
        value[HEADER:] = out


def _run(kind: int, count: int, length: int) -> tuple[int, int, int]:
    """A piece of a split opcode: the same VAL, or zeros as _zeros encodes them."""
    if kind == _VAL:
        return (_VAL, length, count)
    return (_XZERO if length > SPARSE_ZERO_MAX_LEN else _ZERO, length, 0)


def add_many(value: bytearray, elements: list[bytes], max_bytes: int) -> bool:
    """PFADD of every element in order (the order shapes the sparse bytes, as in Redis);
    True when a register changed."""
    changed = False
    editor = _SparseEditor.of(value) if value[4] == SPARSE and len(elements) > 4 else None
    if editor is None:
        for element in elements:
            changed = add(value, element, max_bytes) or changed
        return changed
    for position, element in enumerate(elements):
        index, count = pattern(element)
        outcome = editor.set(index, count, max_bytes)
        if outcome == _PROMOTE:
            editor.write_back(value)
            _promote(value, index, count)
            for rest in elements[position + 1 :]:
                dense_set(value, *pattern(rest))
            return True
        changed = changed or outcome == 1
    if changed:
        editor.write_back(value)
    return changed


# -- whole-HLL operations ----------------------------------------------------------------


def add(value: bytearray, element: bytes, max_bytes: int) -> bool:
    index, count = pattern(element)
    if value[4] == DENSE:
        return dense_set(value, index, count)
    return sparse_set(value, index, count, max_bytes)


def registers_of(value: bytes | bytearray) -> list[int]:
    if value[4] == DENSE:
        return dense_registers(value)
    return sparse_registers(value)


def _histogram_of(value: bytes | bytearray) -> list[int]:
    """Register-value histogram; for sparse values Redis counts every run, even a broken
    walk (the caller then reports corruption)."""
    histogram = [0] * 64
    if value[4] == DENSE:
        for register in dense_registers(value):
            histogram[register] += 1
        return histogram
    covered = 0
    opcodes = iter(value[HEADER:])
    for byte in opcodes:
        if byte & 0x80:
            span = (byte & 0x3) + 1
            histogram[((byte >> 2) & 0x1F) + 1] += span
        elif byte & 0x40:
            span = (((byte & 0x3F) << 8) | next(opcodes, 0)) + 1
            histogram[0] += span
        else:
            span = byte + 1
            histogram[0] += span
        covered += span
    if covered != REGISTERS:
        raise CorruptHLL("sparse HLL does not cover 16384 registers")
    return histogram


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x in (0.0, 1.0):
        return 0.0
    y, z = 1.0, 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if previous == z:
            return z / 3


def estimate(histogram: list[int]) -> int:
    """Otmar Ertl's improved estimator ("New cardinality estimation algorithms for
    HyperLogLog sketches"), computed in the same double-precision steps as Redis."""
    m = float(REGISTERS)
    z = m * _tau((m - histogram[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histogram[j]
        z *= 0.5
    z += m * _sigma(histogram[0] / m)
    raw = ALPHA_INF * m * m / z
    whole = math.floor(raw)
    return int(whole + (1 if raw - whole >= 0.5 else 0))


def count(value: bytes | bytearray) -> int:
    return estimate(_histogram_of(value))


def count_registers(registers: list[int]) -> int:
    histogram = [0] * 64
    for register, times in Counter(registers).items():
        histogram[register] = times
    return estimate(histogram)


def merge_into(target: list[int], value: bytes | bytearray) -> None:
    """target[i] = max(target[i], register i of value); CorruptHLL as sparse_registers."""
    if value[4] == DENSE:
        registers = dense_registers(value)
        target[:] = [a if a > b else b for a, b in zip(target, registers, strict=True)]
        return
    index = 0  # a sparse value: only its VAL runs can raise registers
    opcodes = iter(value[HEADER:])
    for byte in opcodes:
        if byte & 0x80:
            span, count = (byte & 0x3) + 1, ((byte >> 2) & 0x1F) + 1
            if index + span > REGISTERS:
                raise CorruptHLL("a sparse VAL run passes the last register")
            for at in range(index, index + span):
                if count > target[at]:
                    target[at] = count
            index += span
        elif byte & 0x40:
            index += (((byte & 0x3F) << 8) | next(opcodes, 0)) + 1
        else:
            index += byte + 1
    if index != REGISTERS:
        raise CorruptHLL("sparse HLL does not cover 16384 registers")


# -- debugging -------------------------------------------------------------------------------


def sparse_decode(value: bytes | bytearray) -> str:
    """PFDEBUG DECODE's listing of a sparse HLL's opcodes (`z:len` ZERO, `Z:len` XZERO,
    `v:val,len` VAL)."""
    words = []
    pos, end = HEADER, len(value)
    while pos < end:
        kind, span, count, size = _opcode(value, pos)
        if kind == "val":
            words.append(f"v:{count},{span}")
        else:
            words.append(f"{'Z' if kind == 'xzero' else 'z'}:{span}")
        pos += size
    return " ".join(words)


def _empty_dense() -> bytearray:
    value = bytearray(DENSE_SIZE)
    value[:4], value[4] = MAGIC, DENSE
    return value


def self_test(rounds: int = 2, elements: int = 5000) -> str | None:
    """PFSELFTEST: None when register packing, sparse/dense agreement and the estimate's
    error all check out, else what failed (Redis's TESTFAILED wording)."""
    import random

    rng = random.Random(0xF3)
    for _ in range(rounds):
        dense = _empty_dense()
        expected = [rng.randrange(REGISTER_MAX + 1) for _ in range(REGISTERS)]
        for index, value in enumerate(expected):
            dense_set(dense, index, value)
        unpacked = dense_registers(dense)
        for index, value in enumerate(expected):
            if dense_get(dense, index) != value or unpacked[index] != value:
                return f"TESTFAILED Register error at {index}"
    sparse, packed = new_sparse(), _empty_dense()
    relative_error = 1.04 / (REGISTERS**0.5)
    for seen in range(1, elements + 1):
        element = b"%d" % rng.getrandbits(64)
        add(sparse, element, 3000)
        add(packed, element, 3000)
        if seen in (10, 100, 1000, elements):
            if registers_of(sparse) != registers_of(packed):
                return f"TESTFAILED sparse and dense registers differ after {seen} elements"
            error = abs(count(packed) - seen)
            if error > 5 * relative_error * seen + 1:
                return f"TESTFAILED Too big error. card:{seen} abserr:{float(error):f}"
    return None
