"""List commands: LPUSH, LRANGE, LMOVE and the rest of Redis 7.0's list family.

Lists are `ListValue` deques. An emptied list is deleted right after the event of the
command that emptied it (Redis's "lpop" then "del"). The pop and move helpers take the list
and the database rather than argv, so the blocking variants (BLPOP, BLMOVE, BLMPOP) can serve
a woken client with the same code.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import (
    ELEMENTS,
    KEY,
    MOVE_KEYS,
    POP,
    arg,
    integer,
    key_arg,
    oneof,
    side,
    token,
)
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Database, ListValue
from ferrite_host.keyspace.events import LIST
from ferrite_host.protocol.replies import NULL_ARRAY, OK
from ferrite_host.strconv import LLONG_MIN, parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("list")
command = family.command


def _lmpop_keys() -> dict[str, Any]:
    return {
        "flags": ["RW", "ACCESS", "DELETE"],
        "begin_search": {"type": "index", "spec": {"index": 1}},
        "find_keys": {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}},
    }


def _two_keys(first: str, second: str) -> list[dict[str, Any]]:
    return [key_spec(first), key_spec(second, index=2)]


_POSITIVE = "ERR value is out of range, must be positive"


# -- reading and parsing ---------------------------------------------------------------------


def get_list(db: Database, key: bytes, counted: bool = False) -> ListValue | None:
    """The list at `key`, None when missing; WRONGTYPE for any other type."""
    value = db.read(key) if counted else db.get(key)
    if value is None or type(value) is ListValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def _int(raw: bytes) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


def parse_side(raw: bytes) -> bool:
    """LEFT/RIGHT (any case) as True for the head; anything else is a syntax error."""
    side = raw.lower()
    if side == b"left":
        return True
    if side == b"right":
        return False
    raise CommandError(errors.SYNTAX)


def _clamp_range(start: int, end: int, length: int) -> tuple[int, int] | None:
    """Redis's index normalisation for LRANGE/LTRIM: None for an empty range."""
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    if start > end or start >= length:
        return None
    return start, min(end, length - 1)


# -- the shared push / pop / move steps ------------------------------------------------------


def push(db: Database, key: bytes, elements: list[bytes], head: bool) -> int:
    """Push onto the list at `key` (creating it), emitting one lpush/rpush; the new length."""
    event = "lpush" if head else "rpush"
    value = get_list(db, key)
    if value is None:
        value = ListValue()
        _extend(value, elements, head)
        db.set(key, value, event=event, cls=LIST)
    else:
        _extend(value, elements, head)
        db.changed(key, event, LIST)
    return len(value)


def _extend(value: ListValue, elements: list[bytes], head: bool) -> None:
    if head:
        value.extendleft(elements)
    else:
        value.extend(elements)


def pop(db: Database, key: bytes, value: ListValue, head: bool, count: int) -> list[bytes]:
    """Pop up to `count` elements of a non-empty list; lpop/rpop, then del if it emptied."""
    take = value.popleft if head else value.pop
    popped = [take() for _ in range(min(count, len(value)))]
    db.changed(key, "lpop" if head else "rpop", LIST)
    if not value:
        db.delete(key)
    return popped


def move(
    db: Database, source: bytes, value: ListValue, target: bytes, from_head: bool, to_head: bool
) -> bytes:
    """LMOVE's step on a non-empty source, in Redis's event order.

    The destination is type-checked before anything moves; its push event comes first, then
    the source's pop event, then the source's del if it emptied.
    """
    destination = get_list(db, target)
    element = value.popleft() if from_head else value.pop()
    if destination is value and not value:
        value.append(element)  # a one-element rotation: the key never empties
        db.changed(target, "lpush" if to_head else "rpush", LIST)
    else:
        push(db, target, [element], to_head)
    db.changed(source, "lpop" if from_head else "rpop", LIST)
    if not value:
        db.delete(source)
    return element


# -- pushing ---------------------------------------------------------------------------------


def _push_command(session: Session, argv: list[bytes], head: bool, existing_only: bool) -> int:
    db = session.db
    if existing_only and get_list(db, argv[1]) is None:
        return 0
    return push(db, argv[1], argv[2:], head)


@command(
    "lpush",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary="Prepends one or more elements to a list. Creates the key if it doesn't exist.",
    complexity=(
        "O(1) for each element added, so O(N) to add N elements when the command is called "
        "with multiple arguments."
    ),
    key_specs=[key_spec("RW INSERT")],
    arguments=ELEMENTS,
)
def lpush(session: Session, argv: list[bytes]) -> Any:
    return _push_command(session, argv, head=True, existing_only=False)


@command(
    "rpush",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    summary="Appends one or more elements to a list. Creates the key if it doesn't exist.",
    complexity=(
        "O(1) for each element added, so O(N) to add N elements when the command is called "
        "with multiple arguments."
    ),
    key_specs=[key_spec("RW INSERT")],
    arguments=ELEMENTS,
)
def rpush(session: Session, argv: list[bytes]) -> Any:
    return _push_command(session, argv, head=False, existing_only=False)


@command(
    "lpushx",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.2.0",
    summary="Prepends one or more elements to a list only when the list exists.",
    complexity=(
        "O(1) for each element added, so O(N) to add N elements when the command is called "
        "with multiple arguments."
    ),
    key_specs=[key_spec("RW INSERT")],
    arguments=ELEMENTS,
)
def lpushx(session: Session, argv: list[bytes]) -> Any:
    return _push_command(session, argv, head=True, existing_only=True)


@command(
    "rpushx",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.2.0",
    summary="Appends an element to a list only when the list exists.",
    complexity=(
        "O(1) for each element added, so O(N) to add N elements when the command is called "
        "with multiple arguments."
    ),
    key_specs=[key_spec("RW INSERT")],
    arguments=ELEMENTS,
)
def rpushx(session: Session, argv: list[bytes]) -> Any:
    return _push_command(session, argv, head=False, existing_only=True)


# -- popping ---------------------------------------------------------------------------------


def _pop_command(session: Session, argv: list[bytes], head: bool) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    count: int | None = None
    if len(argv) == 3:
        count = parse_int(argv[2])
        if count is None or count < 0:
            raise CommandError(_POSITIVE)
    db = session.db
    value = get_list(db, argv[1])
    if value is None:
        return None if count is None else NULL_ARRAY
    if count is None:
        return pop(db, argv[1], value, head, 1)[0]
    if count == 0:
        return []
    return pop(db, argv[1], value, head, count)


@command(
    "lpop",
    -2,
    "write fast",
    keys=(1, 1, 1),
    summary="Returns the first elements in a list after removing it. Deletes the list if the "
    "last element was popped.",
    complexity="O(N) where N is the number of elements returned",
    key_specs=[key_spec("RW ACCESS DELETE")],
    arguments=POP,
)
def lpop(session: Session, argv: list[bytes]) -> Any:
    return _pop_command(session, argv, head=True)


@command(
    "rpop",
    -2,
    "write fast",
    keys=(1, 1, 1),
    summary="Returns and removes the last elements of a list. Deletes the list if the last "
    "element was popped.",
    complexity="O(N) where N is the number of elements returned",
    key_specs=[key_spec("RW ACCESS DELETE")],
    arguments=POP,
)
def rpop(session: Session, argv: list[bytes]) -> Any:
    return _pop_command(session, argv, head=False)


def parse_mpop(argv: list[bytes], numkeys_at: int) -> tuple[list[bytes], bool, int | None]:
    """LMPOP's (BLMPOP's) numkeys, keys, LEFT|RIGHT and COUNT, with Redis's errors."""
    numkeys = parse_int(argv[numkeys_at])
    if numkeys is None or numkeys < 1:
        raise CommandError("ERR numkeys should be greater than 0")
    side_at = numkeys_at + numkeys + 1
    if side_at >= len(argv):
        raise CommandError(errors.SYNTAX)
    head = parse_side(argv[side_at])
    count: int | None = None
    pos = side_at + 1
    while pos < len(argv):
        if count is None and argv[pos].lower() == b"count" and pos + 1 < len(argv):
            count = parse_int(argv[pos + 1])
            if count is None or count < 1:
                raise CommandError("ERR count should be greater than 0")
            pos += 2
        else:
            raise CommandError(errors.SYNTAX)
    return argv[numkeys_at + 1 : side_at], head, count


def mpop(session: Session, keys: list[bytes], head: bool, count: int | None) -> Any:
    """Pop from the first non-empty list of `keys`: [key, elements], or None when none is.

    Propagates as LPOP/RPOP key count, as Redis does.
    """
    db = session.db
    for key in keys:
        value = get_list(db, key)
        if value is None:
            continue
        popped = pop(db, key, value, head, 1 if count is None else count)
        session.replace_propagation([b"LPOP" if head else b"RPOP", key, b"%d" % len(popped)])
        return [key, popped]
    return None


@command(
    "lmpop",
    -4,
    "write movablekeys",
    keys=(0, 0, 0),
    since="7.0.0",
    summary="Returns multiple elements from a list after removing them. Deletes the list if "
    "the last element was popped.",
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements "
    "returned.",
    key_specs=[_lmpop_keys()],
    arguments=[
        integer("numkeys"),
        key_arg(multiple=True),
        side("where"),
        integer("count", token="COUNT", optional=True),
    ],
)
def lmpop(session: Session, argv: list[bytes]) -> Any:
    keys, head, count = parse_mpop(argv, 1)
    reply = mpop(session, keys, head, count)
    return NULL_ARRAY if reply is None else reply


# -- reading ---------------------------------------------------------------------------------


@command(
    "llen",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    summary="Returns the length of a list.",
    key_specs=[key_spec("RO")],
    arguments=KEY,
)
def llen(session: Session, argv: list[bytes]) -> Any:
    value = get_list(session.db, argv[1], counted=True)
    return 0 if value is None else len(value)


@command(
    "lrange",
    4,
    "readonly",
    keys=(1, 1, 1),
    summary="Returns a range of elements from a list.",
    complexity=(
        "O(S+N) where S is the distance of start offset from HEAD for small lists, from "
        "nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the "
        "specified range."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[key_arg(), integer("start"), integer("stop")],
)
def lrange(session: Session, argv: list[bytes]) -> Any:
    start, end = _int(argv[2]), _int(argv[3])
    value = get_list(session.db, argv[1], counted=True)
    if value is None:
        return []
    bounds = _clamp_range(start, end, len(value))
    if bounds is None:
        return []
    first, last = bounds
    if first == 0 and last == len(value) - 1:
        return list(value)
    if first > len(value) // 2:  # nearer the tail: walk from there
        tail = len(value) - 1 - last
        items = list(islice(reversed(value), tail, tail + last - first + 1))
        items.reverse()
        return items
    return list(islice(value, first, last + 1))


@command(
    "lindex",
    3,
    "readonly",
    keys=(1, 1, 1),
    summary="Returns an element from a list by its index.",
    complexity="O(N) where N is the number of elements to traverse to get to the element at "
    "index. This makes asking for the first or the last element of the list O(1).",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[key_arg(), integer("index")],
)
def lindex(session: Session, argv: list[bytes]) -> Any:
    value = get_list(session.db, argv[1], counted=True)
    if value is None:
        return None  # before the index is parsed, as Redis does
    index = _int(argv[2])
    if not -len(value) <= index < len(value):
        return None
    return value[index]


@command(
    "lpos",
    -3,
    "readonly",
    keys=(1, 1, 1),
    since="6.0.6",
    summary="Returns the index of matching elements in a list.",
    complexity="O(N) where N is the number of elements in the list, for the average case. When "
    "searching for elements near the head or the tail of the list, or when the MAXLEN option "
    "is provided, the command may run in constant time.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("element"),
        integer("rank", token="RANK", optional=True),
        integer("num-matches", token="COUNT", optional=True),
        integer("len", token="MAXLEN", optional=True),
    ],
)
def lpos(session: Session, argv: list[bytes]) -> Any:
    rank, count, maxlen = 1, None, 0
    pos = 3
    while pos < len(argv):
        option = argv[pos].lower()
        if pos + 1 >= len(argv) or option not in (b"rank", b"count", b"maxlen"):
            raise CommandError(errors.SYNTAX)
        raw = argv[pos + 1]
        if option == b"rank":
            rank = _int(raw)
            if rank == 0:
                raise CommandError(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list"
                )
            if rank == LLONG_MIN:
                rank = -1  # Redis 7.0 negates it with wrap-around: every match qualifies
        elif option == b"count":
            count = parse_int(raw)
            if count is None or count < 0:
                raise CommandError("ERR COUNT can't be negative")
        else:
            maxlen = parse_int(raw)  # type: ignore[assignment]
            if maxlen is None or maxlen < 0:
                raise CommandError("ERR MAXLEN can't be negative")
        pos += 2
    value = get_list(session.db, argv[1], counted=True)
    if value is None:
        return None if count is None else []
    matches = _positions(value, argv[2], rank, 1 if count is None else count, maxlen)
    if count is None:
        return matches[0] if matches else None
    return matches


def _positions(value: ListValue, element: bytes, rank: int, limit: int, maxlen: int) -> list[int]:
    """Indexes of `element`, skipping the first |rank|-1 matches (from the tail when rank
    is negative), stopping after `limit` matches (0: all) or `maxlen` comparisons (0: all)."""
    length = len(value)
    if rank == 1 and limit == 1 and not maxlen:  # the plain LPOS: deque.index runs in C
        try:
            return [value.index(element)]
        except ValueError:
            return []
    forward = rank > 0
    skip = abs(rank) - 1
    found: list[int] = []
    items = iter(value) if forward else reversed(value)
    for compared, item in enumerate(items):
        if maxlen and compared >= maxlen:
            break
        if item != element:
            continue
        if skip:
            skip -= 1
            continue
        found.append(compared if forward else length - 1 - compared)
        if limit and len(found) >= limit:
            break
    return found


# -- editing in place ------------------------------------------------------------------------


@command(
    "lset",
    4,
    "write denyoom",
    keys=(1, 1, 1),
    summary="Sets the value of an element in a list by its index.",
    complexity="O(N) where N is the length of the list. Setting either the first or the last "
    "element of the list is O(1).",
    key_specs=[key_spec("RW UPDATE")],
    arguments=[key_arg(), integer("index"), arg("element")],
)
def lset(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    value = get_list(db, argv[1])
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    index = _int(argv[2])
    if not -len(value) <= index < len(value):
        raise CommandError("ERR index out of range")
    value[index] = argv[3]
    db.changed(argv[1], "lset", LIST)
    return OK


@command(
    "linsert",
    5,
    "write denyoom",
    keys=(1, 1, 1),
    since="2.2.0",
    summary="Inserts an element before or after another element in a list.",
    complexity="O(N) where N is the number of elements to traverse before seeing the value "
    "pivot. This means that inserting somewhere on the left end on the list (head) can be "
    "considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    key_specs=[key_spec("RW INSERT")],
    arguments=[
        key_arg(),
        oneof("where", token("before", "BEFORE"), token("after", "AFTER")),
        arg("pivot"),
        arg("element"),
    ],
)
def linsert(session: Session, argv: list[bytes]) -> Any:
    where = argv[2].lower()
    if where not in (b"before", b"after"):
        raise CommandError(errors.SYNTAX)
    db = session.db
    value = get_list(db, argv[1])
    if value is None:
        return 0
    try:
        index = value.index(argv[3])
    except ValueError:
        return -1
    value.insert(index if where == b"before" else index + 1, argv[4])
    db.changed(argv[1], "linsert", LIST)
    return len(value)


@command(
    "lrem",
    4,
    "write",
    keys=(1, 1, 1),
    summary="Removes elements from a list. Deletes the list if the last element was removed.",
    complexity="O(N+M) where N is the length of the list and M is the number of elements removed.",
    key_specs=[key_spec("RW DELETE")],
    arguments=[key_arg(), integer("count"), arg("element")],
)
def lrem(session: Session, argv: list[bytes]) -> Any:
    count = _int(argv[2])
    db = session.db
    value = get_list(db, argv[1])
    if value is None:
        return 0
    removed = _remove(value, argv[3], count)
    if removed:
        db.changed(argv[1], "lrem", LIST)
        if not value:
            db.delete(argv[1])
    return removed


def _remove(value: ListValue, element: bytes, count: int) -> int:
    """Remove up to |count| occurrences (all for 0), from the tail when count < 0."""
    if 0 < abs(count) <= _FEW:
        return _remove_few(value, element, count)
    limit = abs(count)
    if count >= 0:
        kept, removed = _filter(value, element, limit)
    else:
        kept, removed = _filter(reversed(value), element, limit)
        kept.reverse()
    if removed:
        value.clear()
        value.extend(kept)
    return removed


#: Up to this many removals, deque.remove (C, stops at each match) beats a rebuild.
_FEW = 16


def _remove_few(value: ListValue, element: bytes, count: int) -> int:
    backwards = count < 0
    if backwards:
        value.reverse()
    removed = 0
    try:
        while removed < abs(count):
            value.remove(element)
            removed += 1
    except ValueError:
        pass
    if backwards:
        value.reverse()
    return removed


def _filter(items: Any, element: bytes, limit: int) -> tuple[list[bytes], int]:
    kept: list[bytes] = []
    removed = 0
    for item in items:
        if item == element and (not limit or removed < limit):
            removed += 1
        else:
            kept.append(item)
    return kept, removed


@command(
    "ltrim",
    4,
    "write",
    keys=(1, 1, 1),
    summary="Removes elements from both ends a list. Deletes the list if all elements were "
    "trimmed.",
    complexity="O(N) where N is the number of elements to be removed by the operation.",
    key_specs=[key_spec("RW DELETE")],
    arguments=[key_arg(), integer("start"), integer("stop")],
)
def ltrim(session: Session, argv: list[bytes]) -> Any:
    start, end = _int(argv[2]), _int(argv[3])
    db = session.db
    value = get_list(db, argv[1])
    if value is None:
        return OK
    bounds = _clamp_range(start, end, len(value))
    if bounds is None:
        value.clear()
    else:
        first, last = bounds
        _trim(value, first, last)
    db.changed(argv[1], "ltrim", LIST)
    if not value:
        db.delete(argv[1])
    return OK


def _trim(value: ListValue, first: int, last: int) -> None:
    """Keep value[first:last+1]: pop the few dropped ones, or rebuild from the few kept."""
    dropped = len(value) - (last - first + 1)
    if dropped <= last - first + 1:
        for _ in range(len(value) - 1 - last):
            value.pop()
        for _ in range(first):
            value.popleft()
    else:
        kept = list(islice(value, first, last + 1))
        value.clear()
        value.extend(kept)


# -- moving between lists --------------------------------------------------------------------


def _move_command(session: Session, argv: list[bytes], from_head: bool, to_head: bool) -> Any:
    db = session.db
    value = get_list(db, argv[1])
    if value is None:
        return None
    return move(db, argv[1], value, argv[2], from_head, to_head)


@command(
    "lmove",
    5,
    "write denyoom",
    keys=(1, 2, 1),
    since="6.2.0",
    summary="Returns an element after popping it from one list and pushing it to another. "
    "Deletes the list if the last element was moved.",
    key_specs=_two_keys("RW ACCESS DELETE", "RW INSERT"),
    arguments=[*MOVE_KEYS, side("wherefrom"), side("whereto")],
)
def lmove(session: Session, argv: list[bytes]) -> Any:
    from_head, to_head = parse_side(argv[3]), parse_side(argv[4])
    return _move_command(session, argv, from_head, to_head)


@command(
    "rpoplpush",
    3,
    "write denyoom",
    keys=(1, 2, 1),
    since="1.2.0",
    summary="Returns the last element of a list after removing and pushing it to another "
    "list. Deletes the list if the last element was popped.",
    key_specs=_two_keys("RW ACCESS DELETE", "RW INSERT"),
    arguments=MOVE_KEYS,
    deprecated_since="6.2.0",
    replaced_by="`LMOVE` with the `RIGHT` and `LEFT` arguments",
)
def rpoplpush(session: Session, argv: list[bytes]) -> Any:
    return _move_command(session, argv, from_head=False, to_head=True)
