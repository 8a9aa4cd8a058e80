"""Reply encoder: turns a reply value tree into RESP2 or RESP3 bytes.

This is the only module that knows how the two protocol versions differ.
"""

from __future__ import annotations

import math
from typing import Any

from ferrite_host.protocol.replies import (
    BigNumber,
    DoubleText,
    Error,
    NoReply,
    NullArray,
    Push,
    Replies,
    SetReply,
    SimpleString,
    Verbatim,
)

_CRLF = b"\r\n"
_NULL2 = b"$-1\r\n"
_NULL3 = b"_\r\n"
#: The status replies sent most often, encoded once (they carry no CR or LF).
_STATUS = {text: b"+%s\r\n" % text.encode() for text in ("OK", "PONG", "QUEUED")}
# Small integers are encoded so often (counters, EXISTS, DEL) that a table pays for itself.
_SMALL_INTS = [b":%d\r\n" % i for i in range(-1, 1025)]


def format_double(value: float) -> bytes:
    """A double as Redis 7.0's addReplyDouble prints it: `%.17g` (1.1 is sent as
    1.1000000000000001, 3 as 3, 1e20 as 1e+20), `inf`/`-inf`, `nan`."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if math.isnan(value):
        return b"nan"
    return b"%.17g" % value


def _sanitize(text: str) -> bytes:
    """Errors and status lines cannot carry CR or LF; Redis turns them into spaces."""
    data = text.encode("utf-8", "replace")
    if b"\r" in data or b"\n" in data:
        data = data.replace(b"\r", b" ").replace(b"\n", b" ")
    return data


def encode_into(out: list[bytes], reply: Any, proto: int) -> None:
    """Append the RESP encoding of `reply` to `out` (joined once per batch by the caller)."""
    kind = type(reply)
    if kind is bytes:
        out.append(b"$%d\r\n%s\r\n" % (len(reply), reply))
    elif kind is SimpleString:
        out.append(_STATUS.get(reply) or b"+" + _sanitize(reply) + _CRLF)
    elif kind is int:
        out.append(_SMALL_INTS[reply + 1] if -1 <= reply <= 1023 else b":%d\r\n" % reply)
    elif reply is None:
        out.append(_NULL3 if proto == 3 else _NULL2)
    elif kind is list or kind is tuple:
        out.append(b"*%d\r\n" % len(reply))
        for item in reply:
            encode_into(out, item, proto)
    elif kind is Error:
        out.append(b"-" + _sanitize(reply) + _CRLF)
    else:
        _encode_rare(out, reply, proto)


def _encode_rare(out: list[bytes], reply: Any, proto: int) -> None:
    if isinstance(reply, (bytearray, memoryview)):
        data = bytes(reply)
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    elif isinstance(reply, bool):
        if proto == 3:
            out.append(b"#t\r\n" if reply else b"#f\r\n")
        else:
            out.append(b":1\r\n" if reply else b":0\r\n")
    elif isinstance(reply, int):
        out.append(b":%d\r\n" % reply)
    elif isinstance(reply, float):
        text = format_double(reply)
        if proto == 3:
            out.append(b"," + text + _CRLF)
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(text), text))
    elif isinstance(reply, NullArray):
        out.append(_NULL3 if proto == 3 else b"*-1\r\n")
    elif isinstance(reply, dict):
        header = b"%%%d\r\n" % len(reply) if proto == 3 else b"*%d\r\n" % (len(reply) * 2)
        out.append(header)
        for key, value in reply.items():
            encode_into(out, key, proto)
            encode_into(out, value, proto)
    elif isinstance(reply, (set, frozenset, SetReply)):
        out.append((b"~%d\r\n" if proto == 3 else b"*%d\r\n") % len(reply))
        for item in reply:
            encode_into(out, item, proto)
    elif isinstance(reply, Push):
        out.append((b">%d\r\n" if proto == 3 else b"*%d\r\n") % len(reply))
        for item in reply:
            encode_into(out, item, proto)
    elif isinstance(reply, Replies):
        for item in reply:
            encode_into(out, item, proto)
    elif isinstance(reply, (list, tuple)):
        out.append(b"*%d\r\n" % len(reply))
        for item in reply:
            encode_into(out, item, proto)
    elif isinstance(reply, Verbatim):
        if proto == 3:
            body = reply.fmt.encode()[:3].ljust(3) + b":" + reply.data
            out.append(b"=%d\r\n%s\r\n" % (len(body), body))
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(reply.data), reply.data))
    elif isinstance(reply, BigNumber):
        text = str(reply).encode()
        out.append(b"(" + text + _CRLF if proto == 3 else b"$%d\r\n%s\r\n" % (len(text), text))
    elif isinstance(reply, DoubleText):
        text = str(reply).encode()
        out.append(b"," + text + _CRLF if proto == 3 else b"$%d\r\n%s\r\n" % (len(text), text))
    elif isinstance(reply, SimpleString):
        out.append(b"+" + _sanitize(reply) + _CRLF)
    elif isinstance(reply, Error):
        out.append(b"-" + _sanitize(reply) + _CRLF)
    elif isinstance(reply, NoReply):
        return
    elif isinstance(reply, str):
        data = reply.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    elif isinstance(reply, bytes):  # a bytes subclass (a module's RedisModuleString)
        out.append(b"$%d\r\n%s\r\n" % (len(reply), bytes(reply)))
    else:
        raise TypeError(f"cannot encode reply of type {type(reply).__name__}: {reply!r}")


def encode(reply: Any, proto: int = 2) -> bytes:
    """Encode one reply; convenient for tests and one-off writes."""
    out: list[bytes] = []
    encode_into(out, reply, proto)
    return b"".join(out)
