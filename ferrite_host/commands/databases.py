"""Whole-database commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, MOVE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import flush_type, integer, key_arg
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.events import FLUSHDB, FLUSHDB_END, FLUSHDB_START, SWAPDB
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")
command = family.command


@command(
    "dbsize",
    1,
    "readonly fast",
    acl="keyspace",
    summary="Returns the number of keys in the database.",
    arguments=[],
)
def dbsize(session: Session, argv: list[bytes]) -> Any:
    return len(session.db)


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].lower() not in (b"sync", b"async")):
        raise CommandError(errors.SYNTAX)


@command(
    "flushdb",
    -1,
    "write",
    acl="keyspace dangerous",
    summary="Removes all keys from the current database.",
    arguments=[flush_type(async_since="4.0.0", sync_since="6.2.0")],
)
def flushdb(session: Session, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    _announce_flush(session, session.db_index, FLUSHDB_START)
    session.db.flush()
    _announce_flush(session, session.db_index, FLUSHDB_END)
    return OK


@command(
    "flushall",
    -1,
    "write",
    acl="keyspace dangerous",
    summary="Removes all keys from all databases.",
    arguments=[flush_type(async_since="4.0.0", sync_since="6.2.0")],
)
def flushall(session: Session, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    _announce_flush(session, -1, FLUSHDB_START)
    session.state.keyspace.flushall()
    _announce_flush(session, -1, FLUSHDB_END)
    return OK


def _announce_flush(session: Session, db: int, subevent: int) -> None:
    """The FlushDB server event (data: the database, -1 for FLUSHALL), as modules see it."""
    session.state.hooks.hook.ferrite_server_event(
        state=session.state, event=FLUSHDB, subevent=subevent, data=db
    )


def db_index(session: Session, raw: bytes, invalid: str = errors.NOT_INTEGER) -> int:
    index = parse_int(raw)
    if index is None:
        raise CommandError(invalid)
    if not 0 <= index < len(session.state.keyspace):
        raise CommandError(errors.DB_INDEX)
    return index


@command(
    "swapdb",
    3,
    "write fast",
    acl="keyspace dangerous",
    summary="Swaps two Redis databases.",
    since="4.0.0",
    arguments=[integer("index1"), integer("index2")],
)
def swapdb(session: Session, argv: list[bytes]) -> Any:
    first = db_index(session, argv[1], "ERR invalid first DB index")
    second = db_index(session, argv[2], "ERR invalid second DB index")
    if first != second:
        session.state.keyspace.swap(first, second)
        session.state.hooks.hook.ferrite_server_event(
            state=session.state, event=SWAPDB, subevent=0, data=(first, second)
        )
    return OK


@command(
    "move",
    3,
    "write fast",
    keys=(1, 1, 1),
    acl="keyspace",
    summary="Moves a key to another database.",
    arguments=[key_arg(), integer("db")],
)
def move(session: Session, argv: list[bytes]) -> Any:
    target = db_index(session, argv[2])
    if target == session.db_index:
        raise CommandError("ERR source and destination objects are the same")
    key = argv[1]
    destination = session.state.keyspace[target]
    if session.db.get(key) is None or destination.get(key) is not None:
        return 0
    return 1 if session.db.relocate(key, destination, key, "move_from", "move_to") else 0
