"""Bitmap commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD(_RO).

Bits are numbered as Redis numbers them: bit 0 is the most significant bit of byte 0.
Mutators grow the string with zero bytes as far as the highest bit they write; an edit of a
stored `bytearray` happens in place (then `db.changed`), a `bytes` value is replaced by an
edited `bytearray` (then `db.set`), so each command emits Redis's one event ("setbit", or
"set"/"del" for BITOP's destination).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import (
    BIT_UNIT,
    BITFIELD_OPERAND,
    block,
    integer,
    key_arg,
    oneof,
    token,
)
from ferrite_host.commands.bitfield import (
    FieldOp,
    parse_field_type,
    read_field,
    run_write_op,
)
from ferrite_host.commands.strings import get_string
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace.events import SILENT, STRING
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("bitmap")
command = family.command

BAD_OFFSET = "ERR bit offset is not an integer or out of range"
BAD_BIT = "ERR bit is not an integer or out of range"


def parse_bit_offset(session: Session, raw: bytes, field_bits: int = 0) -> int:
    """A bit offset as Redis bounds it: 0 <= offset and offset/8 < proto-max-bulk-len.

    With `field_bits` (BITFIELD), `#N` means the N-th field of that width.
    """
    scaled = field_bits > 0 and raw[:1] == b"#"
    offset = parse_int(raw[1:] if scaled else raw)
    if offset is None:
        raise CommandError(BAD_OFFSET)
    if scaled:
        offset *= field_bits
    if offset < 0 or (offset >> 3) >= session.state.settings.proto_max_bulk_len:
        raise CommandError(BAD_OFFSET)
    return offset


def _long(raw: bytes) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


def _writable(session: Session, key: bytes, highest_bit: int) -> tuple[bytearray, bool, bool]:
    """The string at `key` as a bytearray at least long enough for `highest_bit`.

    Returns (buffer, stored, grew): `stored` is True when the buffer is the stored value
    itself (edited in place); `grew` when the key was created or lengthened, which Redis
    counts as a change even if no bit ends up different.
    """
    value = get_string(session, key)
    needed = (highest_bit >> 3) + 1
    grew = value is None or len(value) < needed
    if type(value) is bytearray:
        if grew:
            value.extend(bytes(needed - len(value)))
        return value, True, grew
    buffer = bytearray(value or b"")
    if len(buffer) < needed:
        buffer.extend(bytes(needed - len(buffer)))
    return buffer, False, grew


def _store(session: Session, key: bytes, buffer: bytearray, stored: bool, changed: bool) -> None:
    """Keep the edited buffer; only a real change is announced ("setbit"), as in Redis,
    where a key grown by a refused BITFIELD write exists without a notification."""
    if stored:
        if changed:
            session.db.changed(key, "setbit", STRING)
    elif changed:
        session.db.set(key, buffer, keep_ttl=True, event="setbit")
    else:
        session.db.set(key, buffer, keep_ttl=True, event="setbit", cls=SILENT)


# -- SETBIT / GETBIT ---------------------------------------------------------------------


@command(
    "setbit",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    since="2.2.0",
    summary=(
        "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist."
    ),
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[key_arg(), integer("offset"), integer("value")],
)
def setbit(session: Session, argv: list[bytes]) -> Any:
    offset = parse_bit_offset(session, argv[2])
    if argv[3] not in (b"0", b"1"):
        raise CommandError(BAD_BIT)
    on = argv[3] == b"1"
    buffer, stored, grew = _writable(session, argv[1], offset)
    index, mask = offset >> 3, 0x80 >> (offset & 7)
    old = 1 if buffer[index] & mask else 0
    if grew or old != on:
        if on:
            buffer[index] |= mask
        else:
            buffer[index] &= ~mask & 0xFF
        _store(session, argv[1], buffer, stored, changed=True)
    elif not stored:
        session.db.unshare_string(argv[1])
    return old


@command(
    "getbit",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.2.0",
    summary="Returns a bit value by offset.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[key_arg(), integer("offset")],
)
def getbit(session: Session, argv: list[bytes]) -> Any:
    offset = parse_bit_offset(session, argv[2])
    value = get_string(session, argv[1], counted=True)
    index = offset >> 3
    if value is None or index >= len(value):
        return 0
    return 1 if value[index] & (0x80 >> (offset & 7)) else 0


# -- BITCOUNT / BITPOS -------------------------------------------------------------------


def _unit_is_bit(raw: bytes) -> bool:
    unit = raw.lower()
    if unit == b"bit":
        return True
    if unit == b"byte":
        return False
    raise CommandError(errors.SYNTAX)


def _clamp(start: int, end: int, total: int) -> tuple[int, int]:
    """Redis's range normalisation: negatives count from the end, then clip to the value."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    start, end = max(start, 0), max(end, 0)
    return start, min(end, total - 1)


def _bits_of(value: bytes | bytearray, first_bit: int, last_bit: int) -> tuple[int, int]:
    """The bits first_bit..last_bit (inclusive) as an integer, and how many there are."""
    chunk = value[first_bit >> 3 : (last_bit >> 3) + 1]
    width = last_bit - first_bit + 1
    number = int.from_bytes(chunk, "big") >> (7 - (last_bit & 7))
    return number & ((1 << width) - 1), width


@command(
    "bitcount",
    -2,
    "readonly",
    keys=(1, 1, 1),
    since="2.6.0",
    summary="Counts the number of set bits (population counting) in a string.",
    complexity="O(N)",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        block("range", integer("start"), integer("end"), BIT_UNIT, optional=True),
    ],
)
def bitcount(session: Session, argv: list[bytes]) -> Any:
    value = get_string(session, argv[1], counted=True)
    if value is None:
        return 0  # Redis 7.0 looks the key up before it checks the arguments
    if len(argv) not in (2, 4, 5):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        return int.from_bytes(value, "big").bit_count()
    start, end = _long(argv[2]), _long(argv[3])
    is_bit = len(argv) == 5 and _unit_is_bit(argv[4])
    total = len(value) * 8 if is_bit else len(value)
    if start < 0 and end < 0 and start > end:
        return 0
    start, end = _clamp(start, end, total)
    if start > end:
        return 0
    if not is_bit:
        return int.from_bytes(value[start : end + 1], "big").bit_count()
    return _bits_of(value, start, end)[0].bit_count()


@command(
    "bitpos",
    -3,
    "readonly",
    keys=(1, 1, 1),
    since="2.8.7",
    summary="Finds the first set (1) or clear (0) bit in a string.",
    complexity="O(N)",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        integer("bit"),
        block(
            "range",
            integer("start"),
            block("end-unit-block", integer("end"), BIT_UNIT, optional=True),
            optional=True,
        ),
    ],
)
def bitpos(session: Session, argv: list[bytes]) -> Any:
    bit = _long(argv[2])
    if bit not in (0, 1):
        raise CommandError("ERR The bit argument must be 1 or 0.")
    value = get_string(session, argv[1], counted=True)
    if value is None:
        return -1 if bit else 0
    if len(argv) > 6:
        raise CommandError(errors.SYNTAX)
    size = len(value)
    end_given = len(argv) >= 5
    if len(argv) == 3:
        first, last = 0, size * 8 - 1
    else:
        start = _long(argv[3])
        is_bit = len(argv) == 6 and _unit_is_bit(argv[5])
        total = size * 8 if is_bit else size
        end = _long(argv[4]) if end_given else total - 1
        start, end = _clamp(start, end, total)
        if start > end:
            return -1
        first, last = (start, end) if is_bit else (start * 8, end * 8 + 7)
    if first > last:
        return -1
    return _first_bit(value, first, last, bit, end_given)


def _first_bit(value: bytes | bytearray, first: int, last: int, bit: int, end_given: bool) -> int:
    """Position of the first `bit` in first..last; a clear bit past the end of the string
    counts as found (position just after the range's last byte) unless an end was given."""
    number, width = _bits_of(value, first, last)
    if bit == 0:
        number = ~number & ((1 << width) - 1)
    if number:
        return first + width - number.bit_length()
    if bit == 1 or end_given:
        return -1
    return ((last >> 3) + 1) * 8


# -- BITOP -------------------------------------------------------------------------------


_BITOPS = (b"and", b"or", b"xor", b"not")


@command(
    "bitop",
    -4,
    "write denyoom",
    keys=(2, -1, 1),
    since="2.6.0",
    summary="Performs bitwise operations on multiple strings, and stores the result.",
    complexity="O(N)",
    key_specs=[key_spec("OW UPDATE", index=2), key_spec("RO ACCESS", index=3, last=-1)],
    arguments=[
        oneof(
            "operation",
            token("and", "AND"),
            token("or", "OR"),
            token("xor", "XOR"),
            token("not", "NOT"),
        ),
        key_arg("destkey", 0),
        key_arg("key", 1, multiple=True),
    ],
)
def bitop(session: Session, argv: list[bytes]) -> Any:
    op = argv[1].lower()
    if op not in _BITOPS:
        raise CommandError(errors.SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise CommandError("ERR BITOP NOT must be called with a single source key.")
    sources = [get_string(session, key) or b"" for key in argv[3:]]
    longest = max(len(source) for source in sources)
    destination = argv[2]
    if not longest:
        session.db.delete(destination)
        return 0
    numbers = [int.from_bytes(source.ljust(longest, b"\0"), "big") for source in sources]
    result = numbers[0]
    if op == b"not":
        result = ~result & ((1 << (longest * 8)) - 1)
    for number in numbers[1:]:
        if op == b"and":
            result &= number
        elif op == b"or":
            result |= number
        else:
            result ^= number
    session.db.set(destination, result.to_bytes(longest, "big"))
    return longest


# -- BITFIELD ----------------------------------------------------------------------------


def _parse_bitfield(session: Session, argv: list[bytes]) -> list[FieldOp]:
    """BITFIELD's operations in order, each carrying the OVERFLOW mode in force for it."""
    ops: list[FieldOp] = []
    overflow = "wrap"
    pos, size = 2, len(argv)
    while pos < size:
        remaining = size - pos - 1
        name = argv[pos].lower()
        if name == b"overflow" and remaining >= 1:
            mode = argv[pos + 1].lower()
            if mode not in (b"wrap", b"sat", b"fail"):
                raise CommandError("ERR Invalid OVERFLOW type specified")
            overflow = mode.decode()
            pos += 2
            continue
        if not (
            (name == b"get" and remaining >= 2) or (name in (b"set", b"incrby") and remaining >= 3)
        ):
            raise CommandError(errors.SYNTAX)
        signed, bits = parse_field_type(argv[pos + 1])
        offset = parse_bit_offset(session, argv[pos + 2], bits)
        operand = 0 if name == b"get" else _long(argv[pos + 3])
        ops.append(FieldOp(name.decode(), signed, bits, offset, operand, overflow))
        pos += 3 if name == b"get" else 4
    return ops


def _bitfield(session: Session, argv: list[bytes], read_only: bool) -> Any:
    ops = _parse_bitfield(session, argv)
    writes = [op for op in ops if op.kind != "get"]
    key = argv[1]
    if not writes:
        value = get_string(session, key, counted=True)
        return [read_field(value or b"", op.signed, op.bits, op.offset) for op in ops]
    if read_only:
        raise CommandError("ERR BITFIELD_RO only supports the GET subcommand")
    highest = max(op.offset + op.bits - 1 for op in writes)
    buffer, stored, grew = _writable(session, key, highest)
    replies: list[int | None] = []
    changed = False
    for op in ops:
        if op.kind == "get":
            replies.append(read_field(buffer, op.signed, op.bits, op.offset))
            continue
        reply, outcome = run_write_op(buffer, op)
        replies.append(reply)
        if outcome is not None and (grew or outcome):  # None: OVERFLOW FAIL refused it
            changed = True
    if grew or changed:
        _store(session, key, buffer, stored, changed)
    elif not stored:
        session.db.unshare_string(key)
    return replies


@command(
    "bitfield",
    -2,
    "write denyoom",
    keys=(1, 1, 1),
    since="3.2.0",
    summary="Performs arbitrary bitfield integer operations on strings.",
    complexity="O(1) for each subcommand specified",
    key_specs=[
        {
            "notes": "This command allows both access and modification of the key",
            **key_spec("RW ACCESS UPDATE VARIABLE_FLAGS"),
        }
    ],
    arguments=[
        key_arg(),
        oneof(
            "operation",
            block("get-block", *BITFIELD_OPERAND, token="GET"),
            block(
                "write",
                oneof(
                    "overflow-block",
                    token("wrap", "WRAP"),
                    token("sat", "SAT"),
                    token("fail", "FAIL"),
                    token="OVERFLOW",
                    optional=True,
                ),
                oneof(
                    "write-operation",
                    block("set-block", *BITFIELD_OPERAND, integer("value"), token="SET"),
                    block("incrby-block", *BITFIELD_OPERAND, integer("increment"), token="INCRBY"),
                ),
            ),
            optional=True,
            multiple=True,
        ),
    ],
)
def bitfield(session: Session, argv: list[bytes]) -> Any:
    return _bitfield(session, argv, read_only=False)


@command(
    "bitfield_ro",
    -2,
    "readonly fast",
    keys=(1, 1, 1),
    since="6.0.0",
    summary="Performs arbitrary read-only bitfield integer operations on strings.",
    complexity="O(1) for each subcommand specified",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        block(
            "get-block",
            *BITFIELD_OPERAND,
            token="GET",
            optional=True,
            multiple=True,
            multiple_token=True,
        ),
    ],
)
def bitfield_ro(session: Session, argv: list[bytes]) -> Any:
    return _bitfield(session, argv, read_only=True)
