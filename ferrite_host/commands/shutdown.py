"""SHUTDOWN."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import block, oneof, token
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import NO_REPLY

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command


# -- SHUTDOWN --------------------------------------------------------------------------------


@command(
    "shutdown",
    -1,
    "admin noscript loading stale no_multi allow_busy",
    summary="Synchronously saves the database(s) to disk and shuts down the Redis server.",
    complexity=(
        "O(N) when saving, where N is the total number of keys in all databases when saving "
        "data, otherwise O(1)"
    ),
    arguments=[
        oneof(
            "abort-selector",
            block(
                "save-selector-block",
                oneof(
                    "save-selector",
                    token("nosave", "NOSAVE"),
                    token("save", "SAVE"),
                    optional=True,
                ),
                token("now", "NOW", optional=True, since="7.0.0"),
                token("force", "FORCE", optional=True, since="7.0.0"),
            ),
            token("abort", "ABORT", since="7.0.0"),
            optional=True,
        )
    ],
)
def shutdown(session: Session, argv: list[bytes]) -> Any:
    options = {arg.lower() for arg in argv[1:]}
    if len(options) != len(argv) - 1 or not options <= {
        b"nosave",
        b"save",
        b"now",
        b"force",
        b"abort",
    }:
        raise CommandError(errors.SYNTAX)
    if (b"abort" in options and len(options) > 1) or {b"save", b"nosave"} <= options:
        raise CommandError(errors.SYNTAX)
    if b"abort" in options:
        raise CommandError("ERR No shutdown in progress.")
    save = True if b"save" in options else False if b"nosave" in options else None
    log.warning("User requested shutdown...")
    session.state.request_shutdown(save=save)
    session.close_after_reply = True
    return NO_REPLY  # as with Redis, the client sees the connection close
