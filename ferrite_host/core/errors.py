"""Error texts clients match on, spelled exactly as Redis spells them."""

from __future__ import annotations

SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NO_SUCH_KEY = "ERR no such key"
OVERFLOW = "ERR increment or decrement would overflow"
DB_INDEX = "ERR DB index is out of range"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"


class StartupError(Exception):
    """The server cannot start; the message is the one line the operator sees."""


class CommandError(Exception):
    """Raised by a handler to answer with an error reply; the text is sent after `-`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def wrong_arity(name: str) -> str:
    return f"ERR wrong number of arguments for '{name}' command"


def unknown_command(argv: list[bytes]) -> str:
    name = argv[0].decode("utf-8", "replace")[:128]
    args = "".join(f"'{a.decode('utf-8', 'replace')[:128]}' " for a in argv[1:])
    return f"ERR unknown command '{name}', with args beginning with: {args}"


def unknown_subcommand(container: str, sub: bytes) -> str:
    text = sub.decode("utf-8", "replace")[:128]
    return f"ERR unknown subcommand '{text}'. Try {container.upper()} HELP."
