"""DUMP, RESTORE and MIGRATE: a key's value as a Redis DUMP payload, back, and elsewhere.

Payloads are Redis's own (RDB value encoding, RDB version, CRC64), so a payload DUMPed by
redis-server RESTOREs here and the other way round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import KEY, arg, block, integer, key_arg, oneof, token
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import now_ms
from ferrite_host.keyspace.events import GENERIC, SILENT
from ferrite_host.keyspace.values import Value
from ferrite_host.protocol.replies import OK, SimpleString
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("generic")
command = family.command

BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_FORMAT = "ERR Bad data format"
BUSYKEY = "BUSYKEY Target key name already exists."


@command(
    "dump",
    2,
    "readonly",
    keys=(1, 1, 1),
    since="2.6.0",
    summary="Returns a serialized representation of the value stored at a key.",
    complexity=(
        "O(1) to access the key and additional O(N*M) to serialize it, where N is the number "
        "of Redis objects composing the value and M their average size. For small string "
        "values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1)."
    ),
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=KEY,
)
def dump(session: Session, argv: list[bytes]) -> Any:
    from ferrite_host.persistence.rdb.dump import dump_payload
    from ferrite_host.persistence.snapshot import SnapshotSaveError

    value = session.db.read(argv[1])
    if value is None:
        return None
    try:
        return dump_payload(argv[1], value, session.db.limits)
    except SnapshotSaveError as exc:
        raise CommandError(f"ERR {exc}") from None


class _RestoreOptions:
    """REPLACE, ABSTTL, IDLETIME seconds, FREQ frequency, checked in Redis's order."""

    def __init__(self, options: list[bytes]) -> None:
        self.replace = self.absttl = False
        idle = freq = None
        pos = 0
        while pos < len(options):
            option = options[pos].lower()
            more = pos + 1 < len(options)
            if option == b"replace":
                self.replace = True
            elif option == b"absttl":
                self.absttl = True
            elif option == b"idletime" and more and freq is None:
                pos += 1
                idle = _integer(options[pos])
                if idle < 0:
                    raise CommandError("ERR Invalid IDLETIME value, must be >= 0")
            elif option == b"freq" and more and idle is None:
                pos += 1
                freq = _integer(options[pos])
                if not 0 <= freq <= 255:
                    raise CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            else:
                raise CommandError(errors.SYNTAX)
            pos += 1
        self.idle, self.freq = idle, freq


def _integer(raw: bytes) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


@command(
    "restore",
    -4,
    "write denyoom",
    keys=(1, 1, 1),
    since="2.6.0",
    acl="dangerous",
    summary="Creates a key from the serialized representation of a value.",
    complexity=(
        "O(1) to create the new key and additional O(N*M) to reconstruct the serialized "
        "value, where N is the number of Redis objects composing the value and M their "
        "average size. For small string values the time complexity is thus O(1)+O(1*M) where "
        "M is small, so simply O(1). However for sorted set values the complexity is "
        "O(N*M*log(N)) because inserting values into sorted sets is O(log(N))."
    ),
    key_specs=[key_spec("OW UPDATE")],
    arguments=[
        key_arg(),
        integer("ttl"),
        arg("serialized-value"),
        token("replace", "REPLACE", optional=True, since="3.0.0"),
        token("absttl", "ABSTTL", optional=True, since="5.0.0"),
        integer("seconds", token="IDLETIME", optional=True, since="5.0.0"),
        integer("frequency", token="FREQ", optional=True, since="5.0.0"),
    ],
)
def restore(session: Session, argv: list[bytes]) -> Any:
    key, raw_ttl, payload = argv[1], argv[2], argv[3]
    options = _RestoreOptions(argv[4:])
    db = session.db
    if not options.replace and db.get(key) is not None:
        raise CommandError(BUSYKEY)
    ttl = _integer(raw_ttl)
    if ttl < 0:
        raise CommandError("ERR Invalid TTL value, must be >= 0")
    value = _decode(session, key, bytes(payload))
    if ttl and not options.absttl:
        ttl += now_ms()
    if ttl and ttl <= now_ms() and not session.state.keyspace.loading:
        if options.replace and db.delete(key):
            session.replace_propagation([b"DEL", key])
        return OK
    if options.replace:
        db.delete(key, cls=SILENT)  # as Redis: replaced silently, then announced as "new"
    db.put(key, value, ttl or None, "restore", GENERIC)
    idle_ms = options.idle * 1000 if options.idle is not None else None
    field = session.state.keyspace.access.field_for(idle_ms, options.freq)
    if field is not None:
        db.set_access_field(key, field)
    if ttl and not options.absttl:
        session.replace_propagation([*argv[:2], b"%d" % ttl, *argv[3:], b"ABSTTL"])
    return OK


def _decode(session: Session, key: bytes, payload: bytes) -> Value:
    from ferrite_host.persistence.rdb.dump import PayloadError, load_payload, verify_payload
    from ferrite_host.persistence.rdb.modules import ModuleValueError, rebuild
    from ferrite_host.persistence.rdb.reader import RdbModulePayload
    from ferrite_host.persistence.snapshot import SnapshotError, show_key

    try:
        verify_payload(payload)
    except PayloadError:
        raise CommandError(BAD_PAYLOAD) from None
    try:
        loaded = load_payload(key, payload, session.db.limits)
    except SnapshotError:
        raise CommandError(BAD_FORMAT) from None
    if not isinstance(loaded, RdbModulePayload):
        return loaded
    keep = session.state.settings.keep_unknown_module_values
    try:
        return rebuild(session.state.module_types, loaded, show_key(key), keep)
    except ModuleValueError:
        raise CommandError(BAD_FORMAT) from None


class _MigrateRequest:
    """MIGRATE's arguments, checked as Redis checks them."""

    def __init__(self, argv: list[bytes]) -> None:
        self.copy = self.replace = False
        self.auth: list[bytes] = []
        keys = [argv[3]]
        pos = 6
        while pos < len(argv):
            option = argv[pos].lower()
            more = len(argv) - pos - 1
            if option == b"copy":
                self.copy = True
            elif option == b"replace":
                self.replace = True
            elif option == b"auth" and more >= 1:
                self.auth = [b"AUTH", argv[pos + 1]]
                pos += 1
            elif option == b"auth2" and more >= 2:
                self.auth = [b"AUTH", argv[pos + 1], argv[pos + 2]]
                pos += 2
            elif option == b"keys":
                if argv[3]:
                    raise CommandError(
                        "ERR When using MIGRATE KEYS option, the key argument must be set to "
                        "the empty string"
                    )
                keys = argv[pos + 1 :]
                break
            else:
                raise CommandError(errors.SYNTAX)
            pos += 1
        self.keys = keys
        self.host = argv[1].decode("utf-8", "replace")
        port = _integer(argv[2])
        self.db = _integer(argv[4])
        timeout = _integer(argv[5])
        self.timeout_ms = timeout if timeout > 0 else 1000
        if not 0 <= port <= 65535:
            raise CommandError(errors.NOT_INTEGER)
        self.port = port


@command(
    "migrate",
    -6,
    "write movablekeys",
    keys=(3, 3, 1),
    since="2.6.0",
    acl="dangerous",
    summary="Atomically transfers a key from one Redis instance to another.",
    complexity=(
        "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in "
        "the target instance. See the pages of these commands for time complexity. Also an "
        "O(N) data transfer between the two instances is performed."
    ),
    key_specs=[
        key_spec("RW ACCESS DELETE", index=3),
        {
            "flags": ["RW", "ACCESS", "DELETE", "INCOMPLETE"],
            "begin_search": {"type": "keyword", "spec": {"keyword": "KEYS", "startfrom": -2}},
            "find_keys": {"type": "range", "spec": {"lastkey": -1, "keystep": 1, "limit": 0}},
        },
    ],
    tips="nondeterministic_output",
    arguments=[
        arg("host"),
        integer("port"),
        oneof("key_or_empty_string", key_arg("key"), token("empty_string", '""')),
        integer("destination-db"),
        integer("timeout"),
        token("copy", "COPY", optional=True, since="3.0.0"),
        token("replace", "REPLACE", optional=True, since="3.0.0"),
        oneof(
            "authentication",
            arg("password", token="AUTH", optional=True, since="4.0.7"),
            block(
                "username_password",
                arg("username"),
                arg("password"),
                token="AUTH2",
                optional=True,
                since="6.0.0",
            ),
            optional=True,
        ),
        key_arg("key", 1, token="KEYS", optional=True, multiple=True, since="3.0.6"),
    ],
)
def migrate(session: Session, argv: list[bytes]) -> Any:
    from ferrite_host.persistence.rdb import migration

    request = _MigrateRequest(argv)
    db = session.db
    present = [key for key in request.keys if db.get(key) is not None]
    if not present:
        return SimpleString("NOKEY")
    try:
        target = migration.connection(request.host, request.port, request.timeout_ms)
    except migration.MigrationError as exc:
        raise CommandError(str(exc)) from None
    select = target.selected != request.db
    commands = ([request.auth] if request.auth else []) + (
        [[b"SELECT", b"%d" % request.db]] if select else []
    )
    commands += [_restore_command(session, key, request.replace) for key in present]
    try:
        target.send(commands)
        errors_seen = [_target_error(target) for _ in range(len(commands) - len(present))]
        key_errors = [_target_error(target) for _ in present]
    except migration.MigrationError as exc:
        migration.drop(request.host, request.port)
        raise CommandError(str(exc)) from None
    setup_error = next((error for error in errors_seen if error), "")
    target.selected = -1 if setup_error or any(key_errors) else request.db
    moved = (
        []
        if setup_error
        else [key for key, error in zip(present, key_errors, strict=True) if not error]
    )
    if not request.copy and moved:
        for key in moved:
            db.delete(key)
        session.replace_propagation([b"DEL", *moved])
    first_error = setup_error or next((error for error in key_errors if error), "")
    if first_error:
        raise CommandError(f"ERR Target instance replied with error: {first_error}")
    return OK


def _restore_command(session: Session, key: bytes, replace: bool) -> list[bytes]:
    """RESTORE key ttl payload [REPLACE], the TTL relative (at least 1 ms) as Redis sends it."""
    from ferrite_host.persistence.rdb.dump import dump_payload

    db = session.db
    value = db.get(key)
    assert value is not None
    expire_at = db.get_expire(key)
    ttl = 0 if expire_at is None else max(expire_at - now_ms(), 1)
    restore = [b"RESTORE", key, b"%d" % ttl, dump_payload(key, value, db.limits)]
    return [*restore, b"REPLACE"] if replace else restore


def _target_error(target: Any) -> str:
    """The error text of the target's next reply, "" when it succeeded."""
    from ferrite_host.persistence.rdb.migration import TargetError

    try:
        target.reply()
    except TargetError as exc:
        return str(exc)
    return ""
