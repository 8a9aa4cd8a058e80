"""The reply value tree every command produces.

Plain Python values stand for the common RESP types (bytes -> bulk string, int -> integer,
float -> double, bool -> boolean, None -> null, list/tuple -> array, dict -> map,
set/frozenset -> set). The small marker classes below cover what plain values cannot say.
Handlers build these trees; only the encoder knows how they look on the wire.
"""

from __future__ import annotations

from typing import Any, Union


class SimpleString(str):
    """A status reply (`+OK`): short, never binary."""

    __slots__ = ()


class Error(str):
    """An error reply; the text is sent after `-` exactly as given (e.g. `ERR syntax error`)."""

    __slots__ = ()

    @property
    def code(self) -> str:
        """The first word, which Redis counts in INFO errorstats."""
        return self.split(" ", 1)[0] if self else "ERR"


class Verbatim:
    """A RESP3 verbatim string (`=`); RESP2 clients see a bulk string."""

    __slots__ = ("data", "fmt")

    def __init__(self, data: bytes, fmt: str = "txt") -> None:
        self.data = data
        self.fmt = fmt

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verbatim) and (self.data, self.fmt) == (other.data, other.fmt)

    def __hash__(self) -> int:
        return hash((self.data, self.fmt))

    def __repr__(self) -> str:
        return f"Verbatim({self.data!r}, {self.fmt!r})"


class BigNumber(str):
    """A RESP3 big number (`(`); RESP2 clients see a bulk string."""

    __slots__ = ()


class DoubleText(str):
    """A RESP3 double (`,`) whose text is given, not derived from a float (GEOPOS's
    coordinates, which Redis prints with 17 decimals); RESP2 clients see a bulk string."""

    __slots__ = ()


class NullArray:
    """The RESP2 null array (`*-1`), e.g. EXEC after a WATCH fired; RESP3 sends `_`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NullArray"


class SetReply(list):  # type: ignore[type-arg]
    """A RESP3 set (`~`) that keeps its order and may hold maps (COMMAND INFO flags and key
    specs); RESP2 clients see an array."""


class Push(list):  # type: ignore[type-arg]
    """An out-of-band push message (RESP3 `>`); RESP2 clients see an array."""


class Replies(list):  # type: ignore[type-arg]
    """Several replies sent one after another for one command (SUBSCRIBE a b confirms each
    channel on its own), not an array."""


class NoReply:
    """Send nothing for this command (SHUTDOWN: the client sees the connection close)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NoReply"


NULL_ARRAY = NullArray()
NO_REPLY = NoReply()
OK = SimpleString("OK")
QUEUED = SimpleString("QUEUED")
PONG = SimpleString("PONG")

Reply = Union[  # noqa: UP007 - a runtime alias; `|` of these types is not allowed here
    bytes,
    bytearray,
    int,
    float,
    bool,
    None,
    str,
    list[Any],
    tuple[Any, ...],
    dict[Any, Any],
    set[Any],
    frozenset[Any],
    Verbatim,
    NullArray,
    memoryview,
]
