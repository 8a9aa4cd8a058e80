"""The HELP subcommand's reply, laid out as Redis lays it out for every container command."""

from __future__ import annotations

from ferrite_host.core.errors import CommandError
from ferrite_host.protocol.replies import SimpleString


def help_reply(container: str, lines: list[str]) -> list[SimpleString]:
    """Redis's HELP layout: a header, the given lines, and HELP itself last."""
    header = f"{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    footer = ["HELP", "    Prints this help."]  # Redis 7.x spelling (addReplyHelp)
    return [SimpleString(line) for line in [header, *lines, *footer]]


def subcommand_syntax_error(argv: list[bytes]) -> CommandError:
    """For commands that parse their own subcommands (DEBUG, MEMORY options)."""
    sub = argv[1].decode("utf-8", "replace")[:128] if len(argv) > 1 else ""
    return CommandError(
        f"ERR unknown subcommand or wrong number of arguments for '{sub}'. "
        f"Try {argv[0].decode('utf-8', 'replace').upper()} HELP."
    )
