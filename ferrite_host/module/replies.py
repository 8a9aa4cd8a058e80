"""What a command's return value means on the wire.

`int` integer, `bytes`/`str` bulk string, `None` null, `list`/`tuple` array, `dict` map
(a flat array in RESP2), `set` set (an array in RESP2), `float` double, `bool` boolean (an
integer in RESP2); `ok()`, `SimpleString` and `Verbatim` for the other reply kinds. The
encoder already speaks this value tree, so most returns pass through untouched.
"""

from __future__ import annotations

from typing import Any

from ferrite_host.protocol import replies
from ferrite_host.protocol.replies import OK, SetReply, SimpleString

#: Values that are replies as they are (the common case costs one type() lookup).
#: `replies.Error` too: a ctx.call error reply returned as it is answers that error.
_AS_IS = frozenset(
    {int, bytes, type(None), float, bool, SimpleString, replies.Verbatim, replies.Error}
)


class Verbatim(replies.Verbatim):
    """Verbatim text (RESP3 `=`, a bulk string in RESP2): `Verbatim("hi", format="txt")`."""

    __slots__ = ()

    def __init__(self, text: str | bytes, format: str = "txt") -> None:
        super().__init__(text.encode() if isinstance(text, str) else bytes(text), format)


def ok() -> SimpleString:
    """The `+OK` status reply."""
    return OK


def to_reply(value: Any) -> Any:
    """A return value as the reply tree the encoder writes."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is str:
        return value.encode()
    if kind is list or kind is tuple:
        return [to_reply(item) for item in value]
    if kind is dict:
        return {to_reply(k): to_reply(v) for k, v in value.items()}
    if kind is set or kind is frozenset:
        return SetReply(to_reply(item) for item in value)
    if kind is Verbatim:
        return replies.Verbatim(value.data, value.fmt)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, int):  # subclasses (IntEnum, ...)
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return value.encode()
    raise TypeError(
        f"a command returned {kind.__name__}, which is not a reply: return int, bytes, str, "
        "None, float, bool, list, tuple, dict, set, ok(), SimpleString or Verbatim"
    )
