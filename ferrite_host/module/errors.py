"""The exceptions a command raises to answer with an error instead of a value."""

from __future__ import annotations

from ferrite_host.core.errors import NOT_FLOAT, NOT_INTEGER, WRONGTYPE, wrong_arity


class ReplyError(Exception):
    """Raise to answer `-<message>`; "ERR " is added when the message has no error code.

    An error code is the first word when it is all capitals (WRONGTYPE, NOPERM, BUSY...),
    as Redis clients read it.
    """

    def __init__(self, message: str) -> None:
        first = message.split(" ", 1)[0]
        if not (first.isupper() and first.isalpha()):
            message = f"ERR {message}"
        super().__init__(message)
        self.message = message


class WrongArity(ReplyError):
    """Redis's `wrong number of arguments for '<command>' command`."""

    def __init__(self, command: str) -> None:
        super().__init__(wrong_arity(command))


class WrongType(ReplyError):
    """Redis's WRONGTYPE error: the key holds another kind of value."""

    def __init__(self) -> None:
        super().__init__(WRONGTYPE)


class NotAnInteger(ReplyError):
    """Redis's `value is not an integer or out of range`."""

    def __init__(self) -> None:
        super().__init__(NOT_INTEGER)


class NotAFloat(ReplyError):
    """Redis's `value is not a valid float`."""

    def __init__(self) -> None:
        super().__init__(NOT_FLOAT)
