"""SORT and SORT_RO over lists, sets and sorted sets, as Redis 7.0 sorts.

Elements sort by their own value or by the keys a BY pattern names (`weight_*`, or a hash
field `weight_*->field`); a BY pattern without `*` keeps the value's own order ("nosort").
Numeric sorting reads values with strtod (missing keys count as 0; ties fall back to the
element's bytes); ALPHA compares bytes. GET patterns (`#` is the element itself) pick what to
answer; STORE writes the answer as a list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import LIMIT, key_arg
from ferrite_host.commands.sets import set_members
from ferrite_host.commands.zset_ranges import strtod
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Database, HashValue, ListValue, SetValue, ZSetValue, is_string
from ferrite_host.keyspace.events import LIST
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("generic")
command = family.command


#: SORT_RO takes what SORT takes but STORE.
_SORT_RO_ARGUMENTS: list[dict[str, Any]] = [
    key_arg(),
    {
        "name": "pattern",
        "type": "pattern",
        "key_spec_index": 1,
        "token": "BY",
        "flags": ["optional"],
    },
    LIMIT,
    {
        "name": "pattern",
        "type": "pattern",
        "key_spec_index": 1,
        "token": "GET",
        "flags": ["optional", "multiple", "multiple_token"],
    },
    {
        "name": "order",
        "type": "oneof",
        "flags": ["optional"],
        "arguments": [
            {"name": "asc", "type": "pure-token", "token": "ASC"},
            {"name": "desc", "type": "pure-token", "token": "DESC"},
        ],
    },
    {"name": "sorting", "type": "pure-token", "token": "ALPHA", "flags": ["optional"]},
]


def _unknown_spec(flags: str, notes: str) -> dict[str, Any]:
    return {
        "notes": notes,
        "flags": flags.split(),
        "begin_search": {"type": "unknown", "spec": {}},
        "find_keys": {"type": "unknown", "spec": {}},
    }


_BY_GET_NOTE = (
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from "
    "the content of the key we sort"
)


_STORE_NOTE = (
    "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
    "anywhere in the argument array"
)


_C_SPACE = b" \t\n\v\f\r"


class SortRequest:
    __slots__ = ("alpha", "by", "desc", "gets", "limit", "offset", "store")

    def __init__(self) -> None:
        self.desc = False
        self.alpha = False
        self.offset = 0
        self.limit = -1
        self.by: bytes | None = None
        self.gets: list[bytes] = []
        self.store: bytes | None = None

    @property
    def dont_sort(self) -> bool:
        return self.by is not None and b"*" not in self.by


def _parse(argv: list[bytes], readonly: bool) -> SortRequest:
    request = SortRequest()
    pos = 2
    while pos < len(argv):
        option = argv[pos].lower()
        left = len(argv) - pos - 1
        if option == b"asc":
            request.desc = False
        elif option == b"desc":
            request.desc = True
        elif option == b"alpha":
            request.alpha = True
        elif option == b"limit" and left >= 2:
            offset, limit = parse_int(argv[pos + 1]), parse_int(argv[pos + 2])
            if offset is None or limit is None:
                raise CommandError(errors.NOT_INTEGER)
            request.offset, request.limit = offset, limit
            pos += 2
        elif option == b"store" and left >= 1 and not readonly:
            request.store = argv[pos + 1]
            pos += 1
        elif option == b"by" and left >= 1:
            request.by = argv[pos + 1]
            pos += 1
        elif option == b"get" and left >= 1:
            request.gets.append(argv[pos + 1])
            pos += 1
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    return request


def lookup_pattern(db: Database, pattern: bytes, element: bytes) -> bytes | None:
    """What a BY/GET pattern names for `element`: `#` is the element, `key*` a string key,
    `key*->field` a hash field; None when missing, of another type, or without `*`."""
    if pattern == b"#":
        return element
    star = pattern.find(b"*")
    if star < 0:
        return None
    arrow = pattern.find(b"->", star + 1)
    field: bytes | None = None
    if arrow >= 0 and arrow + 2 < len(pattern):
        field = pattern[arrow + 2 :]
        key = pattern[:star] + element + pattern[star + 1 : arrow]
    else:
        key = pattern[:star] + element + pattern[star + 1 :]
    value = db.get(key)
    if value is None:
        return None
    if field is not None:
        if not isinstance(value, HashValue):
            return None
        return value.get(field)
    return bytes(value) if is_string(value) else None  # type: ignore[arg-type]


def _numeric(raw: bytes) -> float | None:
    """A sort weight as strtod reads it (leading spaces fine, nothing may follow)."""
    if not raw:
        return 0.0
    text = raw.lstrip(_C_SPACE)
    parsed = strtod(text) if text else None
    if parsed is None or parsed[1] or parsed[0] != parsed[0]:
        return None
    return parsed[0]


def _elements(value: Any, request: SortRequest, db: Database) -> tuple[list[bytes], int, int]:
    """The elements to sort and the (start, end) output window, as Redis computes them."""
    if value is None:
        items: list[bytes] = []
    elif isinstance(value, ListValue):
        items = list(value)
    elif isinstance(value, SetValue):
        items = set_members(value, db.limits)
    else:
        items = [member for member, _score in value]
    size = len(items)
    start = max(request.offset, 0)
    end = size - 1 if request.limit < 0 else start + request.limit - 1
    if start >= size:
        start, end = size - 1, size - 2
    end = min(end, size - 1)
    return items, start, end


def _sort(db: Database, items: list[bytes], request: SortRequest) -> list[bytes]:
    by = request.by
    if request.alpha:
        if by is None:
            return sorted(items, reverse=request.desc)
        keyed = [(lookup_pattern(db, by, item), item) for item in items]
        # Missing weights sort first (before any value), as Redis's comparator has it.
        keyed.sort(key=lambda pair: (pair[0] is not None, pair[0] or b""), reverse=request.desc)
        return [item for _weight, item in keyed]
    scored: list[tuple[float, bytes]] = []
    for item in items:
        raw = item if by is None else lookup_pattern(db, by, item)
        score = 0.0 if raw is None else _numeric(raw)
        if score is None:
            raise CommandError("ERR One or more scores can't be converted into double")
        scored.append((score, item))
    scored.sort(reverse=request.desc)
    return [item for _score, item in scored]


def _sort_command(session: Session, argv: list[bytes], readonly: bool) -> Any:
    request = _parse(argv, readonly)
    db = session.db
    value = db.read(argv[1])
    if value is not None and not isinstance(value, (ListValue, SetValue, ZSetValue)):
        raise CommandError(errors.WRONGTYPE)
    if isinstance(value, ZSetValue):
        value.skiplist = True  # Redis converts a listpack zset for good before sorting it
    dont_sort = request.dont_sort
    if dont_sort and isinstance(value, SetValue) and request.store is not None:
        dont_sort, request.alpha, request.by = False, True, None  # deterministic for replicas
    items, start, end = _elements(value, request, db)
    if dont_sort:
        if request.desc and not isinstance(value, SetValue):
            items.reverse()
    else:
        items = _sort(db, items, request)
    window = items[start : end + 1] if end >= start else []
    if not request.gets:
        output: list[bytes | None] = list(window)
    else:
        output = [lookup_pattern(db, pattern, item) for item in window for pattern in request.gets]
    if request.store is None:
        return output
    if output:
        stored = ListValue(b"" if item is None else item for item in output)
        db.set(request.store, stored, event="sortstore", cls=LIST)
    else:
        db.delete(request.store)
    return len(output)


#: Options whose arguments SORT's key finder steps over (so `GET store` names no key).
_OPTION_ARGUMENTS = {b"limit": 2, b"get": 1, b"by": 1}


def sort_keys(argv: list[bytes]) -> list[tuple[int, list[str]]]:
    """The sorted key, then the last STORE's destination: Redis finds SORT's keys by walking
    the options, as no key spec can say which STORE wins."""
    found: list[tuple[int, list[str]]] = [(1, ["RO", "access"])]
    store = 0
    pos = 2
    while pos < len(argv):
        option = argv[pos].lower()
        if option in _OPTION_ARGUMENTS:
            pos += _OPTION_ARGUMENTS[option]
        elif option == b"store" and pos + 1 < len(argv):
            store = pos + 1
        pos += 1
    if store:
        found.append((store, ["OW", "update"]))
    return found


@command(
    "sort",
    -2,
    "write denyoom movablekeys",
    keys=(1, 1, 1),
    summary="Sort the elements in a list, set or sorted set",
    complexity=(
        "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
        "number of returned elements. When the elements are not sorted, complexity is O(N)."
    ),
    acl="@set @sortedset @list @dangerous -keyspace",
    key_specs=[
        key_spec("RO ACCESS"),
        _unknown_spec("RO ACCESS", _BY_GET_NOTE),
        _unknown_spec("OW UPDATE", _STORE_NOTE),
    ],
    key_finder=sort_keys,
    arguments=[
        *_SORT_RO_ARGUMENTS,
        {
            "name": "destination",
            "type": "key",
            "key_spec_index": 2,
            "token": "STORE",
            "flags": ["optional"],
        },
    ],
)
def sort(session: Session, argv: list[bytes]) -> Any:
    return _sort_command(session, argv, readonly=False)


@command(
    "sort_ro",
    -2,
    "readonly movablekeys",
    keys=(1, 1, 1),
    since="7.0.0",
    summary="Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    complexity=(
        "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
        "number of returned elements. When the elements are not sorted, complexity is O(N)."
    ),
    acl="@set @sortedset @list @dangerous -keyspace",
    key_specs=[key_spec("RO ACCESS"), _unknown_spec("RO ACCESS", _BY_GET_NOTE)],
    arguments=_SORT_RO_ARGUMENTS,
)
def sort_ro(session: Session, argv: list[bytes]) -> Any:
    return _sort_command(session, argv, readonly=True)
