"""SLOWLOG: the calls that took at least `slowlog-log-slower-than` microseconds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import integer
from ferrite_host.commands.help import help_reply, subcommand_syntax_error
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")
command = family.command

slowlog = family.container("slowlog", summary="A container for slow log commands", since="2.2.12")
_FLAGS = "admin loading stale"
_DEFAULT_COUNT = 10


@command(
    "get",
    -2,
    _FLAGS,
    parent=slowlog,
    since="2.2.12",
    summary="Get the slow log's entries",
    complexity="O(N) where N is the number of entries returned",
    arguments=[integer("count", optional=True)],
)
def slowlog_get(session: Session, argv: list[bytes]) -> Any:
    count = _DEFAULT_COUNT
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    if len(argv) == 3:
        parsed = parse_int(argv[2])
        if parsed is None or parsed < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
        count = parsed
    return [entry.reply() for entry in session.state.oversight.slowlog.newest(count)]


@command(
    "len",
    2,
    _FLAGS,
    parent=slowlog,
    since="2.2.12",
    summary="Get the slow log's length",
    arguments=[],
)
def slowlog_len(session: Session, argv: list[bytes]) -> Any:
    return len(session.state.oversight.slowlog.entries)


@command(
    "reset",
    2,
    _FLAGS,
    parent=slowlog,
    since="2.2.12",
    summary="Clear all entries from the slow log",
    complexity="O(N) where N is the number of entries in the slowlog",
    arguments=[],
)
def slowlog_reset(session: Session, argv: list[bytes]) -> Any:
    session.state.oversight.slowlog.reset()
    return OK


@command(
    "help",
    2,
    "loading stale",
    parent=slowlog,
    since="6.2.0",
    summary="Show helpful text about the different subcommands",
    arguments=[],
)
def slowlog_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "SLOWLOG",
        [
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
