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
    registers = [0] * REGISTERS
    index = 0
    for count, span in sparse_runs(value):
        if count:
            if index + span > REGISTERS:
                raise CorruptHLL("a sparse VAL run passes the last register")
            registers[index : index + span] = [count] * span
        index += span
    if index != REGISTERS:
        raise CorruptHLL("sparse HLL does not cover 16384 registers")
    return registers


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
    for count, span in sparse_runs(value):
        histogram[count] += span
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
    for register in registers:
        histogram[register] += 1
    return estimate(histogram)


def merge_into(target: list[int], value: bytes | bytearray) -> None:
    """target[i] = max(target[i], register i of value)."""
    for i, register in enumerate(registers_of(value)):
        if register > target[i]:
            target[i] = register
