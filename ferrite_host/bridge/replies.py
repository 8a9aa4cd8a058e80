"""Replies on Redis: streamed as they are made, so the bridge keeps count of them.

Redis sends each `RedisModule_ReplyWith*` at once, where Ferrite buffers a command's reply.
The stream below keeps the one rule both hosts share, one reply per command: a second
top-level reply is dropped (and logged) rather than desynchronising the client, a command
that replied nothing answers Ferrite's error, and a collection left half-sent by an
exception is completed with nulls so the client can read it.
"""

from __future__ import annotations

import logging
from typing import Any

from ferrite_host.bridge import _native as native
from ferrite_host.protocol.replies import (
    BigNumber,
    Error,
    NullArray,
    SetReply,
    SimpleString,
    Verbatim,
)

log = logging.getLogger("ferrite")

ARRAY, MAP, SET = 0, 1, 2
POSTPONED = -1


class ReplyStream:
    """The replies of one command call, sent to Redis through the C module."""

    __slots__ = ("_addr", "_command", "_dropped", "_open", "top_level")

    def __init__(self, addr: int, command: str) -> None:
        self._addr = addr
        self._command = command
        #: [kind, expected element count or POSTPONED, elements so far]
        self._open: list[list[int]] = []
        self.top_level = 0
        self._dropped = False

    # -- bookkeeping ------------------------------------------------------------------------

    def unfinished(self) -> bool:
        """Whether a collection is still open (its elements not all sent)."""
        return bool(self._open)

    def _may_send(self) -> bool:
        if self._open or self.top_level == 0:
            return True
        if not self._dropped:
            log.warning(
                "Module command '%s' replied more than once; Redis sends the first reply "
                "only (the others are dropped)",
                self._command,
            )
            self._dropped = True
        return False

    def _element_done(self) -> None:
        while self._open:
            top = self._open[-1]
            top[2] += 1
            if top[1] == POSTPONED or top[2] < top[1]:
                return
            self._open.pop()
        self.top_level += 1

    # -- the primitives ---------------------------------------------------------------------

    def scalar(self, send: Any, *args: Any) -> None:
        """Send one non-collection reply with `send(ctx, *args)`."""
        if not self._open and self.top_level == 0:  # the common case: the one reply
            send(self._addr, *args)
            self.top_level = 1
        elif self._may_send():
            send(self._addr, *args)
            self._element_done()

    def open(self, kind: int, length: int) -> None:
        """Start an array, map or set of `length` (POSTPONED: given later)."""
        if not self._may_send():
            return
        native.reply_aggregate(self._addr, kind, length)
        expected = length * 2 if kind == MAP and length != POSTPONED else length
        if expected == 0:
            self._element_done()
        else:
            self._open.append([kind, expected, 0])

    def set_length(self, kind: int, length: int) -> None:
        """Give the most recent postponed collection of `kind` its length."""
        for index in range(len(self._open) - 1, -1, -1):
            entry = self._open[index]
            if entry[1] == POSTPONED and (entry[0] == kind or kind == ARRAY):
                native.set_aggregate_length(self._addr, entry[0], length)
                entry[1] = length * 2 if entry[0] == MAP else length
                if index == len(self._open) - 1 and entry[2] >= entry[1]:
                    self._open.pop()
                    self._element_done()
                return
        raise ValueError(f"no postponed reply length is waiting to be set ({self._command})")

    def finish(self, failure: str | None = None) -> None:
        """End of the call: complete what is half-sent; answer something if nothing was."""
        while self._open:
            kind, expected, sent = self._open[-1]
            if expected == POSTPONED:
                native.set_aggregate_length(self._addr, kind, sent // 2 if kind == MAP else sent)
                self._open.pop()
                self._element_done()
            else:
                self.scalar(native.reply_null)
        if self.top_level == 0:
            text = failure or f"ERR module command '{self._command}' returned without replying"
            self.scalar(native.reply_error, _error_bytes(text))
        elif failure is not None:
            log.warning("Module command '%s' failed after replying: %s", self._command, failure)

    # -- value trees (the Pythonic API's return values, ctx.call replies) --------------------

    def value(self, reply: Any) -> None:
        """Send a reply value tree as Ferrite's encoder would write it."""
        kind = type(reply)
        if kind is bytes:
            self.scalar(native.reply_bulk, reply)
        elif kind is int:
            self.scalar(native.reply_long_long, reply)
        elif reply is None:
            self.scalar(native.reply_null)
        elif kind is SimpleString:
            self.scalar(native.reply_simple, _error_bytes(reply))
        elif kind is Error:
            self.scalar(native.reply_error, _error_bytes(reply))
        elif kind is bool:
            self.scalar(native.reply_bool, reply)
        elif kind is float:
            self.scalar(native.reply_double, reply)
        elif kind is list or kind is tuple or kind is SetReply:
            self.open(SET if kind is SetReply else ARRAY, len(reply))
            for item in reply:
                self.value(item)
        elif kind is dict:
            self.open(MAP, len(reply))
            for key, item in reply.items():
                self.value(key)
                self.value(item)
        elif kind is set or kind is frozenset:
            self.open(SET, len(reply))
            for item in reply:
                self.value(item)
        elif isinstance(reply, Verbatim):
            self.scalar(native.reply_verbatim, bytes(reply.data))
        elif kind is BigNumber:
            self.scalar(native.reply_big_number, reply.encode())
        elif kind is NullArray:
            self.scalar(native.reply_null_array)
        elif isinstance(reply, (bytes, bytearray, memoryview)):
            self.scalar(native.reply_bulk, bytes(reply))
        elif isinstance(reply, str):
            self.scalar(native.reply_bulk, reply.encode())
        elif isinstance(reply, int):
            self.scalar(native.reply_long_long, int(reply))
        else:
            raise TypeError(f"{kind.__name__} is not a reply value")


def _error_bytes(text: str) -> bytes:
    """Redis takes a C string: no NUL inside, and CR/LF would break the protocol line."""
    return " ".join(text.replace("\x00", " ").splitlines()).encode("utf-8", "replace")
