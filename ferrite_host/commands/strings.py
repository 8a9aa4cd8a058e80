"""String commands: GET, SET and the rest of Redis's string family.

Strings are stored as plain `bytes`. APPEND and SETRANGE leave a `bytearray` behind, so
repeated in-place edits stay amortised O(1) as with Redis's sds strings (and OBJECT ENCODING
answers "raw" for them, as Redis does for strings it edited in place). Replies always carry
`bytes`, never a stored `bytearray`: a reply may sit in a MULTI/EXEC batch while a later
command of the same batch edits the value.
"""

from __future__ import annotations

from array import array
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import (
    KEY,
    KEYS,
    RANGE,
    arg,
    integer,
    key_arg,
    key_value_pairs,
    oneof,
    token,
)
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Value, is_string, now_ms
from ferrite_host.keyspace.events import GENERIC, STRING
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
    from ferrite_host.keyspace import Database

family = Family("string")
command = family.command


# -- reading values ----------------------------------------------------------------------


def get_string(session: Session, key: bytes, counted: bool = False) -> bytes | bytearray | None:
    """The string at `key`, None when missing; WRONGTYPE for any other type.

    `counted` lookups are reads that INFO's keyspace_hits/misses count, as Redis counts them.
    """
    value = session.db.read(key) if counted else session.db.get(key)
    if value is not None and type(value) is not bytes and type(value) is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    return value


def string_reply(value: Value | None) -> bytes | None:
    """A stored value as a bulk reply: bytes for any string, WRONGTYPE for typed values."""
    if value is None or type(value) is bytes:
        return value
    if type(value) is bytearray:
        return bytes(value)
    raise CommandError(errors.WRONGTYPE)


def _check_length(session: Session, total: int) -> None:
    """Refuse to grow a string past proto-max-bulk-len before allocating anything."""
    if total > session.state.settings.proto_max_bulk_len:
        raise CommandError(errors.STRING_TOO_LONG)


# -- expiry options ----------------------------------------------------------------------

#: unit -> (milliseconds per unit, relative to now)
_EXPIRY_UNITS = {b"ex": (1000, True), b"px": (1, True), b"exat": (1000, False), b"pxat": (1, False)}


def parse_expiry(unit: bytes, raw: bytes, command_name: str, now: int | None = None) -> int:
    """An EX/PX/EXAT/PXAT argument (unit lower-cased) as an absolute Unix time in ms."""
    amount = parse_int(raw)
    if amount is None:
        raise CommandError(errors.NOT_INTEGER)
    scale, relative = _EXPIRY_UNITS[unit]
    if amount <= 0 or amount > LLONG_MAX // scale:
        raise CommandError(f"ERR invalid expire time in '{command_name}' command")
    when = amount * scale
    if relative:
        when += now_ms() if now is None else now
        if when > LLONG_MAX:
            raise CommandError(f"ERR invalid expire time in '{command_name}' command")
    return when


class _Options:
    """What SET / GETEX options asked for; the expiry stays raw until syntax is checked."""

    __slots__ = ("amount", "condition", "get", "keep_ttl", "persist", "unit")

    def __init__(self) -> None:
        self.condition: bytes | None = None
        self.get = False
        self.keep_ttl = False
        self.persist = False
        self.unit: bytes | None = None
        self.amount = b""


def _parse_options(argv: list[bytes], for_set: bool) -> _Options:
    """SET's and GETEX's options with Redis's rules for which may combine (else syntax error)."""
    opts = _Options()
    pos = 3 if for_set else 2
    size = len(argv)
    while pos < size:
        option = argv[pos].lower()
        no_expiry = opts.unit is None
        if for_set and option in (b"nx", b"xx") and opts.condition in (None, option):
            opts.condition = option
        elif for_set and option == b"get":
            opts.get = True
        elif for_set and option == b"keepttl" and no_expiry:
            opts.keep_ttl = True
        elif not for_set and option == b"persist" and no_expiry:
            opts.persist = True
        elif (
            option in _EXPIRY_UNITS
            and opts.unit in (None, option)  # the same unit again is allowed: the last wins
            and not opts.keep_ttl
            and not opts.persist
            and pos + 1 < size
        ):
            opts.unit = option
            pos += 1
            opts.amount = argv[pos]
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    return opts


def _propagate_set_pxat(session: Session, key: bytes, value: bytes, when: int) -> None:
    session.replace_propagation([b"SET", key, value, b"PXAT", b"%d" % when])


# -- GET / SET and friends ---------------------------------------------------------------


@command(
    "get",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    summary="Returns the string value of a key.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=KEY,
)
def get(session: Session, argv: list[bytes]) -> Any:
    value = session.db.read(argv[1])
    if type(value) is bytes or value is None:
        return value
    return string_reply(value)


@command(
    "set",
    -3,
    "write denyoom",
    keys=(1, 1, 1),
    summary=(
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."
    ),
    key_specs=[key_spec("RW ACCESS UPDATE VARIABLE_FLAGS")],
    arguments=[
        key_arg(),
        arg("value"),
        oneof(
            "condition",
            token("nx", "NX", since="2.6.12"),
            token("xx", "XX", since="2.6.12"),
            optional=True,
        ),
        token("get", "GET", optional=True, since="6.2.0"),
        oneof(
            "expiration",
            integer("seconds", token="EX", since="2.6.12"),
            integer("milliseconds", token="PX", since="2.6.12"),
            arg("unix-time-seconds", "unix-time", token="EXAT", since="6.2.0"),
            arg("unix-time-milliseconds", "unix-time", token="PXAT", since="6.2.0"),
            token("keepttl", "KEEPTTL", since="6.0.0"),
            optional=True,
        ),
    ],
)
def set_(session: Session, argv: list[bytes]) -> Any:
    key, value = argv[1], argv[2]
    db = session.db
    if len(argv) == 3:
        db.set(key, value)
        return OK
    opts = _parse_options(argv, for_set=True)
    expire_at = parse_expiry(opts.unit, opts.amount, "set") if opts.unit else None
    old = string_reply(db.get(key)) if opts.get else None
    exists = old is not None if opts.get else db.get(key) is not None
    if (opts.condition == b"nx" and exists) or (opts.condition == b"xx" and not exists):
        return old
    if expire_at is not None:
        _store_with_expiry(db, key, value, expire_at)
        _propagate_set_pxat(session, key, value, expire_at)
    else:
        db.set(key, value, keep_ttl=opts.keep_ttl)
    return old if opts.get else OK


@command(
    "setnx",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary="Set the string value of a key only when the key doesn't exist.",
    key_specs=[key_spec("OW INSERT")],
    arguments=[key_arg(), arg("value")],
    deprecated_since="2.6.12",
    replaced_by="`SET` with the `NX` argument",
)
def setnx(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    if db.get(argv[1]) is not None:
        return 0
    db.set(argv[1], argv[2])
    return 1


def _store_with_expiry(db: Database, key: bytes, value: bytes, expire_at: int) -> None:
    """SET's EX/PX/EXAT/PXAT, SETEX, PSETEX: Redis announces "set", then "expire" (a time
    already past is stored too; the key expires when next looked at)."""
    db.put(key, value, expire_at, "set", STRING)
    db.changed(key, "expire", GENERIC)


def _set_with_expiry(session: Session, argv: list[bytes], unit: bytes) -> Any:
    key, value = argv[1], argv[3]
    when = parse_expiry(unit, argv[2], argv[0].decode("utf-8", "replace").lower())
    _store_with_expiry(session.db, key, value, when)
    _propagate_set_pxat(session, key, value, when)
    return OK


@command(
    "setex",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    since="2.0.0",
    summary=(
        "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."
    ),
    key_specs=[key_spec("OW UPDATE")],
    arguments=[key_arg(), integer("seconds"), arg("value")],
    deprecated_since="2.6.12",
    replaced_by="`SET` with the `EX` argument",
)
def setex(session: Session, argv: list[bytes]) -> Any:
    return _set_with_expiry(session, argv, b"ex")


@command(
    "psetex",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    since="2.6.0",
    summary=(
        "Sets both string value and expiration time in milliseconds of a key. The key is "
        "created if it doesn't exist."
    ),
    key_specs=[key_spec("OW UPDATE")],
    arguments=[key_arg(), integer("milliseconds"), arg("value")],
    deprecated_since="2.6.12",
    replaced_by="`SET` with the `PX` argument",
)
def psetex(session: Session, argv: list[bytes]) -> Any:
    return _set_with_expiry(session, argv, b"px")


@command(
    "getset",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary="Returns the previous string value of a key after setting it to a new value.",
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[key_arg(), arg("value")],
    deprecated_since="6.2.0",
    replaced_by="`SET` with the `!GET` argument",
)
def getset(session: Session, argv: list[bytes]) -> Any:
    key, value = argv[1], argv[2]
    old = string_reply(session.db.read(key))
    session.db.set(key, value)
    session.replace_propagation([b"SET", key, value])
    return old


@command(
    "getdel",
    2,
    "write fast",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Returns the string value of a key after deleting the key.",
    key_specs=[key_spec("RW ACCESS DELETE")],
    arguments=KEY,
)
def getdel(session: Session, argv: list[bytes]) -> Any:
    key = argv[1]
    value = string_reply(session.db.read(key))
    if value is not None:
        session.db.delete(key)
        session.replace_propagation([b"DEL", key])
    return value


@command(
    "getex",
    -2,
    "write fast",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Returns the string value of a key after setting its expiration time.",
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[
        key_arg(),
        oneof(
            "expiration",
            integer("seconds", token="EX"),
            integer("milliseconds", token="PX"),
            arg("unix-time-seconds", "unix-time", token="EXAT"),
            arg("unix-time-milliseconds", "unix-time", token="PXAT"),
            token("persist", "PERSIST"),
            optional=True,
        ),
    ],
)
def getex(session: Session, argv: list[bytes]) -> Any:
    opts = _parse_options(argv, for_set=False)
    key = argv[1]
    db = session.db
    stored = db.read(key)
    if stored is None:
        return None
    reply = string_reply(stored)
    if opts.unit is not None:
        now = now_ms()
        when = parse_expiry(opts.unit, opts.amount, "getex", now)
        # Only EXAT / PXAT can name a time already past; while loading it is kept as is.
        if when <= now and not session.state.keyspace.loading:
            db.delete(key)
            session.replace_propagation([b"DEL", key])
        else:
            db.set_expire(key, when)
            session.replace_propagation([b"PEXPIREAT", key, b"%d" % when])
    elif opts.persist and db.persist(key):
        session.replace_propagation([b"PERSIST", key])
    return reply


@command(
    "mget",
    -2,
    "readonly fast",
    keys=(1, -1, 1),
    summary="Atomically returns the string values of one or more keys.",
    complexity="O(N) where N is the number of keys to retrieve.",
    key_specs=[key_spec("RO ACCESS", last=-1)],
    tips="request_policy:multi_shard",
    arguments=KEYS,
)
def mget(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    replies: list[bytes | None] = []
    for key in argv[1:]:
        value = db.read(key)
        if type(value) is bytes or value is None:
            replies.append(value)
        else:
            replies.append(bytes(value) if type(value) is bytearray else None)
    return replies


def _pairs(argv: list[bytes]) -> list[tuple[bytes, bytes]]:
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    return list(zip(argv[1::2], argv[2::2], strict=True))


@command(
    "mset",
    -3,
    "write denyoom",
    keys=(1, -1, 2),
    since="1.0.1",
    summary="Atomically creates or modifies the string values of one or more keys.",
    complexity="O(N) where N is the number of keys to set.",
    key_specs=[key_spec("OW UPDATE", last=-1, step=2)],
    tips="request_policy:multi_shard response_policy:all_succeeded",
    arguments=key_value_pairs(),
)
def mset(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    for key, value in _pairs(argv):
        db.set(key, value)
    return OK


@command(
    "msetnx",
    -3,
    "write denyoom",
    keys=(1, -1, 2),
    since="1.0.1",
    summary=(
        "Atomically modifies the string values of one or more keys only when all keys don't exist."
    ),
    complexity="O(N) where N is the number of keys to set.",
    key_specs=[key_spec("OW INSERT", last=-1, step=2)],
    arguments=key_value_pairs(),
)
def msetnx(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    pairs = _pairs(argv)
    if any(db.get(key) is not None for key, _ in pairs):
        return 0
    for key, value in pairs:
        db.set(key, value)
    return 1


# -- counters ----------------------------------------------------------------------------


def _increment(session: Session, key: bytes, delta: int) -> int:
    """INCR and friends; on the benchmark's hot path, so the parse is inlined.

    Python's int() is laxer than Redis's string2ll (spaces, "+", "_", leading zeros), so a
    value only counts when it reads back identically.
    """
    db = session.db
    value = db.get(key)
    if value is None:
        current = 0
    elif not is_string(value):
        raise CommandError(errors.WRONGTYPE)
    else:
        try:
            current = int(value)  # type: ignore[arg-type]
        except ValueError:
            raise CommandError(errors.NOT_INTEGER) from None
        if b"%d" % current != value or not LLONG_MIN <= current <= LLONG_MAX:
            raise CommandError(errors.NOT_INTEGER)
    result = current + delta
    if result > LLONG_MAX or result < LLONG_MIN:
        raise CommandError(errors.OVERFLOW)
    db.set(key, b"%d" % result, keep_ttl=True, event="incrby")
    return result


def _delta(raw: bytes) -> int:
    delta = parse_int(raw)
    if delta is None:
        raise CommandError(errors.NOT_INTEGER)
    return delta


@command(
    "incr",
    2,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary=(
        "Increments the integer value of a key by one. Uses 0 as initial value if the key "
        "doesn't exist."
    ),
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=KEY,
)
def incr(session: Session, argv: list[bytes]) -> Any:
    return _increment(session, argv[1], 1)


@command(
    "decr",
    2,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary=(
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key "
        "doesn't exist."
    ),
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=KEY,
)
def decr(session: Session, argv: list[bytes]) -> Any:
    return _increment(session, argv[1], -1)


@command(
    "incrby",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary=(
        "Increments the integer value of a key by a number. Uses 0 as initial value if "
        "the key doesn't exist."
    ),
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[key_arg(), integer("increment")],
)
def incrby(session: Session, argv: list[bytes]) -> Any:
    return _increment(session, argv[1], _delta(argv[2]))


@command(
    "decrby",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary=(
        "Decrements a number from the integer value of a key. Uses 0 as initial value if "
        "the key doesn't exist."
    ),
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[key_arg(), integer("decrement")],
)
def decrby(session: Session, argv: list[bytes]) -> Any:
    delta = _delta(argv[2])
    if delta == LLONG_MIN:
        raise CommandError("ERR decrement would overflow")
    return _increment(session, argv[1], -delta)


@command(
    "incrbyfloat",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.6.0",
    summary=(
        "Increment the floating point value of a key by a number. Uses 0 as initial value "
        "if the key doesn't exist."
    ),
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[key_arg(), arg("increment", "double")],
)
def incrbyfloat(session: Session, argv: list[bytes]) -> Any:
    key = argv[1]
    stored = get_string(session, key)
    current = parse_long_double(stored) if stored is not None else Fraction(0)
    increment = parse_long_double(argv[2])
    if current is None or increment is None:
        raise CommandError(errors.NOT_FLOAT)
    if isinstance(current, float) or isinstance(increment, float):
        raise CommandError("ERR increment would produce NaN or Infinity")
    try:
        total = round_long_double(current + increment)
    except LongDoubleOverflow:
        raise CommandError("ERR increment would produce NaN or Infinity") from None
    result = format_long_double(total)
    session.db.set(key, result, keep_ttl=True, event="incrbyfloat")
    session.replace_propagation([b"SET", key, result, b"KEEPTTL"])
    return result


# -- editing strings ---------------------------------------------------------------------


@command(
    "append",
    3,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Appends a string to the value of a key. Creates the key if it doesn't exist.",
    complexity=(
        "O(1). The amortized time complexity is O(1) assuming the appended value is small and the "
        "already present value is of any size, since the dynamic string library used by Redis will "
        "double the free space available on every reallocation."
    ),
    key_specs=[key_spec("RW INSERT")],
    arguments=[key_arg(), arg("value")],
)
def append(session: Session, argv: list[bytes]) -> Any:
    key, tail = argv[1], argv[2]
    db = session.db
    value = db.get(key)
    if value is None:
        db.set(key, tail, event="append")
        return len(tail)
    if not is_string(value):
        raise CommandError(errors.WRONGTYPE)
    _check_length(session, len(value) + len(tail))  # type: ignore[arg-type]
    if type(value) is bytearray:
        value.extend(tail)
        db.changed(key, "append", STRING)
        return len(value)
    grown = bytearray(value)  # type: ignore[arg-type]
    grown += tail
    db.set(key, grown, keep_ttl=True, event="append")
    return len(grown)


@command(
    "strlen",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.2.0",
    summary="Returns the length of a string value.",
    key_specs=[key_spec("RO")],
    arguments=KEY,
)
def strlen(session: Session, argv: list[bytes]) -> Any:
    value = get_string(session, argv[1], counted=True)
    return 0 if value is None else len(value)


_RANGE_COMPLEXITY = (
    "O(N) where N is the length of the returned string. The complexity is ultimately determined "
    "by the returned length, but because creating a substring from an existing string is very "
    "cheap, it can be considered O(1) for small strings."
)


@command(
    "getrange",
    4,
    "readonly",
    keys=(1, 1, 1),
    since="2.4.0",
    summary="Returns a substring of the string stored at a key.",
    complexity=_RANGE_COMPLEXITY,
    key_specs=[key_spec("RO ACCESS")],
    arguments=RANGE,
)
def getrange(session: Session, argv: list[bytes]) -> Any:
    start, end = _delta(argv[2]), _delta(argv[3])
    value = get_string(session, argv[1], counted=True)
    if value is None:
        return b""
    size = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(size + start, 0)
    if end < 0:
        end = max(size + end, 0)
    end = min(end, size - 1)
    if start > end or size == 0:
        return b""
    return bytes(value[start : end + 1])


@command(
    "substr",
    4,
    "readonly",
    keys=(1, 1, 1),
    summary="Returns a substring from a string value.",
    complexity=_RANGE_COMPLEXITY,
    key_specs=[key_spec("RO ACCESS")],
    arguments=RANGE,
    deprecated_since="2.0.0",
    replaced_by="`GETRANGE`",
)
def substr(session: Session, argv: list[bytes]) -> Any:
    return getrange(session, argv)


@command(
    "setrange",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    since="2.2.0",
    summary=(
        "Overwrites a part of a string value with another by an offset. Creates the key "
        "if it doesn't exist."
    ),
    complexity=(
        "O(1), not counting the time taken to copy the new string in place. Usually, this string "
        "is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M "
        "being the length of the value argument."
    ),
    key_specs=[key_spec("RW UPDATE")],
    arguments=[key_arg(), integer("offset"), arg("value")],
)
def setrange(session: Session, argv: list[bytes]) -> Any:
    key, patch = argv[1], argv[3]
    offset = _delta(argv[2])
    if offset < 0:
        raise CommandError("ERR offset is out of range")
    db = session.db
    value = get_string(session, key)
    if not patch:
        return 0 if value is None else len(value)
    _check_length(session, offset + len(patch))
    if type(value) is bytearray:
        _overwrite(value, offset, patch)
        db.changed(key, "setrange", STRING)
        return len(value)
    edited = bytearray(value or b"")
    _overwrite(edited, offset, patch)
    db.set(key, edited, keep_ttl=True, event="setrange")
    return len(edited)


def _overwrite(buffer: bytearray, offset: int, patch: bytes) -> None:
    if len(buffer) < offset:
        buffer.extend(bytes(offset - len(buffer)))
    buffer[offset : offset + len(patch)] = patch


# -- LCS ---------------------------------------------------------------------------------


class _LcsOptions:
    __slots__ = ("idx", "length", "min_len", "with_len")

    def __init__(self, argv: list[bytes]) -> None:
        self.length = self.idx = self.with_len = False
        self.min_len = 0
        pos = 3
        while pos < len(argv):
            option = argv[pos].lower()
            if option == b"idx":
                self.idx = True
            elif option == b"len":
                self.length = True
            elif option == b"withmatchlen":
                self.with_len = True
            elif option == b"minmatchlen" and pos + 1 < len(argv):
                pos += 1
                self.min_len = max(_delta(argv[pos]), 0)
            else:
                raise CommandError(errors.SYNTAX)
            pos += 1
        if self.idx and self.length:
            raise CommandError("ERR If you want both the length and indexes, please just use IDX.")


def _lcs_table(a: bytes, b: bytes) -> list[array[int]]:
    """table[i][j] = length of the LCS of a[:i] and b[:j] (4 bytes a cell, as Redis)."""
    width = len(b) + 1
    table = [array("I", bytes(4 * width))]
    for char in a:
        above = table[-1]
        row = array("I", bytes(4 * width))
        for j in range(1, width):
            if char == b[j - 1]:
                row[j] = above[j - 1] + 1
            else:
                row[j] = above[j] if above[j] > row[j - 1] else row[j - 1]
        table.append(row)
    return table


@command(
    "lcs",
    -3,
    "readonly",
    keys=(1, 2, 1),
    since="7.0.0",
    summary="Finds the longest common substring.",
    complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
    key_specs=[key_spec("RO ACCESS", last=1)],
    arguments=[
        key_arg("key1"),
        key_arg("key2"),
        token("len", "LEN", optional=True),
        token("idx", "IDX", optional=True),
        integer("min-match-len", token="MINMATCHLEN", optional=True),
        token("withmatchlen", "WITHMATCHLEN", optional=True),
    ],
)
def lcs(session: Session, argv: list[bytes]) -> Any:
    first, second = session.db.read(argv[1]), session.db.read(argv[2])
    if (first is not None and not is_string(first)) or (
        second is not None and not is_string(second)
    ):
        raise CommandError("ERR The specified keys must contain string values")
    a, b = bytes(first or b""), bytes(second or b"")  # type: ignore[arg-type]
    opts = _LcsOptions(argv)
    if (len(a) + 1) * (len(b) + 1) * 4 > session.state.settings.proto_max_bulk_len:
        raise CommandError(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
        )
    table = _lcs_table(a, b)
    total = table[len(a)][len(b)]
    if opts.length:
        return total
    common, matches = _lcs_walk(a, b, table, opts)
    if opts.idx:
        return {b"matches": matches, b"len": total}
    return common


def _lcs_walk(
    a: bytes, b: bytes, table: list[array[int]], opts: _LcsOptions
) -> tuple[bytes, list[Any]]:
    """Walk the table back from the end as Redis does, so ties pick the same ranges."""
    i, j = len(a), len(b)
    out = bytearray(table[i][j])
    fill = len(out)
    matches: list[Any] = []
    a_start = a_end = b_start = b_end = -1
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            fill -= 1
            out[fill] = a[i - 1]
            if a_start < 0:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start, b_start = a_start - 1, b_start - 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            i, j = i - 1, j - 1
        else:
            if table[i - 1][j] > table[i][j - 1]:
                i -= 1
            else:
                j -= 1
            emit = a_start >= 0
        if emit:
            length = a_end - a_start + 1
            if opts.idx and length >= opts.min_len:
                match: list[Any] = [[a_start, a_end], [b_start, b_end]]
                if opts.with_len:
                    match.append(length)
                matches.append(match)
            a_start = -1
    return bytes(out), matches
