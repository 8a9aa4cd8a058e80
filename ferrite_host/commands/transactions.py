"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Queueing happens in the dispatcher (it answers +QUEUED); WATCH invalidation comes from the
keyspace's change events (server/transactions.py). EXEC runs the queue through the same
dispatcher with nothing else interleaved, and propagates it as one MULTI ... EXEC block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.access.control import NO_CHANNEL, NO_KEY
from ferrite_host.commands.arguments import KEYS
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import CommandSpec, Family, key_spec
from ferrite_host.protocol.replies import NULL_ARRAY, OK, Error
from ferrite_host.scripting.scripting import effects_block

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("transactions")
command = family.command

EXECABORT = "EXECABORT Transaction discarded because of previous errors."


@command(
    "multi",
    1,
    "noscript loading stale fast allow_busy",
    summary="Starts a transaction.",
    since="1.2.0",
    arguments=[],
)
def multi(session: Session, argv: list[bytes]) -> Any:
    if session.in_multi:
        raise CommandError("ERR MULTI calls can not be nested")
    session.in_multi = True
    session.multi_queue = []
    session.multi_failed = False
    return OK


def _end_transaction(session: Session) -> None:
    session.in_multi = False
    session.multi_queue = []
    session.multi_failed = False
    session.state.transactions.unwatch(session)


@command(
    "discard",
    1,
    "noscript loading stale fast allow_busy",
    summary="Discards a transaction.",
    since="2.0.0",
    arguments=[],
)
def discard(session: Session, argv: list[bytes]) -> Any:
    if not session.in_multi:
        raise CommandError("ERR DISCARD without MULTI")
    _end_transaction(session)
    return OK


@command(
    "exec",
    1,
    "noscript loading stale skip_slowlog",
    summary="Executes all commands in a transaction.",
    since="1.2.0",
    arguments=[],
)
def exec_(session: Session, argv: list[bytes]) -> Any:
    if not session.in_multi:
        raise CommandError("ERR EXEC without MULTI")
    queue = session.multi_queue
    if session.multi_failed:
        _end_transaction(session)
        raise CommandError(EXECABORT)
    if session.watch_dirty or session.state.transactions.expired_since_watch(session):
        _end_transaction(session)
        return NULL_ARRAY
    session.in_multi = False
    session.multi_queue = []
    session.state.transactions.unwatch(session)
    return _run_queue(session, queue)


def _run_queue(session: Session, queue: list[list[bytes]]) -> list[Any]:
    dispatcher = session.state.dispatcher
    session.in_exec = True
    session.tx_propagation = []
    replies: list[Any] = []
    try:
        for argv in queue:
            spec = dispatcher.resolve(argv)
            if isinstance(spec, Error):
                replies.append(spec)
                continue
            refused = _refused_now(session, spec, argv)
            if refused is not None:
                replies.append(Error(refused))
                continue
            replies.append(dispatcher.call(session, spec, argv))
    finally:
        session.in_exec = False
        recorded, session.tx_propagation = session.tx_propagation, []
    if recorded:
        session.state.propagate(*effects_block(recorded))
    return replies


#: Why a queued command the user may no longer run is refused at EXEC (Redis's words).
_CHANGED = (
    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC "
    "call. This command is no longer allowed for the following reason: "
)


def _refused_now(session: Session, spec: CommandSpec, argv: list[bytes]) -> str | None:
    """ACL rules are checked again at EXEC, as Redis does: an AUTH or ACL SETUSER queued or
    run since MULTI may have changed what the client's user may do."""
    check = session.state.access_check
    refusal = check(session, spec, argv, context="multi") if check is not None else None
    if refusal is None:
        return None
    if NO_KEY in refusal:
        return _CHANGED + "no permission to touch the specified keys"
    if NO_CHANNEL in refusal:
        return _CHANGED + "no permission to access one of the channels used as arguments"
    return _CHANGED + "no permission to execute the command or subcommand"


@command(
    "watch",
    -2,
    "noscript loading stale fast allow_busy",
    keys=(1, -1, 1),
    summary="Monitors changes to keys to determine the execution of a transaction.",
    since="2.2.0",
    key_specs=[key_spec("RO", last=-1)],
    arguments=KEYS,
)
def watch(session: Session, argv: list[bytes]) -> Any:
    if session.in_multi:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    transactions = session.state.transactions
    for key in argv[1:]:
        transactions.watch(session, key)  # as Redis's: no lookup, a stale key stays stored
    return OK


@command(
    "unwatch",
    1,
    "noscript loading stale fast allow_busy",
    summary="Forgets about all watched keys.",
    since="2.2.0",
    arguments=[],
)
def unwatch(session: Session, argv: list[bytes]) -> Any:
    session.state.transactions.unwatch(session)
    return OK


# WATCH only looks at its keys (Redis's key spec says RO, without ACCESS).
