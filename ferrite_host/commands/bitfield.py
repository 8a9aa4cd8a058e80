"""BITFIELD's integer fields: reading, writing and Redis's overflow rules (WRAP, SAT, FAIL).

Python integers are exact, so overflow is "the exact result leaves the type's range"; that
is what Redis's checks amount to, including SET of a negative value into an unsigned field
(read as its 64-bit two's complement, hence too large: SAT stores the maximum).
"""

from __future__ import annotations

from dataclasses import dataclass

from ferrite_host.core.errors import CommandError
from ferrite_host.strconv import parse_int

BAD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. "
    "Note that u64 is not supported but i64 is."
)


@dataclass(frozen=True)
class FieldOp:
    kind: str  # "get", "set" or "incrby"
    signed: bool
    bits: int
    offset: int
    operand: int
    overflow: str  # "wrap", "sat" or "fail"


def parse_field_type(raw: bytes) -> tuple[bool, int]:
    """`i1`..`i64` or `u1`..`u63` as (signed, bits)."""
    sign = raw[:1].lower()
    bits = parse_int(raw[1:]) if sign in (b"i", b"u") else None
    signed = sign == b"i"
    if bits is None or bits < 1 or bits > (64 if signed else 63):
        raise CommandError(BAD_TYPE)
    return signed, bits


def read_field(value: bytes | bytearray, signed: bool, bits: int, offset: int) -> int:
    """The field at `offset`; bits past the end of the string read as 0."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = bytes(value[first : last + 1]).ljust(last - first + 1, b"\0")
    number = int.from_bytes(chunk, "big") >> (7 - ((offset + bits - 1) & 7))
    number &= (1 << bits) - 1
    if signed and number >> (bits - 1):
        number -= 1 << bits
    return number


def write_field(buffer: bytearray, bits: int, offset: int, number: int) -> None:
    """Store the low `bits` bits of `number` at `offset` (the buffer is long enough)."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    width = (last - first + 1) * 8
    shift = 7 - ((offset + bits - 1) & 7)
    mask = ((1 << bits) - 1) << shift
    current = int.from_bytes(buffer[first : last + 1], "big")
    current = (current & ~mask) | ((number << shift) & mask)
    buffer[first : last + 1] = current.to_bytes(width // 8, "big")


def _limits(signed: bool, bits: int) -> tuple[int, int]:
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def _wrap(number: int, signed: bool, bits: int) -> int:
    number &= (1 << bits) - 1
    if signed and number >> (bits - 1):
        number -= 1 << bits
    return number


def run_write_op(buffer: bytearray, op: FieldOp) -> tuple[int | None, bool | None]:
    """Apply one SET or INCRBY: (reply, changed). The reply is the old (SET) or new
    (INCRBY) value; when OVERFLOW FAIL refuses the write it is (None, None)."""
    old = read_field(buffer, op.signed, op.bits, op.offset)
    if op.kind == "incrby":
        wanted = old + op.operand
    else:
        wanted = op.operand if op.signed else op.operand & ((1 << 64) - 1)
    low, high = _limits(op.signed, op.bits)
    new = wanted
    if not low <= wanted <= high:
        if op.overflow == "fail":
            return None, None
        if op.overflow == "sat":
            new = high if wanted > high else low
        else:
            new = _wrap(wanted, op.signed, op.bits)
    write_field(buffer, op.bits, op.offset, new)
    return (new if op.kind == "incrby" else old), new != old
