"""Persistence commands: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF and FERRITE.RESTORE.

The work lives in `ferrite_host.persistence.Persistence` (attached by `ferrite serve`); these
handlers only parse arguments and turn its results into Redis's replies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, integer, key_arg, token
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.keyspace import now_ms
from ferrite_host.keyspace.events import GENERIC
from ferrite_host.persistence.manager import Persistence
from ferrite_host.protocol.replies import OK, SimpleString
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")
command = family.command

NOT_ENABLED = "ERR persistence is not available on this server"


def _persistence(session: Session) -> Persistence:
    persistence = Persistence.of(session.state)
    if persistence is None:
        raise CommandError(NOT_ENABLED)
    return persistence


@command(
    "save",
    1,
    "admin noscript no_async_loading no_multi",
    summary="Synchronously saves the database(s) to disk.",
    complexity="O(N) where N is the total number of keys in all databases",
    arguments=[],
)
def save(session: Session, argv: list[bytes]) -> Any:
    _persistence(session).save()
    return OK


@command(
    "bgsave",
    -1,
    "admin noscript no_async_loading",
    summary="Asynchronously saves the database(s) to disk.",
    complexity="O(1)",
    arguments=[token("schedule", "SCHEDULE", optional=True, since="3.2.2")],
)
def bgsave(session: Session, argv: list[bytes]) -> Any:
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError(errors.SYNTAX)
    return SimpleString(_persistence(session).bgsave(schedule, in_exec=session.in_exec))


@command(
    "lastsave",
    1,
    "loading stale fast",
    acl="admin dangerous",
    summary="Returns the Unix timestamp of the last successful save to disk.",
    arguments=[],
)
def lastsave(session: Session, argv: list[bytes]) -> Any:
    return int(_persistence(session).lastsave)


@command(
    "bgrewriteaof",
    1,
    "admin noscript no_async_loading",
    summary="Asynchronously rewrites the append-only file to disk.",
    complexity="O(1)",
    arguments=[],
)
def bgrewriteaof(session: Session, argv: list[bytes]) -> Any:
    return SimpleString(_persistence(session).bgrewriteaof(in_exec=session.in_exec))


@command(
    "ferrite.restore",
    -5,
    "write denyoom",
    keys=(1, 1, 1),
    summary="Recreates a module value from its type's rdb_save bytes (written by AOF rewrites).",
    since="0.1.0",
    complexity="O(1) plus the type's rdb_load",
    arguments=[
        key_arg(),
        arg("type-name"),
        integer("encver"),
        arg("payload"),
        arg("unix-time-milliseconds", "unix-time", token="PXAT", optional=True),
        arg("module-name", token="MODULE", optional=True),
    ],
)
def ferrite_restore(session: Session, argv: list[bytes]) -> Any:
    """FERRITE.RESTORE key type-name encver payload [PXAT unix-ms] [MODULE module-name]."""
    from ferrite_host.persistence.snapshot import (
        ModulePayload,
        SnapshotLoadError,
        restore_module_value,
    )

    key, type_name, raw_encver, payload = argv[1:5]
    encver = parse_int(raw_encver)
    if encver is None or encver < 0:
        raise CommandError("ERR invalid encoding version")
    expire_at, module_name = _restore_options(argv[5:])
    try:
        name = type_name.decode("utf-8")
    except UnicodeDecodeError:
        raise CommandError("ERR invalid module type name") from None
    module_payload = ModulePayload(name, module_name, encver, bytes(payload))
    try:
        typed = restore_module_value(session.state.module_types, module_payload, key)
    except SnapshotLoadError as exc:
        raise CommandError(f"ERR {exc}") from None
    keyspace = session.state.keyspace
    if expire_at is not None and expire_at <= now_ms() and not keyspace.loading:
        typed.type.release(typed.value)
        session.db.delete(key)
        return OK
    session.db.put(key, typed, expire_at, "restore", GENERIC)
    return OK


def _restore_options(options: list[bytes]) -> tuple[int | None, str]:
    expire_at: int | None = None
    module_name = "unknown"
    pos = 0
    while pos < len(options):
        option = options[pos].lower()
        if pos + 1 >= len(options):
            raise CommandError(errors.SYNTAX)
        value = options[pos + 1]
        if option == b"pxat":
            expire_at = parse_int(value)
            if expire_at is None or expire_at < 0:
                raise CommandError("ERR Invalid TTL value, must be >= 0")
        elif option == b"module":
            module_name = value.decode("utf-8", "replace")
        else:
            raise CommandError(errors.SYNTAX)
        pos += 2
    return expire_at, module_name
