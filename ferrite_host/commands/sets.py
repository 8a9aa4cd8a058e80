"""Set commands: SADD, SINTER, SPOP and the rest of Redis's set family.

Sets are `SetValue`s (a Python set of member bytes). Replies that Redis sends as sets are
`SetReply`s, so RESP3 clients get `~` and RESP2 clients an array. An intset-encoded set is
answered in ascending integer order, as Redis's sorted intset is.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import KEY_SCAN_ARGUMENTS, arg, key_arg
from ferrite_host.commands.scanning import hash_scan, parse_scan
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Database, SetValue
from ferrite_host.keyspace.events import SET
from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.protocol.replies import SetReply
from ferrite_host.strconv import LLONG_MAX, parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("set")
command = family.command


def keynum_spec(flags: str, index: int = 1) -> dict[str, Any]:
    """A key spec for `numkeys key [key ...]` arguments, numkeys at `index`."""
    return {
        "flags": flags.split(),
        "begin_search": {"type": "index", "spec": {"index": index}},
        "find_keys": {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}},
    }


#: Members per SREM when an SPOP is propagated as removals (Redis batches 1024).
_SPOP_BATCH = 1024


# -- reading sets ------------------------------------------------------------------------


def get_set(db: Database, key: bytes, counted: bool = True) -> SetValue | None:
    """The set at `key`, None when missing; WRONGTYPE for any other type."""
    value = db.read(key) if counted else db.get(key)
    if value is None or type(value) is SetValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def ordered(members: Iterable[bytes], limits: EncodingLimits) -> list[bytes]:
    """Members in the order Redis answers them: ascending integers for what Redis would
    keep as an intset, the table's order otherwise."""
    found = list(members)
    if len(found) > limits.set_max_intset_entries:
        return found
    numbers = [parse_int(member) for member in found]
    if any(number is None for number in numbers):
        return found
    return [member for _number, member in sorted(zip(numbers, found, strict=False))]


def set_members(value: SetValue, limits: EncodingLimits) -> list[bytes]:
    if value.hashtable:
        return list(value)
    return ordered(value, limits)


def _remove_members(db: Database, key: bytes, value: SetValue, event: str) -> None:
    """Announce removals from the set at `key`; an emptied set is deleted, as in Redis."""
    db.changed(key, event, SET)
    if not value:
        db.delete(key)


# -- adding and removing -----------------------------------------------------------------


@command(
    "sadd",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary="Add one or more members to a set",
    complexity=(
        "O(1) for each element added, so O(N) to add N elements when the command is called with "
        "multiple arguments."
    ),
    key_specs=[key_spec("RW INSERT")],
    arguments=[
        key_arg(),
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
)
def sadd(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    key = argv[1]
    value = get_set(db, key, counted=False)
    created = value is None
    if value is None:
        value = SetValue()
    before = len(value)
    value.update(argv[2:])
    added = len(value) - before
    value.note_added(argv[2:], db.limits)
    if created:
        db.set(key, value, event="sadd", cls=SET)
    elif added:
        db.changed(key, "sadd", SET)
    return added


@command(
    "srem",
    -3,
    "write fast",
    keys=(1, 1, 1),
    summary="Remove one or more members from a set",
    complexity="O(N) where N is the number of members to be removed.",
    key_specs=[key_spec("RW DELETE")],
    arguments=[
        key_arg(),
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
)
def srem(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    value = get_set(db, argv[1], counted=False)
    if value is None:
        return 0
    removed = 0
    for member in argv[2:]:
        if member in value:
            value.discard(member)
            removed += 1
    if removed:
        _remove_members(db, argv[1], value, "srem")
    return removed


@command(
    "smove",
    4,
    "write fast",
    keys=(1, 2, 1),
    summary="Move a member from one set to another",
    key_specs=[key_spec("RW ACCESS DELETE"), key_spec("RW INSERT", index=2)],
    arguments=[
        {"name": "source", "type": "key", "key_spec_index": 0},
        {"name": "destination", "type": "key", "key_spec_index": 1},
        arg("member"),
    ],
)
def smove(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    source_key, target_key, member = argv[1], argv[2], argv[3]
    if db.get(source_key) is None:
        return 0  # before any type check, as in Redis
    source = get_set(db, source_key, counted=False)
    target = get_set(db, target_key, counted=False)
    assert source is not None
    if source is target:
        return 1 if member in source else 0
    if member not in source:
        return 0
    source.discard(member)
    _remove_members(db, source_key, source, "srem")
    if target is None:
        target = SetValue([member])
        target.note_added([member], db.limits)
        db.set(target_key, target, event="sadd", cls=SET)
    elif member not in target:
        target.add(member)
        target.note_added([member], db.limits)
        db.changed(target_key, "sadd", SET)
    return 1


@command(
    "spop",
    -2,
    "write fast",
    keys=(1, 1, 1),
    summary="Remove and return one or multiple random members from a set",
    complexity=(
        "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."
    ),
    key_specs=[key_spec("RW ACCESS DELETE")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        {"name": "count", "type": "integer", "since": "3.2.0", "flags": ["optional"]},
    ],
)
def spop(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    db = session.db
    key = argv[1]
    if len(argv) == 2:
        value = get_set(db, key, counted=False)
        if value is None:
            return None
        member = value.random_member(remove=True)
        session.replace_propagation([b"SREM", key, member])
        _remove_members(db, key, value, "spop")
        return member
    count = parse_int(argv[2])
    if count is None or count < 0:
        raise CommandError("ERR value is out of range, must be positive")
    value = get_set(db, key, counted=False)
    if value is None or count == 0:
        return SetReply()
    if count >= len(value):
        members = set_members(value, db.limits)
        value.clear()
        session.replace_propagation([b"DEL", key])
    else:
        members = value.random_members(count)
        value.difference_update(members)
        session.replace_propagation(
            *(
                [b"SREM", key, *members[i : i + _SPOP_BATCH]]
                for i in range(0, len(members), _SPOP_BATCH)
            )
        )
    _remove_members(db, key, value, "spop")
    return SetReply(members)


# -- reading -----------------------------------------------------------------------------


@command(
    "sismember",
    3,
    "readonly fast",
    keys=(1, 1, 1),
    summary="Determine if a given value is a member of a set",
    key_specs=[key_spec("RO")],
    arguments=[
        key_arg(),
        arg("member"),
    ],
)
def sismember(session: Session, argv: list[bytes]) -> Any:
    value = get_set(session.db, argv[1])
    return 1 if value is not None and argv[2] in value else 0


@command(
    "smismember",
    -3,
    "readonly fast",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Returns the membership associated with the given elements for a set",
    complexity="O(N) where N is the number of elements being checked for membership",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
)
def smismember(session: Session, argv: list[bytes]) -> Any:
    value = get_set(session.db, argv[1]) or SetValue()
    return [1 if member in value else 0 for member in argv[2:]]


@command(
    "scard",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    summary="Get the number of members in a set",
    key_specs=[key_spec("RO")],
    arguments=[key_arg()],
)
def scard(session: Session, argv: list[bytes]) -> Any:
    value = get_set(session.db, argv[1])
    return 0 if value is None else len(value)


@command(
    "smembers",
    2,
    "readonly",
    keys=(1, 1, 1),
    summary="Get all the members in a set",
    complexity="O(N) where N is the set cardinality.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output_order",
    arguments=[key_arg()],
)
def smembers(session: Session, argv: list[bytes]) -> Any:
    value = get_set(session.db, argv[1])
    if value is None:
        return SetReply()
    return SetReply(set_members(value, session.db.limits))


@command(
    "srandmember",
    -2,
    "readonly",
    keys=(1, 1, 1),
    summary="Get one or multiple random members from a set",
    complexity=(
        "Without the count argument O(1), otherwise O(N) where N is the absolute value of the "
        "passed count."
    ),
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        {"name": "count", "type": "integer", "since": "2.6.0", "flags": ["optional"]},
    ],
)
def srandmember(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    db = session.db
    if len(argv) == 2:
        value = get_set(db, argv[1])
        return None if value is None else value.random_member()
    count = parse_int(argv[2])
    if count is None:
        raise CommandError(errors.NOT_INTEGER)
    if count < -LLONG_MAX:
        raise CommandError(
            f"ERR value is out of range, value must between {-LLONG_MAX} and {LLONG_MAX}"
        )
    value = get_set(db, argv[1])
    if value is None or count == 0:
        return []
    if count < 0:
        pool = list(value)
        return [random.choice(pool) for _ in range(-count)]
    if count >= len(value):
        return set_members(value, db.limits)
    return value.random_members(count)


@command(
    "sscan",
    -3,
    "readonly",
    keys=(1, 1, 1),
    since="2.8.0",
    summary="Incrementally iterate Set elements",
    complexity=(
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
        "the cursor to return back to 0. N is the number of elements inside the collection.."
    ),
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=KEY_SCAN_ARGUMENTS,
)
def sscan(session: Session, argv: list[bytes]) -> Any:
    options = parse_scan(argv)
    value = get_set(session.db, argv[1])
    if value is None:
        return [b"0", []]
    if not value.hashtable:
        cursor, found = 0, set_members(value, session.db.limits)
    else:
        cursor, found = hash_scan(value, lambda: value, options.cursor, options.count)
    return [b"%d" % cursor, [member for member in found if options.matches(member)]]


# -- algebra -----------------------------------------------------------------------------


def _sets_of(db: Database, keys: list[bytes], counted: bool = True) -> list[SetValue | None]:
    """Every named set (None for missing keys); WRONGTYPE if any key holds another type."""
    return [get_set(db, key, counted) for key in keys]


def _intersection(sets: list[SetValue | None]) -> list[bytes]:
    if any(value is None for value in sets):
        return []
    present = sorted((value for value in sets if value is not None), key=len)
    smallest, others = present[0], present[1:]
    return [member for member in smallest if all(member in other for other in others)]


def _union(sets: list[SetValue | None]) -> set[bytes]:
    result: set[bytes] = set()
    for value in sets:
        if value is not None:
            result.update(value)
    return result


def _difference(sets: list[SetValue | None]) -> set[bytes]:
    first = sets[0]
    if first is None:
        return set()
    result = set(first)
    for value in sets[1:]:
        if value is not None:
            result.difference_update(value)
    return result


def _intersection_reply(db: Database, members: list[bytes], sets: list[SetValue | None]) -> Any:
    smallest = min((value for value in sets if value is not None), key=len, default=None)
    if smallest is not None and not smallest.hashtable:
        members = ordered(members, db.limits)
    return SetReply(members)


def _store(session: Session, target: bytes, members: Iterable[bytes], event: str) -> int:
    """Replace `target` with a set of `members` (deleting it when there are none)."""
    db = session.db
    value = SetValue(members)
    if not value:
        db.delete(target)
        return 0
    value.update_encoding(db.limits)
    db.set(target, value, event=event, cls=SET)
    return len(value)


@command(
    "sinter",
    -2,
    "readonly",
    keys=(1, -1, 1),
    summary="Intersect multiple sets",
    complexity=(
        "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
        "sets."
    ),
    key_specs=[key_spec("RO ACCESS", last=-1)],
    tips="nondeterministic_output_order",
    arguments=[{"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]}],
)
def sinter(session: Session, argv: list[bytes]) -> Any:
    sets = _sets_of(session.db, argv[1:])
    return _intersection_reply(session.db, _intersection(sets), sets)


@command(
    "sintercard",
    -3,
    "readonly movablekeys",
    since="7.0.0",
    summary="Intersect multiple sets and return the cardinality of the result",
    complexity=(
        "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
        "sets."
    ),
    key_specs=[keynum_spec("RO ACCESS")],
    arguments=[
        arg("numkeys", "integer"),
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "limit", "type": "integer", "token": "LIMIT", "flags": ["optional"]},
    ],
)
def sintercard(session: Session, argv: list[bytes]) -> Any:
    keys, limit = parse_card_arguments(argv, "ERR numkeys should be greater than 0")
    sets = _sets_of(session.db, keys)
    found = len(_intersection(sets))
    return min(found, limit) if limit else found


def parse_card_arguments(argv: list[bytes], numkeys_error: str) -> tuple[list[bytes], int]:
    """`numkeys key [key ...] [LIMIT limit]` (SINTERCARD, ZINTERCARD): keys and limit (0: none)."""
    numkeys = parse_int(argv[1])
    if numkeys is None or numkeys < 1:
        raise CommandError(numkeys_error)
    if numkeys > len(argv) - 2:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    keys = argv[2 : 2 + numkeys]
    limit = 0
    pos = 2 + numkeys
    while pos < len(argv):
        if argv[pos].lower() == b"limit" and pos + 1 < len(argv):
            parsed = parse_int(argv[pos + 1])
            if parsed is None or parsed < 0:
                raise CommandError("ERR LIMIT can't be negative")
            limit = parsed
            pos += 2
        else:
            raise CommandError(errors.SYNTAX)
    return keys, limit


@command(
    "sinterstore",
    -3,
    "write denyoom",
    keys=(1, -1, 1),
    summary="Intersect multiple sets and store the resulting set in a key",
    complexity=(
        "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
        "sets."
    ),
    key_specs=[key_spec("RW UPDATE"), key_spec("RO ACCESS", index=2, last=-1)],
    arguments=[
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
)
def sinterstore(session: Session, argv: list[bytes]) -> Any:
    sets = _sets_of(session.db, argv[2:], counted=False)
    return _store(session, argv[1], _intersection(sets), "sinterstore")


@command(
    "sunion",
    -2,
    "readonly",
    keys=(1, -1, 1),
    summary="Add multiple sets",
    complexity="O(N) where N is the total number of elements in all given sets.",
    key_specs=[key_spec("RO ACCESS", last=-1)],
    tips="nondeterministic_output_order",
    arguments=[{"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]}],
)
def sunion(session: Session, argv: list[bytes]) -> Any:
    return SetReply(ordered(_union(_sets_of(session.db, argv[1:])), session.db.limits))


@command(
    "sunionstore",
    -3,
    "write denyoom",
    keys=(1, -1, 1),
    summary="Add multiple sets and store the resulting set in a key",
    complexity="O(N) where N is the total number of elements in all given sets.",
    key_specs=[key_spec("OW UPDATE"), key_spec("RO ACCESS", index=2, last=-1)],
    arguments=[
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
)
def sunionstore(session: Session, argv: list[bytes]) -> Any:
    sets = _sets_of(session.db, argv[2:], counted=False)
    return _store(session, argv[1], _union(sets), "sunionstore")


@command(
    "sdiff",
    -2,
    "readonly",
    keys=(1, -1, 1),
    summary="Subtract multiple sets",
    complexity="O(N) where N is the total number of elements in all given sets.",
    key_specs=[key_spec("RO ACCESS", last=-1)],
    tips="nondeterministic_output_order",
    arguments=[{"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]}],
)
def sdiff(session: Session, argv: list[bytes]) -> Any:
    return SetReply(ordered(_difference(_sets_of(session.db, argv[1:])), session.db.limits))


@command(
    "sdiffstore",
    -3,
    "write denyoom",
    keys=(1, -1, 1),
    summary="Subtract multiple sets and store the resulting set in a key",
    complexity="O(N) where N is the total number of elements in all given sets.",
    key_specs=[key_spec("OW UPDATE"), key_spec("RO ACCESS", index=2, last=-1)],
    arguments=[
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
)
def sdiffstore(session: Session, argv: list[bytes]) -> Any:
    sets = _sets_of(session.db, argv[2:], counted=False)
    return _store(session, argv[1], _difference(sets), "sdiffstore")
