"""CLIENT PAUSE and CLIENT UNPAUSE (the waiting itself: core/pause.py and the blocking layer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.blocking import Blocking
from ferrite_host.commands.connection import client
from ferrite_host.core.errors import CommandError
from ferrite_host.core.pause import ALL, WRITE
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("connection")

#: Longest pause the timer is armed for (about 31 years); Redis accepts any positive value.
_LONGEST_MS = 10**12


@family.command(
    "pause",
    -3,
    "admin noscript loading stale",
    parent=client,
    summary="Stop processing commands from clients for some time",
    since="2.9.50",
    arguments=[
        {"name": "timeout", "type": "integer"},
        {
            "name": "mode",
            "type": "oneof",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                {"name": "write", "type": "pure-token", "token": "WRITE"},
                {"name": "all", "type": "pure-token", "token": "ALL"},
            ],
        },
    ],
)
def client_pause(session: Session, argv: list[bytes]) -> Any:
    milliseconds = parse_int(argv[2])
    if milliseconds is None:
        raise CommandError("ERR timeout is not an integer or out of range")
    if milliseconds < 0:
        raise CommandError("ERR timeout is negative")
    mode = ALL
    if len(argv) == 4:
        word = argv[3].lower()
        if word not in (b"write", b"all"):
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
        mode = WRITE if word == b"write" else ALL
    elif len(argv) > 4:
        sub = argv[1].decode("utf-8", "replace")
        raise CommandError(
            f"ERR unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP."
        )
    Blocking.of(session.state).pause(mode, min(milliseconds, _LONGEST_MS))
    return OK


@family.command(
    "unpause",
    2,
    "admin noscript loading stale",
    parent=client,
    summary="Resume processing of clients that were paused",
    since="6.2.0",
    complexity="O(N) Where N is the number of paused clients",
    arguments=[],
)
def client_unpause(session: Session, argv: list[bytes]) -> Any:
    session.state.pause.unpause()
    return OK
