"""Sorted-set commands: ZADD, ZRANGE and the rest of Redis's sorted-set family.

Scores are replied as doubles (the encoder prints them as Redis 7.0 does, `%.17g`); with
WITHSCORES a RESP3 client gets [member, score] pairs and a RESP2 client a flat array, as
Redis answers. Range commands parse their whole argument list before looking at the key,
so a syntax error wins over WRONGTYPE exactly where it does in Redis.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import KEY_SCAN_ARGUMENTS, LIMIT, ZMPOP_ARGUMENTS, arg, key_arg
from ferrite_host.commands.scanning import hash_scan, parse_scan
from ferrite_host.commands.sets import keynum_spec
from ferrite_host.commands.zset_ranges import (
    parse_lex_range,
    parse_score_or_error,
    parse_score_range,
    rank_span,
)
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Database, SetValue, ZSetValue
from ferrite_host.keyspace.events import ZSET
from ferrite_host.keyspace.zsets import NAN, AddFlags, LexRange, ScoreRange
from ferrite_host.protocol.encoder import format_double
from ferrite_host.protocol.replies import NULL_ARRAY
from ferrite_host.strconv import LLONG_MAX, parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("sorted-set")
command = family.command


#: AGGREGATE SUM|MIN|MAX of the union and intersection commands.
_AGGREGATE: dict[str, Any] = {
    "name": "aggregate",
    "type": "oneof",
    "token": "AGGREGATE",
    "flags": ["optional"],
    "arguments": [
        {"name": "sum", "type": "pure-token", "token": "SUM"},
        {"name": "min", "type": "pure-token", "token": "MIN"},
        {"name": "max", "type": "pure-token", "token": "MAX"},
    ],
}


#: ZUNION and ZINTER: numkeys key... [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES].
_COMBINE_ARGUMENTS: list[dict[str, Any]] = [
    arg("numkeys", "integer"),
    {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
    {
        "name": "weight",
        "type": "integer",
        "token": "WEIGHTS",
        "flags": ["optional", "multiple"],
    },
    _AGGREGATE,
    {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
]


#: ZUNIONSTORE and ZINTERSTORE: destination numkeys key... [WEIGHTS ...] [AGGREGATE ...].
_COMBINE_STORE_ARGUMENTS: list[dict[str, Any]] = [
    {"name": "destination", "type": "key", "key_spec_index": 0},
    arg("numkeys", "integer"),
    {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    {
        "name": "weight",
        "type": "integer",
        "token": "WEIGHTS",
        "flags": ["optional", "multiple"],
    },
    _AGGREGATE,
]


NAN_ERROR = "ERR resulting score is not a number (NaN)"
_POSITIVE = "ERR value is out of range, must be positive"
_COUNT_RANGE = f"ERR value is out of range, value must between {-LLONG_MAX} and {LLONG_MAX}"

Pairs = list[tuple[bytes, float]]


# -- reading sorted sets -----------------------------------------------------------------


def get_zset(db: Database, key: bytes, counted: bool = True) -> ZSetValue | None:
    """The sorted set at `key`, None when missing; WRONGTYPE for any other type."""
    value = db.read(key) if counted else db.get(key)
    if value is None or type(value) is ZSetValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def scored(session: Session, pairs: Pairs, withscores: bool, nested: bool | None = None) -> Any:
    """Members, or members with scores: RESP3 pairs, RESP2 a flat array (unless `nested`
    says otherwise, as ZMPOP's always-nested reply does)."""
    if not withscores:
        return [member for member, _score in pairs]
    if nested is None:
        nested = session.protocol >= 3
    if nested:
        return [[member, score] for member, score in pairs]
    return [part for pair in pairs for part in pair]


def _int_arg(raw: bytes) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


def _after_removal(db: Database, key: bytes, value: ZSetValue, event: str) -> None:
    """Announce a removal; an emptied sorted set is deleted, as in Redis."""
    db.changed(key, event, ZSET)
    if not value:
        db.delete(key)


def store_zset(
    session: Session, target: bytes, pairs: Iterable[tuple[bytes, float]], event: str
) -> int:
    """Replace `target` with a sorted set of `pairs`; none deletes it. The member count."""
    db = session.db
    value = ZSetValue()
    for member, score in pairs:
        value.add(member, score)
    if not value:
        db.delete(target)
        return 0
    value.update_encoding(db.limits)
    db.set(target, value, event=event, cls=ZSET)
    return len(value)


# -- ZADD / ZINCRBY ----------------------------------------------------------------------


def _parse_add_flags(argv: list[bytes]) -> tuple[AddFlags, int]:
    flags = AddFlags()
    pos = 2
    while pos < len(argv):
        option = argv[pos].lower()
        if option in (b"nx", b"xx", b"gt", b"lt", b"ch", b"incr"):
            setattr(flags, option.decode(), True)
            pos += 1
        else:
            break
    return flags, pos


def zadd_member(
    value: ZSetValue, member: bytes, score: float, flags: AddFlags
) -> tuple[str, float]:
    """One ZADD step; the NaN error when an increment gives NaN, as Redis answers."""
    outcome, new_score = value.add_with(member, score, flags)
    if outcome == NAN:
        raise CommandError(NAN_ERROR)
    return outcome, new_score


def _zadd(session: Session, argv: list[bytes], flags: AddFlags, first: int) -> Any:
    elements = len(argv) - first
    if elements % 2 or not elements:
        raise CommandError(errors.SYNTAX)
    if flags.nx and flags.xx:
        raise CommandError("ERR XX and NX options at the same time are not compatible")
    if (flags.gt and flags.nx) or (flags.lt and flags.nx) or (flags.gt and flags.lt):
        raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if flags.incr and elements > 2:
        raise CommandError("ERR INCR option supports a single increment-element pair")
    scores = [parse_score_or_error(argv[pos]) for pos in range(first, len(argv), 2)]
    db = session.db
    key = argv[1]
    value = get_zset(db, key, counted=False)
    created = value is None
    if value is None:
        if flags.xx:
            return None if flags.incr else 0
        value = ZSetValue()
    added = updated = processed = 0
    score = 0.0
    try:
        for index, new_score in enumerate(scores):
            member = argv[first + 1 + index * 2]
            outcome, score = zadd_member(value, member, new_score, flags)
            if outcome == "added":
                added += 1
                value.note_added(member, db.limits)
            elif outcome == "updated":
                updated += 1
            if outcome != "nop":
                processed += 1
    finally:
        if added or updated:
            event = "zincr" if flags.incr else "zadd"
            if created:
                db.set(key, value, event=event, cls=ZSET)
            else:
                db.changed(key, event, ZSET)
    if flags.incr:
        return score if processed else None
    return added + updated if flags.ch else added


@command(
    "zadd",
    -4,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Add one or more members to a sorted set, or update its score if it already exists",
    complexity=(
        "O(log(N)) for each item added, where N is the number of elements in the sorted set."
    ),
    key_specs=[key_spec("RW UPDATE")],
    arguments=[
        key_arg(),
        {
            "name": "condition",
            "type": "oneof",
            "since": "3.0.2",
            "flags": ["optional"],
            "arguments": [
                {"name": "nx", "type": "pure-token", "token": "NX"},
                {"name": "xx", "type": "pure-token", "token": "XX"},
            ],
        },
        {
            "name": "comparison",
            "type": "oneof",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                {"name": "gt", "type": "pure-token", "token": "GT"},
                {"name": "lt", "type": "pure-token", "token": "LT"},
            ],
        },
        {
            "name": "change",
            "type": "pure-token",
            "token": "CH",
            "since": "3.0.2",
            "flags": ["optional"],
        },
        {
            "name": "increment",
            "type": "pure-token",
            "token": "INCR",
            "since": "3.0.2",
            "flags": ["optional"],
        },
        {
            "name": "score_member",
            "type": "block",
            "flags": ["multiple"],
            "arguments": [
                arg("score", "double"),
                arg("member"),
            ],
        },
    ],
)
def zadd(session: Session, argv: list[bytes]) -> Any:
    flags, first = _parse_add_flags(argv)
    return _zadd(session, argv, flags, first)


@command(
    "zincrby",
    4,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Increment the score of a member in a sorted set",
    complexity="O(log(N)) where N is the number of elements in the sorted set.",
    key_specs=[key_spec("RW ACCESS UPDATE")],
    arguments=[
        key_arg(),
        arg("increment", "integer"),
        arg("member"),
    ],
)
def zincrby(session: Session, argv: list[bytes]) -> Any:
    flags = AddFlags()
    flags.incr = True
    return _zadd(session, argv, flags, 2)


# -- removing ----------------------------------------------------------------------------


@command(
    "zrem",
    -3,
    "write fast",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Remove one or more members from a sorted set",
    complexity=(
        "O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
        "elements to be removed."
    ),
    key_specs=[key_spec("RW DELETE")],
    arguments=[
        key_arg(),
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
)
def zrem(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    value = get_zset(db, argv[1], counted=False)
    if value is None:
        return 0
    removed = sum(1 for member in argv[2:] if value.remove(member))
    if removed:
        _after_removal(db, argv[1], value, "zrem")
    return removed


def _remove_range(
    session: Session, argv: list[bytes], span_of: Callable[[ZSetValue], tuple[int, int]], event: str
) -> int:
    db = session.db
    value = get_zset(db, argv[1], counted=False)
    if value is None:
        return 0
    removed = value.remove_span(*span_of(value))
    if removed:
        _after_removal(db, argv[1], value, event)
    return removed


@command(
    "zremrangebyrank",
    4,
    "write",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Remove all members in a sorted set within the given indexes",
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements removed by the operation."
    ),
    key_specs=[key_spec("RW DELETE")],
    arguments=[
        key_arg(),
        arg("start", "integer"),
        arg("stop", "integer"),
    ],
)
def zremrangebyrank(session: Session, argv: list[bytes]) -> Any:
    start, stop = _int_arg(argv[2]), _int_arg(argv[3])
    return _remove_range(
        session, argv, lambda value: rank_span(start, stop, len(value)), "zremrangebyrank"
    )


@command(
    "zremrangebyscore",
    4,
    "write",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Remove all members in a sorted set within the given scores",
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements removed by the operation."
    ),
    key_specs=[key_spec("RW DELETE")],
    arguments=[
        key_arg(),
        arg("min", "double"),
        arg("max", "double"),
    ],
)
def zremrangebyscore(session: Session, argv: list[bytes]) -> Any:
    span = parse_score_range(argv[2], argv[3])
    return _remove_range(session, argv, lambda value: value.score_span(span), "zremrangebyscore")


@command(
    "zremrangebylex",
    4,
    "write",
    keys=(1, 1, 1),
    since="2.8.9",
    summary="Remove all members in a sorted set between the given lexicographical range",
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements removed by the operation."
    ),
    key_specs=[key_spec("RW DELETE")],
    arguments=[
        key_arg(),
        arg("min"),
        arg("max"),
    ],
)
def zremrangebylex(session: Session, argv: list[bytes]) -> Any:
    span = parse_lex_range(argv[2], argv[3])
    return _remove_range(session, argv, lambda value: value.lex_span(span), "zremrangebylex")


# -- single-member reads -----------------------------------------------------------------


@command(
    "zcard",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Get the number of members in a sorted set",
    key_specs=[key_spec("RO")],
    arguments=[key_arg()],
)
def zcard(session: Session, argv: list[bytes]) -> Any:
    value = get_zset(session.db, argv[1])
    return 0 if value is None else len(value)


@command(
    "zscore",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Get the score associated with the given member in a sorted set",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("member"),
    ],
)
def zscore(session: Session, argv: list[bytes]) -> Any:
    value = get_zset(session.db, argv[1])
    return None if value is None else value.score(argv[2])


@command(
    "zmscore",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Get the score associated with the given members in a sorted set",
    complexity="O(N) where N is the number of members being requested.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
)
def zmscore(session: Session, argv: list[bytes]) -> Any:
    value = get_zset(session.db, argv[1])
    if value is None:
        return [None] * (len(argv) - 2)
    return [value.score(member) for member in argv[2:]]


def _rank(session: Session, argv: list[bytes], reverse: bool) -> Any:
    value = get_zset(session.db, argv[1])
    if value is None:
        return None
    rank = value.rank(argv[2])
    if rank is None:
        return None
    return len(value) - 1 - rank if reverse else rank


@command(
    "zrank",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Determine the index of a member in a sorted set",
    complexity="O(log(N))",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("member"),
    ],
)
def zrank(session: Session, argv: list[bytes]) -> Any:
    return _rank(session, argv, reverse=False)


@command(
    "zrevrank",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Determine the index of a member in a sorted set, with scores ordered from high to low",
    complexity="O(log(N))",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("member"),
    ],
)
def zrevrank(session: Session, argv: list[bytes]) -> Any:
    return _rank(session, argv, reverse=True)


@command(
    "zcount",
    4,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Count the members in a sorted set with scores within the given values",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("min", "double"),
        arg("max", "double"),
    ],
)
def zcount(session: Session, argv: list[bytes]) -> Any:
    span = parse_score_range(argv[2], argv[3])
    value = get_zset(session.db, argv[1])
    if value is None:
        return 0
    lo, hi = value.score_span(span)
    return hi - lo


@command(
    "zlexcount",
    4,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.8.9",
    summary="Count the number of members in a sorted set between a given lexicographical range",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("min"),
        arg("max"),
    ],
)
def zlexcount(session: Session, argv: list[bytes]) -> Any:
    span = parse_lex_range(argv[2], argv[3])
    value = get_zset(session.db, argv[1])
    if value is None:
        return 0
    lo, hi = value.lex_span(span)
    return hi - lo


# -- ZRANGE and its older spellings ------------------------------------------------------

RANK, SCORE, LEX = "rank", "score", "lex"


class RangeRequest:
    """A parsed ZRANGE-style request: what to select, in which direction, what to answer."""

    __slots__ = ("high", "kind", "limit", "low", "offset", "reverse", "withscores")

    def __init__(self) -> None:
        self.kind: str | None = None
        self.reverse: bool | None = None
        self.withscores = False
        self.offset = 0
        self.limit = -1
        self.low = self.high = b""


def parse_range_request(
    argv: list[bytes],
    first: int,
    kind: str | None = None,
    reverse: bool | None = None,
    store: bool = False,
) -> RangeRequest:
    """`<min> <max> [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]` at argv[first]."""
    request = RangeRequest()
    request.kind, request.reverse = kind, reverse
    pos = first + 2
    while pos < len(argv):
        option = argv[pos].lower()
        left = len(argv) - pos - 1
        if option == b"withscores" and not store:
            request.withscores = True
        elif option == b"limit" and left >= 2:
            request.offset = _int_arg(argv[pos + 1])
            request.limit = _int_arg(argv[pos + 2])
            pos += 2
        elif option == b"rev" and request.reverse is None:
            request.reverse = True
        elif option == b"bylex" and request.kind is None:
            request.kind = LEX
        elif option == b"byscore" and request.kind is None:
            request.kind = SCORE
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    request.kind = request.kind or RANK
    request.reverse = bool(request.reverse)
    if request.limit != -1 and request.kind == RANK:
        raise CommandError(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    if request.withscores and request.kind == LEX:
        raise CommandError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    request.low, request.high = argv[first], argv[first + 1]
    if request.reverse and request.kind != RANK:
        request.low, request.high = request.high, request.low
    return request


def select_range(request: RangeRequest) -> Callable[[ZSetValue], Pairs]:
    """Parse the request's bounds (errors now, before any key lookup) and return the
    function that selects the pairs from a sorted set."""
    reverse = bool(request.reverse)
    if request.kind == RANK:
        start, stop = _int_arg(request.low), _int_arg(request.high)

        def by_rank(value: ZSetValue) -> Pairs:
            size = len(value)
            lo, hi = rank_span(start, stop, size)
            if reverse:
                lo, hi = size - hi, size - lo
            return value.pairs(lo, hi, reverse)

        return by_rank
    bounds: ScoreRange | LexRange = (
        parse_score_range(request.low, request.high)
        if request.kind == SCORE
        else parse_lex_range(request.low, request.high)
    )

    def span_of(value: ZSetValue) -> tuple[int, int]:
        if isinstance(bounds, ScoreRange):
            return value.score_span(bounds)
        return value.lex_span(bounds, reverse)

    offset, limit = request.offset, request.limit

    def by_span(value: ZSetValue) -> Pairs:
        if offset < 0:
            return []
        lo, hi = span_of(value)
        if reverse:
            hi -= offset
            if limit >= 0:
                lo = max(lo, hi - limit)
        else:
            lo += offset
            if limit >= 0:
                hi = min(hi, lo + limit)
        return value.pairs(lo, hi, reverse)

    return by_span


def _range_reply(session: Session, argv: list[bytes], request: RangeRequest) -> Any:
    select = select_range(request)
    value = get_zset(session.db, argv[1])
    if value is None:
        return []
    return scored(session, select(value), request.withscores)


_RANGE_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements returned."
)


@command(
    "zrange",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Return a range of members in a sorted set",
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements returned."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("start"),
        arg("stop"),
        {
            "name": "sortby",
            "type": "oneof",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                {"name": "byscore", "type": "pure-token", "token": "BYSCORE"},
                {"name": "bylex", "type": "pure-token", "token": "BYLEX"},
            ],
        },
        {
            "name": "rev",
            "type": "pure-token",
            "token": "REV",
            "since": "6.2.0",
            "flags": ["optional"],
        },
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                arg("offset", "integer"),
                arg("count", "integer"),
            ],
        },
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
)
def zrange(session: Session, argv: list[bytes]) -> Any:
    return _range_reply(session, argv, parse_range_request(argv, 2))


@command(
    "zrangestore",
    -5,
    "write denyoom",
    keys=(1, 2, 1),
    since="6.2.0",
    summary="Store a range of members from sorted set into another key",
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements stored into the destination key."
    ),
    key_specs=[key_spec("OW UPDATE"), key_spec("RO ACCESS", index=2)],
    arguments=[
        {"name": "dst", "type": "key", "key_spec_index": 0},
        {"name": "src", "type": "key", "key_spec_index": 1},
        arg("min"),
        arg("max"),
        {
            "name": "sortby",
            "type": "oneof",
            "flags": ["optional"],
            "arguments": [
                {"name": "byscore", "type": "pure-token", "token": "BYSCORE"},
                {"name": "bylex", "type": "pure-token", "token": "BYLEX"},
            ],
        },
        {"name": "rev", "type": "pure-token", "token": "REV", "flags": ["optional"]},
        LIMIT,
    ],
)
def zrangestore(session: Session, argv: list[bytes]) -> Any:
    request = parse_range_request(argv, 3, store=True)
    select = select_range(request)
    value = get_zset(session.db, argv[2])
    pairs = [] if value is None else select(value)
    return store_zset(session, argv[1], pairs, "zrangestore")


@command(
    "zrevrange",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="1.2.0",
    summary=(
        "Return a range of members in a sorted set, by index, with scores ordered from high to low"
    ),
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements returned."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("start", "integer"),
        arg("stop", "integer"),
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `REV` argument",
)
def zrevrange(session: Session, argv: list[bytes]) -> Any:
    return _range_reply(session, argv, parse_range_request(argv, 2, RANK, True))


@command(
    "zrangebyscore",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="1.0.5",
    summary="Return a range of members in a sorted set, by score",
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
        "with LIMIT), you can consider it O(log(N))."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("min", "double"),
        arg("max", "double"),
        {
            "name": "withscores",
            "type": "pure-token",
            "token": "WITHSCORES",
            "since": "2.0.0",
            "flags": ["optional"],
        },
        LIMIT,
    ],
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `BYSCORE` argument",
)
def zrangebyscore(session: Session, argv: list[bytes]) -> Any:
    return _range_reply(session, argv, parse_range_request(argv, 2, SCORE, False))


@command(
    "zrevrangebyscore",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="2.2.0",
    summary=(
        "Return a range of members in a sorted set, by score, with scores ordered from high to low"
    ),
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
        "with LIMIT), you can consider it O(log(N))."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("max", "double"),
        arg("min", "double"),
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
        LIMIT,
    ],
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `REV` and `BYSCORE` arguments",
)
def zrevrangebyscore(session: Session, argv: list[bytes]) -> Any:
    return _range_reply(session, argv, parse_range_request(argv, 2, SCORE, True))


@command(
    "zrangebylex",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="2.8.9",
    summary="Return a range of members in a sorted set, by lexicographical range",
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
        "with LIMIT), you can consider it O(log(N))."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("min"),
        arg("max"),
        LIMIT,
    ],
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `BYLEX` argument",
)
def zrangebylex(session: Session, argv: list[bytes]) -> Any:
    return _range_reply(session, argv, parse_range_request(argv, 2, LEX, False))


@command(
    "zrevrangebylex",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="2.8.9",
    summary=(
        "Return a range of members in a sorted set, by lexicographical range, ordered from higher "
        "to lower strings."
    ),
    complexity=(
        "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
        "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
        "with LIMIT), you can consider it O(log(N))."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("max"),
        arg("min"),
        LIMIT,
    ],
    deprecated_since="6.2.0",
    replaced_by="`ZRANGE` with the `REV` and `BYLEX` arguments",
)
def zrevrangebylex(session: Session, argv: list[bytes]) -> Any:
    return _range_reply(session, argv, parse_range_request(argv, 2, LEX, True))


# -- popping -----------------------------------------------------------------------------


def first_zset(db: Database, keys: Iterable[bytes]) -> tuple[bytes, ZSetValue] | None:
    """The first of `keys` holding a sorted set (WRONGTYPE stops the search, as in Redis)."""
    for key in keys:
        value = get_zset(db, key, counted=False)
        if value is not None:
            return key, value
    return None


def pop_members(db: Database, key: bytes, value: ZSetValue, count: int, highest: bool) -> Pairs:
    """Pop up to `count` members from one end with Redis's events ("zpopmin"/"zpopmax",
    then "del" when emptied). Shared with the blocking pops."""
    popped = value.pop(count, highest)
    if popped:
        _after_removal(db, key, value, "zpopmax" if highest else "zpopmin")
    return popped


def _zpop(session: Session, argv: list[bytes], highest: bool) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count: int | None = None
    if len(argv) == 3:
        count = parse_int(argv[2])
        if count is None or count < 0:
            raise CommandError(_POSITIVE)
    db = session.db
    found = first_zset(db, [argv[1]])
    if found is None or count == 0:
        return []
    popped = pop_members(db, found[0], found[1], 1 if count is None else count, highest)
    nested = session.protocol >= 3 and count is not None
    return scored(session, popped, True, nested=nested)


@command(
    "zpopmin",
    -2,
    "write fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Remove and return members with the lowest scores in a sorted set",
    complexity=(
        "O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
        "number of elements popped."
    ),
    key_specs=[key_spec("RW ACCESS DELETE")],
    arguments=[
        key_arg(),
        {"name": "count", "type": "integer", "flags": ["optional"]},
    ],
)
def zpopmin(session: Session, argv: list[bytes]) -> Any:
    return _zpop(session, argv, highest=False)


@command(
    "zpopmax",
    -2,
    "write fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Remove and return members with the highest scores in a sorted set",
    complexity=(
        "O(log(N)*M) with N being the number of elements in the sorted set, and M being the "
        "number of elements popped."
    ),
    key_specs=[key_spec("RW ACCESS DELETE")],
    arguments=[
        key_arg(),
        {"name": "count", "type": "integer", "flags": ["optional"]},
    ],
)
def zpopmax(session: Session, argv: list[bytes]) -> Any:
    return _zpop(session, argv, highest=True)


def parse_mpop(argv: list[bytes], numkeys_at: int) -> tuple[list[bytes], bool, int]:
    """`numkeys key [key ...] MIN|MAX [COUNT count]`: (keys, highest, count)."""
    numkeys = parse_int(argv[numkeys_at])
    if numkeys is None or numkeys < 1:
        raise CommandError("ERR numkeys should be greater than 0")
    where_at = numkeys_at + numkeys + 1
    if where_at >= len(argv):
        raise CommandError(errors.SYNTAX)
    where = argv[where_at].lower()
    if where not in (b"min", b"max"):
        raise CommandError(errors.SYNTAX)
    count: int | None = None
    pos = where_at + 1
    while pos < len(argv):
        if count is None and argv[pos].lower() == b"count" and pos + 1 < len(argv):
            count = parse_int(argv[pos + 1])
            if count is None or count < 1:
                raise CommandError("ERR count should be greater than 0")
            pos += 2
        else:
            raise CommandError(errors.SYNTAX)
    return argv[numkeys_at + 1 : where_at], where == b"max", count or 1


def mpop_reply(session: Session, key: bytes, popped: Pairs, highest: bool, count: int) -> Any:
    """ZMPOP's [key, [[member, score], ...]] reply; propagated as ZPOPMIN/ZPOPMAX."""
    name = b"ZPOPMAX" if highest else b"ZPOPMIN"
    session.replace_propagation([name, key, b"%d" % count])
    return [key, scored(session, popped, True, nested=True)]


@command(
    "zmpop",
    -4,
    "write movablekeys",
    since="7.0.0",
    summary="Remove and return members with scores in a sorted set",
    complexity=(
        "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of "
        "elements in the sorted set, and M being the number of elements popped."
    ),
    key_specs=[keynum_spec("RW ACCESS DELETE")],
    arguments=ZMPOP_ARGUMENTS,
)
def zmpop(session: Session, argv: list[bytes]) -> Any:
    keys, highest, count = parse_mpop(argv, 1)
    db = session.db
    found = first_zset(db, keys)
    if found is None:
        return NULL_ARRAY
    popped = pop_members(db, found[0], found[1], count, highest)
    return mpop_reply(session, found[0], popped, highest, count)


# -- random members ----------------------------------------------------------------------


@command(
    "zrandmember",
    -2,
    "readonly",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Get one or multiple random elements from a sorted set",
    complexity="O(N) where N is the number of elements returned",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        {
            "name": "options",
            "type": "block",
            "flags": ["optional"],
            "arguments": [
                arg("count", "integer"),
                {
                    "name": "withscores",
                    "type": "pure-token",
                    "token": "WITHSCORES",
                    "flags": ["optional"],
                },
            ],
        },
    ],
)
def zrandmember(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    if len(argv) == 2:
        value = get_zset(db, argv[1])
        return None if value is None or not value else value.random_pairs(1, True)[0][0]
    count = parse_int(argv[2])
    if count is None:
        raise CommandError(errors.NOT_INTEGER)
    if count < -LLONG_MAX:
        raise CommandError(_COUNT_RANGE)
    withscores = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withscores"):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 4:
        withscores = True
        if not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:
            raise CommandError("ERR value is out of range")
    value = get_zset(db, argv[1])
    if value is None or count == 0:
        return []
    pairs = value.random_pairs(abs(count), unique=count > 0)
    return scored(session, pairs, withscores)


# -- algebra: ZUNION / ZINTER / ZDIFF ----------------------------------------------------

UNION, INTER, DIFF = "union", "inter", "diff"


def _members_of(value: ZSetValue | SetValue | None) -> dict[bytes, float]:
    if value is None:
        return {}
    if isinstance(value, ZSetValue):
        return value.scores
    return dict.fromkeys(value, 1.0)


def _source(db: Database, key: bytes, counted: bool) -> dict[bytes, float]:
    value = db.read(key) if counted else db.get(key)
    if value is not None and type(value) is not ZSetValue and type(value) is not SetValue:
        raise CommandError(errors.WRONGTYPE)
    return _members_of(value)


def _aggregate(how: bytes, current: float, other: float) -> float:
    if how == b"sum":
        total = current + other
        return 0.0 if math.isnan(total) else total
    if how == b"min":
        return min(current, other)
    return max(current, other)


def _weighted(score: float, weight: float) -> float:
    value = score * weight
    return 0.0 if math.isnan(value) else value


class AlgebraRequest:
    __slots__ = ("aggregate", "limit", "sources", "weights", "withscores")

    def __init__(self) -> None:
        self.sources: list[dict[bytes, float]] = []
        self.weights: list[float] = []
        self.aggregate = b"sum"
        self.withscores = False
        self.limit = 0


def parse_algebra(
    session: Session, argv: list[bytes], numkeys_at: int, op: str, store: bool, card: bool = False
) -> AlgebraRequest:
    """`numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`.

    The keys are looked up (and type-checked) before the options are read, as in Redis.
    """
    name = argv[0].decode("utf-8", "replace").lower()
    numkeys = _int_arg(argv[numkeys_at])
    if numkeys < 1:
        raise CommandError(f"ERR at least 1 input key is needed for '{name}' command")
    if numkeys > len(argv) - numkeys_at - 1:
        raise CommandError(errors.SYNTAX)
    request = AlgebraRequest()
    pos = numkeys_at + 1
    # Store variants look their sources up as writes do: no keyspace hit/miss, as in Redis.
    request.sources = [
        _source(session.db, key, counted=not store or card) for key in argv[pos : pos + numkeys]
    ]
    request.weights = [1.0] * numkeys
    pos += numkeys
    while pos < len(argv):
        option = argv[pos].lower()
        left = len(argv) - pos
        if op != DIFF and not card and left >= numkeys + 1 and option == b"weights":
            request.weights = [
                parse_score_or_error(raw, "ERR weight value is not a float")
                for raw in argv[pos + 1 : pos + 1 + numkeys]
            ]
            pos += numkeys + 1
        elif op != DIFF and not card and left >= 2 and option == b"aggregate":
            how = argv[pos + 1].lower()
            if how not in (b"sum", b"min", b"max"):
                raise CommandError(errors.SYNTAX)
            request.aggregate = how
            pos += 2
        elif card and left >= 2 and option == b"limit":
            limit = parse_int(argv[pos + 1])
            if limit is None or limit < 0:
                raise CommandError("ERR LIMIT can't be negative")
            request.limit = limit
            pos += 2
        elif not store and not card and option == b"withscores":
            request.withscores = True
            pos += 1
        else:
            raise CommandError(errors.SYNTAX)
    return request


def combine(request: AlgebraRequest, op: str) -> dict[bytes, float]:
    """The member -> score result of the operation (Redis's processing order)."""
    sources, weights, how = request.sources, request.weights, request.aggregate
    if op == DIFF:
        first = sources[0]
        others = sources[1:]
        return {
            member: score
            for member, score in first.items()
            if not any(member in other for other in others)
        }
    ordered = sorted(zip(sources, weights, strict=False), key=lambda item: len(item[0]))
    if op == INTER:
        (smallest, weight), rest = ordered[0], ordered[1:]
        result: dict[bytes, float] = {}
        for member, score in smallest.items():
            total = _weighted(score, weight)
            for other, other_weight in rest:
                other_score = other.get(member)
                if other_score is None:
                    break
                total = _aggregate(how, total, _weighted(other_score, other_weight))
            else:
                result[member] = total
        return result
    result = {}
    for source, weight in ordered:
        for member, score in source.items():
            value = _weighted(score, weight)
            current = result.get(member)
            result[member] = value if current is None else _aggregate(how, current, value)
    return result


def _sorted_pairs(scores: dict[bytes, float]) -> Pairs:
    return [(member, score) for score, member in sorted((s, m) for m, s in scores.items())]


def _algebra(session: Session, argv: list[bytes], op: str) -> Any:
    request = parse_algebra(session, argv, 1, op, store=False)
    return scored(session, _sorted_pairs(combine(request, op)), request.withscores)


def _algebra_store(session: Session, argv: list[bytes], op: str) -> Any:
    request = parse_algebra(session, argv, 2, op, store=True)
    return store_zset(session, argv[1], combine(request, op).items(), f"z{op}store")


_UNION_COMPLEXITY = (
    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
    "the number of elements in the resulting sorted set."
)
_INTER_COMPLEXITY = (
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
    "number of input sorted sets and M being the number of elements in the resulting sorted set."
)
_DIFF_COMPLEXITY = (
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
    "is the size of the first set, and K is the size of the result set."
)


@command(
    "zunion",
    -3,
    "readonly movablekeys",
    since="6.2.0",
    summary="Add multiple sorted sets",
    complexity=(
        "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
        "the number of elements in the resulting sorted set."
    ),
    key_specs=[keynum_spec("RO ACCESS")],
    arguments=_COMBINE_ARGUMENTS,
)
def zunion(session: Session, argv: list[bytes]) -> Any:
    return _algebra(session, argv, UNION)


@command(
    "zinter",
    -3,
    "readonly movablekeys",
    since="6.2.0",
    summary="Intersect multiple sorted sets",
    complexity=(
        "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
        "number of input sorted sets and M being the number of elements in the resulting sorted "
        "set."
    ),
    key_specs=[keynum_spec("RO ACCESS")],
    arguments=_COMBINE_ARGUMENTS,
)
def zinter(session: Session, argv: list[bytes]) -> Any:
    return _algebra(session, argv, INTER)


@command(
    "zdiff",
    -3,
    "readonly movablekeys",
    since="6.2.0",
    summary="Subtract multiple sorted sets",
    complexity=(
        "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
        "is the size of the first set, and K is the size of the result set."
    ),
    key_specs=[keynum_spec("RO ACCESS")],
    arguments=[
        arg("numkeys", "integer"),
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
)
def zdiff(session: Session, argv: list[bytes]) -> Any:
    return _algebra(session, argv, DIFF)


@command(
    "zunionstore",
    -4,
    "write denyoom movablekeys",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Add multiple sorted sets and store the resulting sorted set in a new key",
    complexity=(
        "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
        "the number of elements in the resulting sorted set."
    ),
    key_specs=[key_spec("OW UPDATE"), keynum_spec("RO ACCESS", index=2)],
    arguments=_COMBINE_STORE_ARGUMENTS,
)
def zunionstore(session: Session, argv: list[bytes]) -> Any:
    return _algebra_store(session, argv, UNION)


@command(
    "zinterstore",
    -4,
    "write denyoom movablekeys",
    keys=(1, 1, 1),
    since="2.0.0",
    summary="Intersect multiple sorted sets and store the resulting sorted set in a new key",
    complexity=(
        "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
        "number of input sorted sets and M being the number of elements in the resulting sorted "
        "set."
    ),
    key_specs=[key_spec("OW UPDATE"), keynum_spec("RO ACCESS", index=2)],
    arguments=_COMBINE_STORE_ARGUMENTS,
)
def zinterstore(session: Session, argv: list[bytes]) -> Any:
    return _algebra_store(session, argv, INTER)


@command(
    "zdiffstore",
    -4,
    "write denyoom movablekeys",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Subtract multiple sorted sets and store the resulting sorted set in a new key",
    complexity=(
        "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
        "is the size of the first set, and K is the size of the result set."
    ),
    key_specs=[key_spec("OW UPDATE"), keynum_spec("RO ACCESS", index=2)],
    arguments=[
        {"name": "destination", "type": "key", "key_spec_index": 0},
        arg("numkeys", "integer"),
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
)
def zdiffstore(session: Session, argv: list[bytes]) -> Any:
    return _algebra_store(session, argv, DIFF)


@command(
    "zintercard",
    -3,
    "readonly movablekeys",
    since="7.0.0",
    summary="Intersect multiple sorted sets and return the cardinality of the result",
    complexity=(
        "O(N*K) worst case with N being the smallest input sorted set, K being the number of "
        "input sorted sets."
    ),
    key_specs=[keynum_spec("RO ACCESS")],
    arguments=[
        arg("numkeys", "integer"),
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "limit", "type": "integer", "token": "LIMIT", "flags": ["optional"]},
    ],
)
def zintercard(session: Session, argv: list[bytes]) -> Any:
    request = parse_algebra(session, argv, 1, INTER, store=True, card=True)
    found = len(combine(request, INTER))
    return min(found, request.limit) if request.limit else found


# -- ZSCAN -------------------------------------------------------------------------------


@command(
    "zscan",
    -3,
    "readonly",
    keys=(1, 1, 1),
    since="2.8.0",
    summary="Incrementally iterate sorted sets elements and associated scores",
    complexity=(
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
        "the cursor to return back to 0. N is the number of elements inside the collection.."
    ),
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=KEY_SCAN_ARGUMENTS,
)
def zscan(session: Session, argv: list[bytes]) -> Any:
    options = parse_scan(argv)
    value = get_zset(session.db, argv[1])
    if value is None:
        return [b"0", []]
    if not value.skiplist:
        cursor, pairs = 0, list(value)
    else:
        cursor, members = hash_scan(value, lambda: value.scores, options.cursor, options.count)
        pairs = [(member, value.scores[member]) for member in members]
    flat = [
        part
        for member, score in pairs
        if options.matches(member)
        for part in (member, format_double(score))
    ]
    return [b"%d" % cursor, flat]
