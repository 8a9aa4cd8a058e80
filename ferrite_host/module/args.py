"""`Args`: a command's arguments read one at a time, with Redis's errors for bad ones."""

from __future__ import annotations

from typing import TypeVar

from ferrite_host.module.errors import NotAFloat, NotAnInteger, ReplyError, WrongArity
from ferrite_host.strconv import parse_float, parse_int

_MISSING = object()
T = TypeVar("T")


class Args:
    """The arguments after the command name. Each `next_*` consumes one; running out
    answers the command's wrong-arity error, as Redis does for a missing argument."""

    __slots__ = ("_argv", "_command", "_pos")

    def __init__(self, argv: list[bytes], command: str, start: int = 1) -> None:
        self._argv = argv
        self._command = command
        self._pos = start

    def __len__(self) -> int:
        """How many arguments are left."""
        return len(self._argv) - self._pos

    def _take(self) -> bytes:
        pos = self._pos
        if pos >= len(self._argv):
            raise WrongArity(self._command)
        self._pos = pos + 1
        return self._argv[pos]

    def next_key(self) -> bytes:
        """The next argument, as a key name."""
        return self._take()

    def next_bytes(self) -> bytes:
        return self._take()

    def next_str(self) -> str:
        """The next argument decoded as UTF-8 (undecodable bytes become U+FFFD)."""
        return self._take().decode("utf-8", "replace")

    def next_int(self, default: int | object = _MISSING) -> int:
        """A 64-bit integer as Redis parses one; `default` when no argument is left."""
        if default is not _MISSING and self._pos >= len(self._argv):
            return default  # type: ignore[return-value]
        value = parse_int(self._take())
        if value is None:
            raise NotAnInteger()
        return value

    def next_float(self, default: float | object = _MISSING) -> float:
        """A double as Redis parses one (inf allowed, NaN refused)."""
        if default is not _MISSING and self._pos >= len(self._argv):
            return default  # type: ignore[return-value]
        value = parse_float(self._take())
        if value is None:
            raise NotAFloat()
        return value

    def next_keyword(self, *choices: str) -> str:
        """The next argument, which must be one of `choices` (any case); returned as given
        in `choices`. Anything else answers `ERR syntax error`, as Redis does."""
        word = self._take().decode("utf-8", "replace").lower()
        for choice in choices:
            if choice.lower() == word:
                return choice
        raise ReplyError("ERR syntax error")

    def peek_keyword(self, *choices: str) -> str | None:
        """Consume the next argument only when it is one of `choices`; None otherwise."""
        if self._pos >= len(self._argv):
            return None
        word = self._argv[self._pos].decode("utf-8", "replace").lower()
        for choice in choices:
            if choice.lower() == word:
                self._pos += 1
                return choice
        return None

    def remaining(self) -> list[bytes]:
        """Every argument left (consumed)."""
        rest = self._argv[self._pos :]
        self._pos = len(self._argv)
        return rest

    def done(self) -> None:
        """Wrong arity when anything is left over."""
        if self._pos != len(self._argv):
            raise WrongArity(self._command)
