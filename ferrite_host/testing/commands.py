"""Running one command in a test: through a client without redis-py's reply parsing, or
through an in-process server's dispatcher without a socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import redis

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState


def raw_command(client: redis.Redis, *args: object) -> Any:
    """A reply as the server sent it, without redis-py's per-command response callbacks."""
    connection = client.connection_pool.get_connection()
    try:
        connection.send_command(*args)  # type: ignore[no-untyped-call]
        return connection.read_response()
    finally:
        client.connection_pool.release(connection)


def to_argv(args: tuple[object, ...]) -> list[bytes]:
    """Command arguments as the wire carries them: bytes as they are, anything else as text."""
    return [a if isinstance(a, bytes) else str(a).encode() for a in args]


def run_command(state: ServerState, session: Session, *args: object) -> Any:
    """The reply value of one command run through `state`'s real dispatcher."""
    return state.dispatcher.execute(session, to_argv(args))
