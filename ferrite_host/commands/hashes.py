"""Hash commands: HSET, HGETALL, HINCRBYFLOAT, HRANDFIELD, HSCAN and the rest of the family.

Hashes are `HashValue` dicts (insertion order is listpack order, which replies that walk a
small hash follow, as Redis's do). Every write measures the fields and values it stores
against the listpack limits (`update_encoding`), so OBJECT ENCODING converts where Redis
converts. An emptied hash is deleted right after the command's event.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import (
    FIELD,
    FIELD_VALUES,
    FIELDS,
    KEY,
    arg,
    block,
    integer,
    key_arg,
    token,
)
from ferrite_host.commands.keys import parse_cursor
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Database, HashValue, glob_match
from ferrite_host.keyspace.cursors import SCANS
from ferrite_host.keyspace.events import HASH
from ferrite_host.protocol.replies import OK
from ferrite_host.strconv import (
    LLONG_MAX,
    LLONG_MIN,
    LongDoubleOverflow,
    format_long_double,
    parse_int,
    parse_long_double,
    round_long_double,
)

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("hash")
command = family.command


def get_hash(db: Database, key: bytes, counted: bool = False) -> HashValue | None:
    """The hash at `key`, None when missing; WRONGTYPE for any other type."""
    value = db.read(key) if counted else db.get(key)
    if value is None or type(value) is HashValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def store(db: Database, key: bytes, value: HashValue, created: bool, event: str) -> None:
    """Announce a write to the hash at `key`: a new key is stored, an old one changed."""
    if created:
        db.set(key, value, event=event, cls=HASH)
    else:
        db.changed(key, event, HASH)


def _writable(db: Database, key: bytes) -> tuple[HashValue, bool]:
    """The hash to write into and whether it is new (not yet stored)."""
    value = get_hash(db, key)
    if value is None:
        return HashValue(), True
    return value, False


# -- setting fields --------------------------------------------------------------------------


def _set_pairs(session: Session, argv: list[bytes]) -> int:
    if len(argv) % 2:
        raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    db = session.db
    value, created = _writable(db, argv[1])
    before = len(value)
    pairs = argv[2:]
    for index in range(0, len(pairs), 2):
        value[pairs[index]] = pairs[index + 1]
    value.update_encoding(db.limits, pairs)
    store(db, argv[1], value, created, "hset")
    return len(value) - before


@command(
    "hset",
    -4,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Creates or modifies the value of a field in a hash.",
    complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs when "
    "the command is called with multiple field/value pairs.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=FIELD_VALUES,
)
def hset(session: Session, argv: list[bytes]) -> Any:
    return _set_pairs(session, argv)


@command(
    "hmset",
    -4,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Sets the values of multiple fields.",
    complexity="O(N) where N is the number of fields being set.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=FIELD_VALUES,
    deprecated_since="4.0.0",
    replaced_by="`HSET` with multiple field-value pairs",
)
def hmset(session: Session, argv: list[bytes]) -> Any:
    _set_pairs(session, argv)
    return OK


@command(
    "hsetnx",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Sets the value of a field in a hash only when the field doesn't exist.",
    key_specs=[key_spec("RW INSERT")],
    arguments=[key_arg(), arg("field"), arg("value")],
)
def hsetnx(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    value, created = _writable(db, argv[1])
    if argv[2] in value:
        return 0
    value[argv[2]] = argv[3]
    value.update_encoding(db.limits, argv[2:4])
    store(db, argv[1], value, created, "hset")
    return 1


@command(
    "hdel",
    -3,
    "write fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Deletes one or more fields and their values from a hash. Deletes the hash if no "
    "fields remain.",
    complexity="O(N) where N is the number of fields to be removed.",
    key_specs=[key_spec("RW DELETE")],
    arguments=FIELDS,
)
def hdel(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    value = get_hash(db, argv[1])
    if value is None:
        return 0
    removed = 0
    for field in argv[2:]:
        if value.pop(field, None) is not None:
            removed += 1
            if not value:
                break
    if removed:
        db.changed(argv[1], "hdel", HASH)
        if not value:
            db.delete(argv[1])
    return removed


# -- reading fields --------------------------------------------------------------------------


@command(
    "hget",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Returns the value of a field in a hash.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=FIELD,
)
def hget(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    return None if value is None else value.get(argv[2])


@command(
    "hmget",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Returns the values of all fields in a hash.",
    complexity="O(N) where N is the number of fields being requested.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=FIELDS,
)
def hmget(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    if value is None:
        return [None] * (len(argv) - 2)
    return [value.get(field) for field in argv[2:]]


@command(
    "hexists",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Determines whether a field exists in a hash.",
    key_specs=[key_spec("RO")],
    arguments=FIELD,
)
def hexists(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    return 1 if value is not None and argv[2] in value else 0


@command(
    "hlen",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Returns the number of fields in a hash.",
    key_specs=[key_spec("RO")],
    arguments=KEY,
)
def hlen(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    return 0 if value is None else len(value)


@command(
    "hstrlen",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    since="3.2.0",
    summary="Returns the length of the value of a field.",
    key_specs=[key_spec("RO")],
    arguments=FIELD,
)
def hstrlen(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    found = None if value is None else value.get(argv[2])
    return 0 if found is None else len(found)


@command(
    "hkeys",
    2,
    "readonly",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Returns all fields in a hash.",
    complexity="O(N) where N is the size of the hash.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output_order",
    arguments=KEY,
)
def hkeys(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    return [] if value is None else list(value)


@command(
    "hvals",
    2,
    "readonly",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Returns all values in a hash.",
    complexity="O(N) where N is the size of the hash.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output_order",
    arguments=KEY,
)
def hvals(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    return [] if value is None else list(value.values())


@command(
    "hgetall",
    2,
    "readonly",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Returns all fields and values in a hash.",
    complexity="O(N) where N is the size of the hash.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output_order",
    arguments=KEY,
)
def hgetall(session: Session, argv: list[bytes]) -> Any:
    value = get_hash(session.db, argv[1], counted=True)
    return {} if value is None else dict(value)


# -- counters --------------------------------------------------------------------------------


@command(
    "hincrby",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Increments the integer value of a field in a hash by a number. Uses 0 as initial "
    "value if the field doesn't exist.",
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[key_arg(), arg("field"), integer("increment")],
)
def hincrby(session: Session, argv: list[bytes]) -> Any:
    increment = parse_int(argv[3])
    if increment is None:
        raise CommandError(errors.NOT_INTEGER)
    db = session.db
    value, created = _writable(db, argv[1])
    stored = value.get(argv[2])
    current = 0 if stored is None else parse_int(stored)
    if current is None:
        raise CommandError("ERR hash value is not an integer")
    total = current + increment
    if not LLONG_MIN <= total <= LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    result = b"%d" % total
    value[argv[2]] = result
    value.update_encoding(db.limits, (argv[2], result))
    store(db, argv[1], value, created, "hincrby")
    return total


_NAN_OR_INF = "ERR increment would produce NaN or Infinity"


@command(
    "hincrbyfloat",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.6.0",
    summary="Increments the floating point value of a field by a number. Uses 0 as initial "
    "value if the field doesn't exist.",
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[key_arg(), arg("field"), arg("increment", "double")],
)
def hincrbyfloat(session: Session, argv: list[bytes]) -> Any:
    increment = parse_long_double(argv[3])
    if increment is None:
        raise CommandError(errors.NOT_FLOAT)
    if isinstance(increment, float):
        raise CommandError("ERR value is NaN or Infinity")
    db = session.db
    value, created = _writable(db, argv[1])
    stored = value.get(argv[2])
    current = Fraction(0) if stored is None else parse_long_double(stored)
    if current is None:
        raise CommandError("ERR hash value is not a float")
    if isinstance(current, float):
        raise CommandError(_NAN_OR_INF)
    try:
        total = round_long_double(current + increment)
    except LongDoubleOverflow:
        raise CommandError(_NAN_OR_INF) from None
    result = format_long_double(total)
    value[argv[2]] = result
    value.update_encoding(db.limits, (argv[2], result))
    store(db, argv[1], value, created, "hincrbyfloat")
    session.replace_propagation([b"HSET", argv[1], argv[2], result])
    return result


# -- sampling and scanning -------------------------------------------------------------------

#: C's LONG_MAX (64-bit), which bounds HRANDFIELD's count as Redis parses it.
_LONG_MAX = LLONG_MAX


@command(
    "hrandfield",
    -2,
    "readonly",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Returns one or more random fields from a hash.",
    complexity="O(N) where N is the number of fields returned",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        block(
            "options",
            integer("count"),
            token("withvalues", "WITHVALUES", optional=True),
            optional=True,
        ),
    ],
)
def hrandfield(session: Session, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        value = get_hash(session.db, argv[1], counted=True)
        return None if not value else random.choice(list(value))
    count = parse_int(argv[2])
    if count is None:
        raise CommandError(errors.NOT_INTEGER)
    if count == LLONG_MIN:
        raise CommandError(
            f"ERR value is out of range, value must between {-_LONG_MAX} and {_LONG_MAX}"
        )
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(errors.SYNTAX)
    with_values = len(argv) == 4
    if with_values and not -(_LONG_MAX // 2) <= count <= _LONG_MAX // 2:
        raise CommandError("ERR value is out of range")
    value = get_hash(session.db, argv[1], counted=True)
    if value is None or count == 0:
        return []
    fields = _sample(value, count)
    if not with_values:
        return fields
    if session.protocol >= 3:  # RESP3 pairs each field with its value; RESP2 is flat
        return [[field, value[field]] for field in fields]
    return [part for field in fields for part in (field, value[field])]


def _sample(value: HashValue, count: int) -> list[bytes]:
    """`count` distinct fields (all, in hash order, when count >= size), or -count with
    repetitions when negative, as HRANDFIELD picks them."""
    fields = list(value)
    if count < 0:
        return random.choices(fields, k=-count)
    if count >= len(fields):
        return fields
    chosen = set(random.sample(range(len(fields)), count))
    return [field for index, field in enumerate(fields) if index in chosen]


@command(
    "hscan",
    -3,
    "readonly",
    keys=(1, 1, 1),
    since="2.8.0",
    summary="Iterates over fields and values of a hash.",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command "
    "calls for the cursor to return back to 0. N is the number of elements inside the "
    "collection.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        integer("cursor"),
        arg("pattern", "pattern", token="MATCH", optional=True),
        integer("count", token="COUNT", optional=True),
    ],
)
def hscan(session: Session, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[2])
    value = get_hash(session.db, argv[1], counted=True)
    if value is None:
        return [b"0", []]
    count, pattern = parse_scan_options(argv, 3)
    if value.hashtable:
        next_cursor, fields = SCANS.step(value, lambda: list(value), cursor, count)
    else:
        next_cursor, fields = 0, list(value)  # a listpack answers in one go, as Redis's does
    found: list[bytes] = []
    for field in fields:
        stored = value.get(field)
        if stored is not None and (pattern is None or glob_match(pattern, field)):
            found += (field, stored)
    return [b"%d" % next_cursor, found]


def parse_scan_options(argv: list[bytes], start: int) -> tuple[int, bytes | None]:
    """COUNT and MATCH of HSCAN/SSCAN/ZSCAN (no TYPE: that is SCAN's alone)."""
    count = 10
    pattern: bytes | None = None
    pos = start
    while pos < len(argv):
        option = argv[pos].lower()
        if pos + 1 >= len(argv) or option not in (b"count", b"match"):
            raise CommandError(errors.SYNTAX)
        if option == b"count":
            parsed = parse_int(argv[pos + 1])
            if parsed is None:
                raise CommandError(errors.NOT_INTEGER)
            if parsed < 1:
                raise CommandError(errors.SYNTAX)
            count = parsed
        else:
            pattern = None if argv[pos + 1] == b"*" else argv[pos + 1]
        pos += 2
    return count, pattern
