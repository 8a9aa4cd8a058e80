"""Key commands (Redis's "generic" group): DEL, EXISTS, SCAN, RENAME, COPY, expiry, OBJECT."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import (
    KEY,
    KEYS,
    arg,
    expire_condition,
    integer,
    key_arg,
    token,
)
from ferrite_host.commands.help import help_reply
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Aggregate, TypedValue, Value, compile_glob, now_ms, type_name
from ferrite_host.keyspace.events import GENERIC, SILENT
from ferrite_host.protocol.replies import OK, SimpleString
from ferrite_host.strconv import LLONG_MAX, LLONG_MIN, parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.keyspace import Database

family = Family("generic")
command = family.command


# -- existence and deletion --------------------------------------------------------------


def _delete_all(session: Session, argv: list[bytes]) -> int:
    db = session.db
    return sum(1 for key in argv[1:] if db.delete(key))


@command(
    "del",
    -2,
    "write",
    keys=(1, -1, 1),
    summary="Deletes one or more keys.",
    complexity=(
        "O(N) where N is the number of keys that will be removed. When a key to remove holds a "
        "value other than a string, the individual complexity for this key is O(M) where M is the "
        "number of elements in the list, set, sorted set or hash. Removing a single key that holds "
        "a string value is O(1)."
    ),
    key_specs=[key_spec("RM DELETE", last=-1)],
    tips="request_policy:multi_shard response_policy:agg_sum",
    arguments=KEYS,
)
def del_(session: Session, argv: list[bytes]) -> Any:
    return _delete_all(session, argv)


@command(
    "unlink",
    -2,
    "write fast",
    keys=(1, -1, 1),
    since="4.0.0",
    summary="Asynchronously deletes one or more keys.",
    complexity=(
        "O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
        "different thread in order to reclaim memory, where N is the number of allocations the "
        "deleted objects where composed of."
    ),
    key_specs=[key_spec("RM DELETE", last=-1)],
    tips="request_policy:multi_shard response_policy:agg_sum",
    arguments=KEYS,
)
def unlink(session: Session, argv: list[bytes]) -> Any:
    return _delete_all(session, argv)


def _count_existing(session: Session, argv: list[bytes], touch: bool) -> int:
    """Each named key that exists counts once per mention, as in Redis; TOUCH is an access
    of each, EXISTS is not."""
    db = session.db
    lookup = db.read if touch else db.read_untouched
    return sum(1 for key in argv[1:] if lookup(key) is not None)


@command(
    "exists",
    -2,
    "readonly fast",
    keys=(1, -1, 1),
    summary="Determines whether one or more keys exist.",
    complexity="O(N) where N is the number of keys to check.",
    key_specs=[key_spec("RO", last=-1)],
    tips="request_policy:multi_shard response_policy:agg_sum",
    arguments=KEYS,
)
def exists(session: Session, argv: list[bytes]) -> Any:
    return _count_existing(session, argv, touch=False)


@command(
    "touch",
    -2,
    "readonly fast",
    keys=(1, -1, 1),
    since="3.2.1",
    summary=(
        "Returns the number of existing keys out of those specified after updating the "
        "time they were last accessed."
    ),
    complexity="O(N) where N is the number of keys that will be touched.",
    key_specs=[key_spec("RO", last=-1)],
    tips="request_policy:multi_shard response_policy:agg_sum",
    arguments=KEYS,
)
def touch(session: Session, argv: list[bytes]) -> Any:
    return _count_existing(session, argv, touch=True)


@command(
    "type",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    summary="Determines the type of value stored at a key.",
    key_specs=[key_spec("RO")],
    arguments=KEY,
)
def type_(session: Session, argv: list[bytes]) -> Any:
    value = session.db.read_untouched(argv[1])
    return SimpleString("none" if value is None else type_name(value))


# -- enumerating keys --------------------------------------------------------------------


@command(
    "keys",
    2,
    "readonly",
    acl="@dangerous",
    summary="Returns all key names that match a pattern.",
    complexity=(
        "O(N) with N being the number of keys in the database, under the assumption that the key "
        "names in the database and the given pattern have limited length."
    ),
    tips="request_policy:all_shards nondeterministic_output_order",
    arguments=[arg("pattern", "pattern")],
)
def keys(session: Session, argv: list[bytes]) -> Any:
    pattern = argv[1]
    names = session.db.keys()
    if pattern == b"*":
        return list(names)
    match = compile_glob(pattern).match
    return [key for key in names if match(key)]


_CURSOR_RE = re.compile(rb"([+-]?)(\d+)")
_ULONG = 1 << 64


def parse_cursor(raw: bytes) -> int:
    """A SCAN cursor read as strtoul reads it (sign, wrap-around), refusing garbage."""
    if not raw:
        return 0
    match = _CURSOR_RE.fullmatch(raw)
    digits = match.group(2).lstrip(b"0") if match else b""
    if match is None or len(digits) > 20 or int(digits or b"0") >= _ULONG:
        raise CommandError("ERR invalid cursor")
    value = int(digits or b"0")
    return (_ULONG - value) % _ULONG if match.group(1) == b"-" else value


def _scan_filter(
    db: Database, pattern: bytes | None, type_filter: str | None
) -> Callable[[bytes], bool]:
    # As Redis: a bare `*` is no filter at all (so it also lists the empty key).
    match = None if pattern is None or pattern == b"*" else compile_glob(pattern).match

    def accept(key: bytes) -> bool:
        if match is not None and not match(key):
            return False
        if type_filter is None:
            return True
        value = db.read(key)  # Redis's TYPE filter looks each key up as a read (INFO counts it)
        return value is not None and type_name(value).lower() == type_filter

    return accept


@command(
    "scan",
    -2,
    "readonly",
    since="2.8.0",
    summary="Iterates over the key names in the database.",
    complexity=(
        "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
        "the cursor to return back to 0. N is the number of elements inside the collection."
    ),
    tips="nondeterministic_output request_policy:special",
    arguments=[
        integer("cursor"),
        arg("pattern", "pattern", token="MATCH", optional=True),
        integer("count", token="COUNT", optional=True),
        arg("type", token="TYPE", optional=True, since="6.0.0"),
    ],
)
def scan(session: Session, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[1])
    count = 10
    pattern: bytes | None = None
    type_filter: str | None = None
    pos = 2
    while pos < len(argv):
        option = argv[pos].lower()
        if pos + 1 >= len(argv) or option not in (b"count", b"match", b"type"):
            raise CommandError(errors.SYNTAX)
        value = argv[pos + 1]
        if option == b"count":
            parsed = parse_int(value)
            if parsed is None:
                raise CommandError(errors.NOT_INTEGER)
            if parsed < 1:
                raise CommandError(errors.SYNTAX)
            count = parsed
        elif option == b"match":
            pattern = None if value == b"*" else value
        else:
            type_filter = value.decode("utf-8", "replace").lower()
        pos += 2
    db = session.db
    next_cursor, found = db.scan(cursor, count, _scan_filter(db, pattern, type_filter))
    return [b"%d" % next_cursor, found]


@command(
    "randomkey",
    1,
    "readonly",
    summary="Returns a random key name from the database.",
    tips="request_policy:all_shards nondeterministic_output",
    arguments=[],
)
def randomkey(session: Session, argv: list[bytes]) -> Any:
    return session.db.random_key()


# -- renaming and copying ----------------------------------------------------------------


def _rename(session: Session, argv: list[bytes], only_new: bool) -> bool:
    """Move a key's value and TTL to a new name; False when only_new and the name is taken."""
    source, target = argv[1], argv[2]
    db = session.db
    if db.get(source) is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if source == target:
        return not only_new
    if only_new and db.get(target) is not None:
        return False
    return db.relocate(source, db, target, "rename_from", "rename_to")


@command(
    "rename",
    3,
    "write",
    keys=(1, 2, 1),
    summary="Renames a key and overwrites the destination.",
    key_specs=[key_spec("RW ACCESS DELETE"), key_spec("OW UPDATE", index=2)],
    arguments=[key_arg(), key_arg("newkey", 1)],
)
def rename(session: Session, argv: list[bytes]) -> Any:
    _rename(session, argv, only_new=False)
    return OK


@command(
    "renamenx",
    3,
    "write fast",
    keys=(1, 2, 1),
    summary="Renames a key only when the target key name doesn't exist.",
    key_specs=[key_spec("RW ACCESS DELETE"), key_spec("OW INSERT", index=2)],
    arguments=[key_arg(), key_arg("newkey", 1)],
)
def renamenx(session: Session, argv: list[bytes]) -> Any:
    return 1 if _rename(session, argv, only_new=True) else 0


def _copy_target(session: Session, argv: list[bytes]) -> tuple[Database, bool]:
    """COPY's DB and REPLACE options: (destination database, replace)."""
    target = session.db
    replace = False
    pos = 3
    while pos < len(argv):
        option = argv[pos].lower()
        if option == b"replace":
            replace = True
        elif option == b"db" and pos + 1 < len(argv):
            pos += 1
            index = parse_int(argv[pos])
            if index is None or not -(2**31) <= index < 2**31:
                raise CommandError(errors.NOT_INTEGER)
            if not 0 <= index < len(session.state.keyspace):
                raise CommandError(errors.DB_INDEX)
            target = session.state.keyspace[index]
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    return target, replace


def _duplicate(value: Value) -> Value:
    """An independent copy: strings by value, module values through their type's `copy`."""
    if type(value) is bytes:
        return value
    if type(value) is bytearray:
        return bytearray(value)
    if isinstance(value, Aggregate):
        return value.duplicate()
    assert isinstance(value, TypedValue)
    try:
        copied = value.type.copy(value.value)
    except NotImplementedError:
        raise CommandError("ERR not supported for this module key") from None
    if copied is None:
        raise CommandError("ERR module key failed to copy")
    return TypedValue(value.type, copied)


@command(
    "copy",
    -3,
    "write denyoom",
    keys=(1, 2, 1),
    since="6.2.0",
    summary="Copies the value of a key to a new key.",
    complexity=(
        "O(N) worst case for collections, where N is the number of nested items. O(1) for "
        "string values."
    ),
    key_specs=[key_spec("RO ACCESS"), key_spec("OW UPDATE", index=2)],
    arguments=[
        key_arg("source"),
        key_arg("destination", 1),
        integer("destination-db", token="DB", optional=True),
        token("replace", "REPLACE", optional=True),
    ],
)
def copy(session: Session, argv: list[bytes]) -> Any:
    source, target_key = argv[1], argv[2]
    target, replace = _copy_target(session, argv)
    db = session.db
    if target is db and source == target_key:
        raise CommandError("ERR source and destination objects are the same")
    value = db.read(source)  # Redis counts COPY's source lookup as a keyspace hit/miss
    if value is None:
        return 0
    if target.get(target_key) is not None:
        if not replace:
            return 0
        target.delete(target_key, cls=SILENT)  # as Redis: replaced silently, then "new"
    target.put(target_key, _duplicate(value), db.get_expire(source), "copy_to", GENERIC)
    return 1


# -- expiry ------------------------------------------------------------------------------

_SECONDS_MAX = LLONG_MAX // 1000
_SECONDS_MIN = -(-LLONG_MIN // 1000)  # C division truncates toward zero


class _Conditions:
    """EXPIRE's NX / XX / GT / LT flags, validated as Redis validates them."""

    __slots__ = ("gt", "lt", "nx", "xx")

    def __init__(self, options: list[bytes]) -> None:
        self.nx = self.xx = self.gt = self.lt = False
        for raw in options:
            option = raw.lower()
            if option in (b"nx", b"xx", b"gt", b"lt"):
                setattr(self, option.decode(), True)
            else:
                raise CommandError(f"ERR Unsupported option {raw.decode('utf-8', 'replace')}")
        if self.nx and (self.xx or self.gt or self.lt):
            raise CommandError(
                "ERR NX and XX, GT or LT options at the same time are not compatible"
            )
        if self.gt and self.lt:
            raise CommandError("ERR GT and LT options at the same time are not compatible")

    def allow(self, current: int | None, when: int) -> bool:
        """Whether the new expiry may replace `current` (None = no expiry = infinite)."""
        if self.nx and current is not None:
            return False
        if self.xx and current is None:
            return False
        if self.gt and (current is None or when <= current):
            return False
        return not (self.lt and current is not None and when >= current)


def _expire(session: Session, argv: list[bytes], seconds: bool, relative: bool) -> int:
    conditions = _Conditions(argv[3:])
    amount = parse_int(argv[2])
    if amount is None:
        raise CommandError(errors.NOT_INTEGER)
    invalid = f"ERR invalid expire time in '{argv[0].decode('utf-8', 'replace').lower()}' command"
    if seconds:
        if not _SECONDS_MIN <= amount <= _SECONDS_MAX:
            raise CommandError(invalid)
        amount *= 1000
    now = now_ms()
    base = now if relative else 0
    if amount > LLONG_MAX - base:
        raise CommandError(invalid)
    when = amount + base
    key = argv[1]
    db = session.db
    if db.get(key) is None or not conditions.allow(db.get_expire(key), when):
        return 0
    if when <= now and not session.state.keyspace.loading:
        db.delete(key)
        session.replace_propagation([b"DEL", key])
    else:  # while loading, a past time is kept: later replayed commands still see the key
        db.set_expire(key, when)
        session.replace_propagation([b"PEXPIREAT", key, b"%d" % when])
    return 1


@command(
    "expire",
    -3,
    "write fast",
    keys=(1, 1, 1),
    summary="Sets the expiration time of a key in seconds.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=[key_arg(), integer("seconds"), expire_condition()],
)
def expire(session: Session, argv: list[bytes]) -> Any:
    return _expire(session, argv, seconds=True, relative=True)


@command(
    "pexpire",
    -3,
    "write fast",
    keys=(1, 1, 1),
    since="2.6.0",
    summary="Sets the expiration time of a key in milliseconds.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=[key_arg(), integer("milliseconds"), expire_condition()],
)
def pexpire(session: Session, argv: list[bytes]) -> Any:
    return _expire(session, argv, seconds=False, relative=True)


@command(
    "expireat",
    -3,
    "write fast",
    keys=(1, 1, 1),
    since="1.2.0",
    summary="Sets the expiration time of a key to a Unix timestamp.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=[key_arg(), arg("unix-time-seconds", "unix-time"), expire_condition()],
)
def expireat(session: Session, argv: list[bytes]) -> Any:
    return _expire(session, argv, seconds=True, relative=False)


@command(
    "pexpireat",
    -3,
    "write fast",
    keys=(1, 1, 1),
    since="2.6.0",
    summary="Sets the expiration time of a key to a Unix milliseconds timestamp.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=[key_arg(), arg("unix-time-milliseconds", "unix-time"), expire_condition()],
)
def pexpireat(session: Session, argv: list[bytes]) -> Any:
    return _expire(session, argv, seconds=False, relative=False)


def _ttl(session: Session, key: bytes, millis: bool, absolute: bool) -> int:
    db = session.db
    if db.read_untouched(key) is None:  # LOOKUP_NOTOUCH, as Redis
        return -2
    when = db.get_expire(key)
    if when is None:
        return -1
    remaining = when if absolute else max(when - now_ms(), 0)
    return remaining if millis else (remaining + 500) // 1000


@command(
    "ttl",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    summary="Returns the expiration time in seconds of a key.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=KEY,
)
def ttl(session: Session, argv: list[bytes]) -> Any:
    return _ttl(session, argv[1], millis=False, absolute=False)


@command(
    "pttl",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    since="2.6.0",
    summary="Returns the expiration time in milliseconds of a key.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=KEY,
)
def pttl(session: Session, argv: list[bytes]) -> Any:
    return _ttl(session, argv[1], millis=True, absolute=False)


@command(
    "expiretime",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    since="7.0.0",
    summary="Returns the expiration time of a key as a Unix timestamp.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=KEY,
)
def expiretime(session: Session, argv: list[bytes]) -> Any:
    return _ttl(session, argv[1], millis=False, absolute=True)


@command(
    "pexpiretime",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    since="7.0.0",
    summary="Returns the expiration time of a key as a Unix milliseconds timestamp.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=KEY,
)
def pexpiretime(session: Session, argv: list[bytes]) -> Any:
    return _ttl(session, argv[1], millis=True, absolute=True)


@command(
    "persist",
    2,
    "write fast",
    keys=(1, 1, 1),
    since="2.2.0",
    summary="Removes the expiration time of a key.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=KEY,
)
def persist(session: Session, argv: list[bytes]) -> Any:
    return 1 if session.db.persist(argv[1]) else 0


# -- OBJECT ------------------------------------------------------------------------------

object_ = family.container(
    "object", summary="A container for object introspection commands.", since="2.2.3"
)

#: Redis shares one object for each integer 0..9999; its refcount reads as INT_MAX.
_SHARED_INTEGERS = 10_000
_SHARED_REFCOUNT = 2**31 - 1
_EMBSTR_LIMIT = 44
_POLICY_NOTE = (
    "Please note that when switching between policies at runtime LRU and LFU data will take "
    "some time to adjust."
)


def string_encoding(value: bytes | bytearray) -> bytes:
    """The encoding Redis would pick: int / embstr by content, raw once edited in place."""
    if type(value) is bytearray:
        return b"raw"
    if len(value) <= 20 and parse_int(value) is not None:
        return b"int"
    return b"embstr" if len(value) <= _EMBSTR_LIMIT else b"raw"


def _lfu_policy(session: Session) -> bool:
    return "lfu" in session.state.settings.maxmemory_policy


def _shares_integers(session: Session) -> bool:
    settings = session.state.settings
    policy = settings.maxmemory_policy
    return settings.maxmemory == 0 or not ("lru" in policy or "lfu" in policy)


@command(
    "encoding",
    3,
    "readonly",
    keys=(2, 2, 1),
    parent=object_,
    since="2.2.3",
    summary="Returns the internal encoding of a Redis object.",
    key_specs=[key_spec("RO", index=2)],
    tips="nondeterministic_output",
    arguments=KEY,
)
def object_encoding(session: Session, argv: list[bytes]) -> Any:
    value = session.db.read_untouched(
        argv[2], notify_miss=False
    )  # counted as a hit/miss, not an access
    if value is None:
        return None
    if type(value) is TypedValue:
        return b"raw"
    if isinstance(value, Aggregate):
        return value.encoding().encode()
    return string_encoding(value)  # type: ignore[arg-type]


@command(
    "freq",
    3,
    "readonly",
    keys=(2, 2, 1),
    parent=object_,
    since="4.0.0",
    summary="Returns the logarithmic access frequency counter of a Redis object.",
    key_specs=[key_spec("RO", index=2)],
    tips="nondeterministic_output",
    arguments=KEY,
)
def object_freq(session: Session, argv: list[bytes]) -> Any:
    field = _untouched_access_field(session, argv[2])
    if field is None:
        return None
    if not _lfu_policy(session):
        raise CommandError(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
            + _POLICY_NOTE
        )
    return session.state.keyspace.access.frequency(field)


def _untouched_access_field(session: Session, key: bytes) -> int | None:
    """The key's access field, looked up as OBJECT does: counted, but not an access."""
    if session.db.read_untouched(key, notify_miss=False) is None:
        return None
    return session.db.access_field(key)


@command(
    "idletime",
    3,
    "readonly",
    keys=(2, 2, 1),
    parent=object_,
    since="2.2.3",
    summary="Returns the time since the last access to a Redis object.",
    key_specs=[key_spec("RO", index=2)],
    tips="nondeterministic_output",
    arguments=KEY,
)
def object_idletime(session: Session, argv: list[bytes]) -> Any:
    field = _untouched_access_field(session, argv[2])
    if field is None:
        return None
    if _lfu_policy(session):
        raise CommandError(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. " + _POLICY_NOTE
        )
    return session.state.keyspace.access.idle_ms(field) // 1000


@command(
    "refcount",
    3,
    "readonly",
    keys=(2, 2, 1),
    parent=object_,
    since="2.2.3",
    summary="Returns the reference count of a value of a key.",
    key_specs=[key_spec("RO", index=2)],
    tips="nondeterministic_output",
    arguments=KEY,
)
def object_refcount(session: Session, argv: list[bytes]) -> Any:
    value = session.db.read_untouched(argv[2], notify_miss=False)
    if value is None:
        return None
    shared = (
        type(value) is bytes
        and string_encoding(value) == b"int"
        and 0 <= int(value) < _SHARED_INTEGERS
        and _shares_integers(session)
    )
    return _SHARED_REFCOUNT if shared else 1


@command(
    "help",
    2,
    "loading stale",
    parent=object_,
    since="6.2.0",
    summary="Returns helpful text about the different subcommands.",
    arguments=[],
)
def object_help(session: Session, argv: list[bytes]) -> Any:
    lines = [
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    ]
    return help_reply("OBJECT", lines)
