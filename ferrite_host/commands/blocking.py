"""Blocking list and sorted-set pops (BLPOP, BLMOVE, BZPOPMIN...), CLIENT UNBLOCK and WAIT.

Each command first tries to finish at once with the non-blocking helpers of `lists` and
`zsets`; otherwise it parks its client in the server's `Blocking` subsystem with a `serve`
function that finishes it for one ready key later. Where blocking is not allowed (inside
EXEC, scripts, module calls) it answers as if it timed out at once, as Redis does. Served
later, a command propagates what actually ran (BLPOP as LPOP, BLMOVE as LMOVE...).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ferrite_host.blocking import NOT_READY, Blocking
from ferrite_host.commands import lists, zsets
from ferrite_host.commands.arguments import ZMPOP_ARGUMENTS
from ferrite_host.commands.connection import client
from ferrite_host.commands.sets import keynum_spec
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import ListValue, ZSetValue
from ferrite_host.protocol.replies import NULL_ARRAY
from ferrite_host.strconv import parse_int, parse_long_double

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("list")
command = family.command
_zsets = Family("sorted-set")
_generic = Family("generic")
_connection = Family("connection")

_NOT_FLOAT = "ERR timeout is not a float or out of range"
_NOT_INTEGER = "ERR timeout is not an integer or out of range"
_NEGATIVE = "ERR timeout is negative"
_INT64 = 2**63


def _checked_ms(ms: int) -> float | None:
    if ms < 0:
        raise CommandError(_NEGATIVE)
    return None if ms == 0 else ms / 1000


def parse_timeout(raw: bytes) -> float | None:
    """A timeout in (fractional) seconds: None for 0 (forever), Redis's errors otherwise.

    As Redis 7.0, the value is rounded up to whole milliseconds (so 0.0001 waits 1ms, and
    only a value rounding up to 0, such as -0.0001, waits forever); one too large for them
    wraps negative."""
    value = parse_long_double(raw)
    if value is None:
        raise CommandError(_NOT_FLOAT)
    ms = value * 1000
    if not -_INT64 <= ms < _INT64:  # also an infinite value
        raise CommandError(_NEGATIVE)
    return _checked_ms(math.ceil(ms))


def parse_timeout_ms(raw: bytes) -> float | None:
    ms = parse_int(raw)
    if ms is None:
        raise CommandError(_NOT_INTEGER)
    return _checked_ms(ms)


def _propagate_served(session: Session, argv: list[bytes]) -> None:
    """What a client served after blocking ran goes to the append-only file as itself."""
    state = session.state
    if state.propagation_sinks:
        state.propagate(session.db_index, [argv])


def _wait(
    session: Session,
    keys: list[bytes],
    timeout: float | None,
    serve: Any,
    timeout_reply: Any,
    denied_reply: Any = NULL_ARRAY,
) -> Any:
    """Park `session`, or answer at once where blocking is not allowed (Redis answers the
    moves' null bulk there, but a null array when they time out)."""
    blocking = Blocking.of(session.state)
    if not blocking.can_block(session):
        return denied_reply
    return blocking.block(session, keys, timeout, serve, timeout_reply)


# -- lists -----------------------------------------------------------------------------------


def _ready_list(session: Session, key: bytes) -> ListValue | None:
    value = session.db.get(key)
    return value if type(value) is ListValue and value else None


def _bpop(session: Session, argv: list[bytes], head: bool) -> Any:
    keys, timeout = argv[1:-1], parse_timeout(argv[-1])
    name = b"LPOP" if head else b"RPOP"
    db = session.db
    for key in keys:
        value = lists.get_list(db, key)
        if value:
            element = lists.pop(db, key, value, head, 1)[0]
            session.replace_propagation([name, key])
            return [key, element]

    def serve(key: bytes) -> Any:
        value = _ready_list(session, key)
        if value is None:
            return NOT_READY
        element = lists.pop(session.db, key, value, head, 1)[0]
        _propagate_served(session, [name, key])
        return [key, element]

    return _wait(session, keys, timeout, serve, NULL_ARRAY)


@command(
    "blpop",
    -3,
    "write noscript blocking",
    keys=(1, -2, 1),
    since="2.0.0",
    summary="Removes and returns the first element in a list. Blocks until an element is "
    "available otherwise. Deletes the list if the last element was popped.",
    complexity="O(N) where N is the number of provided keys.",
    key_specs=[key_spec("RW ACCESS DELETE", last=-2)],
    arguments=[
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
)
def blpop(session: Session, argv: list[bytes]) -> Any:
    return _bpop(session, argv, head=True)


@command(
    "brpop",
    -3,
    "write noscript blocking",
    keys=(1, -2, 1),
    since="2.0.0",
    summary="Removes and returns the last element in a list. Blocks until an element is "
    "available otherwise. Deletes the list if the last element was popped.",
    complexity="O(N) where N is the number of provided keys.",
    key_specs=[key_spec("RW ACCESS DELETE", last=-2)],
    arguments=[
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
)
def brpop(session: Session, argv: list[bytes]) -> Any:
    return _bpop(session, argv, head=False)


def _bmove(
    session: Session, source: bytes, target: bytes, from_head: bool, to_head: bool, raw: bytes
) -> Any:
    timeout = parse_timeout(raw)
    ran = [b"LMOVE", source, target, b"LEFT" if from_head else b"RIGHT"]
    ran.append(b"LEFT" if to_head else b"RIGHT")
    if not from_head and to_head:
        ran = [b"RPOPLPUSH", source, target]
    db = session.db
    value = lists.get_list(db, source)
    if value:
        session.replace_propagation(ran)
        return lists.move(db, source, value, target, from_head, to_head)

    def serve(key: bytes) -> Any:
        value = _ready_list(session, key)
        if value is None:
            return NOT_READY
        element = lists.move(session.db, source, value, target, from_head, to_head)
        _propagate_served(session, ran)
        return element

    return _wait(session, [source], timeout, serve, NULL_ARRAY, None)


@command(
    "blmove",
    6,
    "write denyoom noscript blocking",
    keys=(1, 2, 1),
    since="6.2.0",
    summary="Pops an element from a list, pushes it to another list and returns it. Blocks "
    "until an element is available otherwise. Deletes the list if the last element was moved.",
    key_specs=[key_spec("RW ACCESS DELETE"), key_spec("RW INSERT", index=2)],
    arguments=[
        {"name": "source", "type": "key", "key_spec_index": 0},
        {"name": "destination", "type": "key", "key_spec_index": 1},
        {
            "name": "wherefrom",
            "type": "oneof",
            "arguments": [
                {"name": "left", "type": "pure-token", "token": "LEFT"},
                {"name": "right", "type": "pure-token", "token": "RIGHT"},
            ],
        },
        {
            "name": "whereto",
            "type": "oneof",
            "arguments": [
                {"name": "left", "type": "pure-token", "token": "LEFT"},
                {"name": "right", "type": "pure-token", "token": "RIGHT"},
            ],
        },
        {"name": "timeout", "type": "double"},
    ],
)
def blmove(session: Session, argv: list[bytes]) -> Any:
    from_head, to_head = lists.parse_side(argv[3]), lists.parse_side(argv[4])
    return _bmove(session, argv[1], argv[2], from_head, to_head, argv[5])


@command(
    "brpoplpush",
    4,
    "write denyoom noscript blocking",
    keys=(1, 2, 1),
    since="2.2.0",
    summary="Pops an element from a list, pushes it to another list and returns it. Block "
    "until an element is available otherwise. Deletes the list if the last element was popped.",
    key_specs=[key_spec("RW ACCESS DELETE"), key_spec("RW INSERT", index=2)],
    arguments=[
        {"name": "source", "type": "key", "key_spec_index": 0},
        {"name": "destination", "type": "key", "key_spec_index": 1},
        {"name": "timeout", "type": "double"},
    ],
)
def brpoplpush(session: Session, argv: list[bytes]) -> Any:
    return _bmove(session, argv[1], argv[2], False, True, argv[3])


@command(
    "blmpop",
    -5,
    "write blocking movablekeys",
    keys=(0, 0, 0),
    since="7.0.0",
    summary="Pops the first element from one of multiple lists. Blocks until an element is "
    "available otherwise. Deletes the list if the last element was popped.",
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements "
    "returned.",
    key_specs=[keynum_spec("RW ACCESS DELETE", index=2)],
    arguments=[
        {"name": "timeout", "type": "double"},
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {
            "name": "where",
            "type": "oneof",
            "arguments": [
                {"name": "left", "type": "pure-token", "token": "LEFT"},
                {"name": "right", "type": "pure-token", "token": "RIGHT"},
            ],
        },
        {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]},
    ],
)
def blmpop(session: Session, argv: list[bytes]) -> Any:
    timeout = parse_timeout(argv[1])
    keys, head, count = lists.parse_mpop(argv, 2)
    reply = lists.mpop(session, keys, head, count)
    if reply is not None:
        return reply
    name, wanted = (b"LPOP" if head else b"RPOP"), 1 if count is None else count

    def serve(key: bytes) -> Any:
        value = _ready_list(session, key)
        if value is None:
            return NOT_READY
        popped = lists.pop(session.db, key, value, head, wanted)
        _propagate_served(session, [name, key, b"%d" % len(popped)])
        return [key, popped]

    return _wait(session, keys, timeout, serve, NULL_ARRAY)


# -- sorted sets -----------------------------------------------------------------------------


def _ready_zset(session: Session, key: bytes) -> ZSetValue | None:
    value = session.db.get(key)
    return value if type(value) is ZSetValue and value else None


def _bzpop(session: Session, argv: list[bytes], highest: bool) -> Any:
    keys, timeout = argv[1:-1], parse_timeout(argv[-1])
    name = b"ZPOPMAX" if highest else b"ZPOPMIN"

    def finish(key: bytes, value: ZSetValue) -> Any:
        popped = zsets.pop_members(session.db, key, value, 1, highest)
        return [key, *zsets.scored(session, popped, True, nested=False)]

    found = zsets.first_zset(session.db, keys)
    if found is not None:
        session.replace_propagation([name, found[0]])
        return finish(*found)

    def serve(key: bytes) -> Any:
        value = _ready_zset(session, key)
        if value is None:
            return NOT_READY
        reply = finish(key, value)
        _propagate_served(session, [name, key])
        return reply

    return _wait(session, keys, timeout, serve, NULL_ARRAY)


@_zsets.command(
    "bzpopmin",
    -3,
    "write noscript blocking fast",
    keys=(1, -2, 1),
    since="5.0.0",
    summary="Removes and returns the member with the lowest score from one or more sorted "
    "sets. Blocks until a member is available otherwise. Deletes the sorted set if the last "
    "element was popped.",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    key_specs=[key_spec("RW ACCESS DELETE", last=-2)],
    arguments=[
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
)
def bzpopmin(session: Session, argv: list[bytes]) -> Any:
    return _bzpop(session, argv, highest=False)


@_zsets.command(
    "bzpopmax",
    -3,
    "write noscript blocking fast",
    keys=(1, -2, 1),
    since="5.0.0",
    summary="Removes and returns the member with the highest score from one or more sorted "
    "sets. Blocks until a member available otherwise.  Deletes the sorted set if the last "
    "element was popped.",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
    key_specs=[key_spec("RW ACCESS DELETE", last=-2)],
    arguments=[
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
)
def bzpopmax(session: Session, argv: list[bytes]) -> Any:
    return _bzpop(session, argv, highest=True)


@_zsets.command(
    "bzmpop",
    -5,
    "write blocking movablekeys",
    keys=(0, 0, 0),
    since="7.0.0",
    summary="Removes and returns a member by score from one or more sorted sets. Blocks until "
    "a member is available otherwise. Deletes the sorted set if the last element was popped.",
    complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number "
    "of elements in the sorted set, and M being the number of elements popped.",
    key_specs=[keynum_spec("RW ACCESS DELETE", index=2)],
    arguments=[
        {"name": "timeout", "type": "double"},
        *ZMPOP_ARGUMENTS,
    ],
)
def bzmpop(session: Session, argv: list[bytes]) -> Any:
    timeout = parse_timeout(argv[1])
    keys, highest, count = zsets.parse_mpop(argv, 2)
    found = zsets.first_zset(session.db, keys)
    if found is not None:
        popped = zsets.pop_members(session.db, found[0], found[1], count, highest)
        return zsets.mpop_reply(session, found[0], popped, highest, count)
    name = b"ZPOPMAX" if highest else b"ZPOPMIN"

    def serve(key: bytes) -> Any:
        value = _ready_zset(session, key)
        if value is None:
            return NOT_READY
        popped = zsets.pop_members(session.db, key, value, count, highest)
        _propagate_served(session, [name, key, b"%d" % count])
        return [key, zsets.scored(session, popped, True, nested=True)]

    return _wait(session, keys, timeout, serve, NULL_ARRAY)


# -- CLIENT UNBLOCK and WAIT -----------------------------------------------------------------


@_connection.command(
    "unblock",
    -3,
    "admin noscript loading stale",
    parent=client,
    summary="Unblocks a client blocked by a blocking command from a different connection.",
    since="5.0.0",
    complexity="O(log N) where N is the number of client connections",
    arguments=[
        {"name": "client-id", "type": "integer"},
        {
            "name": "timeout_error",
            "type": "oneof",
            "flags": ["optional"],
            "arguments": [
                {"name": "timeout", "type": "pure-token", "token": "TIMEOUT"},
                {"name": "error", "type": "pure-token", "token": "ERROR"},
            ],
        },
    ],
)
def client_unblock(session: Session, argv: list[bytes]) -> Any:
    client_id = parse_int(argv[2])
    if client_id is None:
        raise CommandError(errors.NOT_INTEGER)
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason not in (b"timeout", b"error"):
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        error = reason == b"error"
    elif len(argv) > 4:
        raise CommandError(errors.SYNTAX)
    other = session.state.clients.get(client_id)
    if other is None:
        return 0
    return int(Blocking.of(session.state).unblock(other, error))


@_generic.command(
    "wait",
    3,
    "noscript",
    since="3.0.0",
    summary="Blocks until the asynchronous replication of all preceding write commands sent "
    "by the connection is completed.",
    acl="connection -keyspace",
    tips="request_policy:all_shards response_policy:agg_min",
    arguments=[{"name": "numreplicas", "type": "integer"}, {"name": "timeout", "type": "integer"}],
)
def wait(session: Session, argv: list[bytes]) -> Any:
    """No replicas exist: 0 at once when none is asked for, else 0 after the timeout."""
    wanted = parse_int(argv[1])
    if wanted is None:
        raise CommandError(errors.NOT_INTEGER)
    timeout = parse_timeout_ms(argv[2])
    if wanted <= 0:
        return 0
    return _wait(session, [], timeout, None, 0, 0)


family.specs.extend(_zsets.specs + _generic.specs)
