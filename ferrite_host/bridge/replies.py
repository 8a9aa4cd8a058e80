"""Replies on Redis: streamed as they are made, so the bridge keeps count of them.

Redis sends each `RedisModule_ReplyWith*` at once, where Ferrite buffers a command's reply.
The bridge keeps the one rule both hosts share, one reply per command: a second top-level
reply is dropped (and logged) rather than desynchronising the client, a command that
replied nothing answers Ferrite's error, and a collection left half-sent by an exception is
completed with nulls so the client can read it.

The counting itself is C (the call's state, src/call.c: every reply method, Pythonic return
values and `reply_with_call_reply` trees); what is here are its rare paths, which C calls.
"""

from __future__ import annotations

import logging

log = logging.getLogger("ferrite")


def _text(message: object) -> object:
    if isinstance(message, (bytes, bytearray)):
        return message.decode("utf-8", "replace")
    return message


def line_bytes(message: object, strip: bool) -> bytes:
    """A simple-string or error text as Redis takes it: a C string (no NUL inside) on one
    protocol line (CR/LF and the other line breaks become spaces), UTF-8; `strip` drops
    trailing CR/LF first, as `reply_with_error` does."""
    text = _text(message)
    if strip:
        text = text.rstrip("\r\n")  # type: ignore[attr-defined]
    return error_bytes(str(text))


def error_bytes(text: str) -> bytes:
    """Redis takes a C string: no NUL inside, and CR/LF would break the protocol line."""
    return " ".join(text.replace("\x00", " ").splitlines()).encode("utf-8", "replace")


def warn_dropped(command: str) -> None:
    log.warning(
        "Module command '%s' replied more than once; Redis sends the first reply only (the "
        "others are dropped)",
        command,
    )


def warn_failed(command: str, failure: str) -> None:
    log.warning("Module command '%s' failed after replying: %s", command, failure)
