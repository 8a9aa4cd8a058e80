"""Request parser: RESP multibulk frames and telnet-style inline commands.

The hot path hands runs of complete multibulk frames to `hiredis.Reader`. The pure-Python
state machine below takes the rest: the frame a read ends in the middle of (it completes it
on the next read, then hands back to hiredis), inline commands, anything malformed, very
large declared counts. It follows Redis's own `processMultibulkBuffer` /
`processInlineBuffer` rules and error strings, and neither path ever allocates memory for
data it has not received.
"""

from __future__ import annotations

import re

from ferrite_host.strconv import parse_int

try:  # hiredis is a declared dependency; the fallback keeps a broken install usable.
    import hiredis

    HIREDIS_AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only without hiredis
    hiredis = None  # type: ignore[assignment]
    HIREDIS_AVAILABLE = False

INLINE_MAX_SIZE = 64 * 1024
INT_MAX = 2**31 - 1
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384
# hiredis pre-sizes a list for a declared array count; large counts take the Python path.
_LARGE_COUNT = re.compile(rb"\*-?\d{6,}")
_NO_DATA = object()
_PROBE = b"*0\r\n"
_SPACES = b" \t\n\r\x0b\x0c"


class ProtocolError(Exception):
    """A malformed request; the message is the text Redis sends after `-ERR `."""


class _Fallback(Exception):
    pass


class _Unauthenticated(ProtocolError):
    """A frame too large for a client that has not authenticated (yet); `pos` is where the
    offending line starts, so parsing can resume there once the client authenticated."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


#: Commands that may authenticate, so a frame after them is judged once they have run.
_AUTH_COMMANDS = frozenset({b"auth", b"hello"})


def split_inline(line: bytes) -> list[bytes]:
    """Split an inline command line as Redis's sdssplitargs does (quotes, escapes).

    Redis splits a C string, so a NUL byte ends the line: what follows it is ignored.
    """
    nul = line.find(b"\x00")
    if nul >= 0:
        line = line[:nul]
    args: list[bytes] = []
    pos, size = 0, len(line)
    while True:
        while pos < size and line[pos] in _SPACES:
            pos += 1
        if pos >= size:
            return args
        current = bytearray()
        in_double = in_single = False
        while True:
            if pos >= size:
                if in_double or in_single:
                    raise ProtocolError("Protocol error: unbalanced quotes in request")
                break
            char = line[pos]
            if in_double:
                is_hex_escape = line[pos + 1 : pos + 2] == b"x" and _is_hex(line[pos + 2 : pos + 4])
                if char == 0x5C and pos + 3 < size and is_hex_escape:
                    current.append(int(line[pos + 2 : pos + 4], 16))
                    pos += 3
                elif char == 0x5C and pos + 1 < size:
                    pos += 1
                    current.append(_ESCAPES.get(line[pos], line[pos]))
                elif char == 0x22:
                    if pos + 1 < size and line[pos + 1] not in _SPACES:
                        raise ProtocolError("Protocol error: unbalanced quotes in request")
                    in_double = False
                    pos += 1
                    break
                else:
                    current.append(char)
            elif in_single:
                if char == 0x5C and pos + 1 < size and line[pos + 1] == 0x27:
                    pos += 1
                    current.append(0x27)
                elif char == 0x27:
                    if pos + 1 < size and line[pos + 1] not in _SPACES:
                        raise ProtocolError("Protocol error: unbalanced quotes in request")
                    in_single = False
                    pos += 1
                    break
                else:
                    current.append(char)
            elif char in b" \n\r\t\x00":
                break
            elif char == 0x22:
                in_double = True
            elif char == 0x27:
                in_single = True
            else:
                current.append(char)
            pos += 1
        args.append(bytes(current))


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}


def _frame_size(argv: list[bytes]) -> int:
    """Bytes of the canonical multibulk frame for `argv` (hiredis accepts no other form)."""
    size = 3 + len(str(len(argv)))
    for arg in argv:
        length = len(arg)
        size += length + 5 + (1 if length < 10 else len(str(length)))
    return size


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


class RequestParser:
    """Incremental parser for one connection's request stream.

    `feed()` returns every complete command in the data; after a protocol error it sets
    `error` (Redis's message) and parses nothing more, so the caller can answer and close.
    """

    def __init__(
        self,
        max_bulk_len: int = 512 * 1024 * 1024,
        max_query_buffer: int = 1024 * 1024 * 1024,
        use_hiredis: bool = True,
    ) -> None:
        self.max_bulk_len = max_bulk_len
        self.max_query_buffer = max_query_buffer
        self.require_auth = False
        self.error: str | None = None
        self.overflow = False
        #: Parsing stopped before a frame an unauthenticated client may not send, right after
        #: an AUTH/HELLO in the same read: run the commands, update `require_auth`, and call
        #: `feed(b"")` to go on, as Redis (which parses one command at a time) would.
        self.auth_pending = False
        self._buf = bytearray()
        self._remaining = -1
        self._bulklen = -1
        self._args: list[bytes] = []
        self._hiredis = use_hiredis and HIREDIS_AVAILABLE
        self._reader = self._new_reader() if self._hiredis else None

    @property
    def backend(self) -> str:
        return "hiredis" if self._hiredis else "python"

    @staticmethod
    def _new_reader() -> hiredis.Reader:
        return hiredis.Reader(notEnoughData=_NO_DATA)

    def buffered(self) -> int:
        """Bytes received but not yet part of a complete command."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[list[bytes]]:
        """Every command completed by `data`, in order.

        hiredis takes runs of whole frames; the Python parser takes over only where a frame
        straddles two reads, for inline commands, and for anything hiredis would accept but
        Redis rejects (it then produces Redis's exact error).
        """
        if self.error is not None or self.overflow:
            return []
        commands: list[list[bytes]] = []
        self.auth_pending = False
        fast = self._reader is not None and not self.require_auth and len(data) <= self.max_bulk_len
        try:
            if not fast or self._buf or self._remaining >= 0 or data[:1] != b"*":
                self._buf += data
                data = self._parse(commands, handoff=fast)
            if data:
                # At most one hand-over each way per read keeps a hostile mix of frames linear.
                used = 0 if _LARGE_COUNT.search(data) else self._feed_hiredis(data, commands)
                if used < len(data):
                    self._buf += data[used:]
                    self._parse(commands)
        except ProtocolError as exc:
            self.error = str(exc)
            self._buf.clear()
        if len(self._buf) > self.max_query_buffer:
            self.overflow = True
            self._buf.clear()
        return commands

    def _feed_hiredis(self, data: bytes, commands: list[list[bytes]]) -> int:
        """Parse leading whole frames of `data` with hiredis; returns the bytes they used.

        hiredis never keeps state between calls: whatever it stops at (a partial frame, or a
        frame Redis would answer differently) goes back to the Python parser.
        """
        reader = self._reader
        assert reader is not None
        reader.feed(data)
        first = len(commands)
        try:
            while True:
                item = reader.gets()
                if item is _NO_DATA:
                    break
                if type(item) is not list or not item:
                    raise _Fallback
                for arg in item:
                    if type(arg) is not bytes:
                        raise _Fallback
                commands.append(item)
            if not reader.has_data():
                # hiredis consumes array headers before their elements arrive, so "no
                # unread bytes" can still mean "inside a frame". An empty frame fed now
                # comes back as [] only from a clean state.
                reader.feed(_PROBE)
                if reader.gets() == []:
                    return len(data)
        except (_Fallback, hiredis.ProtocolError):
            pass
        self._reader = self._new_reader()
        return sum(_frame_size(argv) for argv in commands[first:])

    def _parse(self, commands: list[list[bytes]], handoff: bool = False) -> bytes:
        """Parse the buffer; with `handoff`, stop at the first clean `*` frame start after
        some progress and return the rest (for hiredis), else return b""."""
        buf = self._buf
        pos = 0
        try:
            while True:
                if self._remaining < 0:
                    if pos >= len(buf):
                        break
                    if buf[pos] == 0x2A:
                        if handoff and pos:
                            rest = bytes(buf[pos:])
                            buf.clear()
                            pos = 0
                            return rest
                        new_pos = self._multibulk_header(buf, pos)
                    else:
                        new_pos = self._inline(buf, pos, commands)
                    if new_pos < 0:
                        break
                    pos = new_pos
                    continue
                pos, done = self._bulks(buf, pos)
                if not done:
                    break
                commands.append(self._args)
                self._args = []
                self._remaining = -1
        except _Unauthenticated as exc:
            if not any(argv[0].lower() in _AUTH_COMMANDS for argv in commands):
                raise
            self.auth_pending = True
            pos = exc.pos
        finally:
            if pos:
                del buf[:pos]
        return b""

    def _inline(self, buf: bytearray, pos: int, commands: list[list[bytes]]) -> int:
        newline = buf.find(b"\n", pos)
        if newline < 0:
            if len(buf) - pos > INLINE_MAX_SIZE:
                raise ProtocolError("Protocol error: too big inline request")
            return -1
        line = bytes(buf[pos:newline])
        if line.endswith(b"\r"):
            line = line[:-1]
        args = split_inline(line)
        if args:
            commands.append(args)
        return newline + 1

    def _multibulk_header(self, buf: bytearray, pos: int) -> int:
        end = buf.find(b"\r", pos)
        if end < 0:
            if len(buf) - pos > INLINE_MAX_SIZE:
                raise ProtocolError("Protocol error: too big mbulk count string")
            return -1
        if end + 1 >= len(buf):
            return -1
        count = parse_int(bytes(buf[pos + 1 : end]))
        if count is None or count > INT_MAX:
            raise ProtocolError("Protocol error: invalid multibulk length")
        if count > UNAUTH_MAX_MULTIBULK and self.require_auth:
            raise _Unauthenticated("Protocol error: unauthenticated multibulk length", pos)
        if count > 0:
            self._remaining = count
            self._args = []
        return end + 2

    def _bulks(self, buf: bytearray, pos: int) -> tuple[int, bool]:
        args = self._args
        size = len(buf)
        while self._remaining > 0:
            if self._bulklen < 0:
                if pos >= size:
                    return pos, False
                if buf[pos] != 0x24:
                    raise ProtocolError(f"Protocol error: expected '$', got '{chr(buf[pos])}'")
                end = buf.find(b"\r", pos)
                if end < 0:
                    if size - pos > INLINE_MAX_SIZE:
                        raise ProtocolError("Protocol error: too big bulk count string")
                    return pos, False
                if end + 1 >= size:
                    return pos, False
                length = parse_int(bytes(buf[pos + 1 : end]))
                if length is None or length < 0 or length > self.max_bulk_len:
                    raise ProtocolError("Protocol error: invalid bulk length")
                if length > UNAUTH_MAX_BULK and self.require_auth:
                    raise _Unauthenticated("Protocol error: unauthenticated bulk length", pos)
                self._bulklen = length
                pos = end + 2
            if size - pos < self._bulklen + 2:
                return pos, False
            args.append(bytes(memoryview(buf)[pos : pos + self._bulklen]))
            pos += self._bulklen + 2
            self._bulklen = -1
            self._remaining -= 1
        return pos, True
