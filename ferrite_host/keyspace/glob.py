"""Redis's glob-style pattern matching (KEYS, SCAN MATCH, CONFIG GET, COMMAND LIST, ACL).

A pattern is parsed once (with Redis's exact rules, quirks included) into a list of
one-byte matchers separated by `*` groups. Matching then places the pieces between stars
left to right, each at its leftmost possible position: with stars and fixed-width pieces
the leftmost placement is always a correct choice, so no backtracking is ever needed and a
match costs at most pattern length x subject length byte comparisons (CVE-2022-36021 was
a backtracking blow-up in exactly this function).

Redis's rules, as observed on redis-server 7.0:
- `*` any run of bytes (consecutive stars are one), `?` any one byte;
- `\\x` the byte x literally (a trailing backslash is a literal backslash);
- `[...]` one byte from the set, `[^...]` one byte not in it; inside, `\\x` is x (compared
  case-sensitively even under nocase), `a-z` is a range whose ends may come in either order
  and are compared as *signed* chars (so `[a-\\xff]` is the range -1..97), and a `]` right
  after `[` or `[^` ends an empty set; an unterminated `[` takes the rest of the pattern as
  its set;
- nocase folds ASCII letters only (C locale `tolower`);
- an empty subject matches only the empty pattern (not even `*`: KEYS and SCAN treat a bare
  `*` as "everything" before matching, which is why KEYS * lists the empty key);
- more than 1000 non-trailing star groups never match (Redis's recursion limit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

#: Redis gives up (no match) when a match would nest deeper than this many `*` groups.
MAX_STAR_NESTING = 1000

_STAR, _QUESTION, _OPEN, _CLOSE, _BACKSLASH, _CARET, _DASH = b"*?[]\\^-"
_ALL_BYTES = frozenset(range(256))

#: One byte matcher: the set of subject bytes it accepts.
ByteSet = frozenset[int]


def _lower(code: int) -> int:
    """C-locale tolower on a (possibly negative, i.e. signed char) code."""
    return code + 32 if 65 <= code <= 90 else code


def _signed(byte: int) -> int:
    return byte - 256 if byte >= 128 else byte


def _literal(byte: int, nocase: bool) -> ByteSet:
    if nocase and (65 <= byte <= 90 or 97 <= byte <= 122):
        return frozenset((byte | 0x20, byte & ~0x20))
    return frozenset((byte,))


def _range(first: int, last: int, nocase: bool) -> set[int]:
    low, high = sorted((_signed(first), _signed(last)))
    if nocase:
        low, high = _lower(low), _lower(high)
        return {b for b in range(256) if low <= _lower(_signed(b)) <= high}
    return {b for b in range(256) if low <= _signed(b) <= high}


def _bracket(pattern: bytes, pos: int, nocase: bool) -> tuple[ByteSet, int]:
    """The set a `[` at `pos - 1` denotes and the position after it."""
    size = len(pattern)
    negate = pos < size and pattern[pos] == _CARET
    if negate:
        pos += 1
    members: set[int] = set()
    while pos < size:
        char = pattern[pos]
        if char == _BACKSLASH and size - pos >= 2:
            members.add(pattern[pos + 1])  # escaped: exact byte, even under nocase
            pos += 2
        elif char == _CLOSE:
            pos += 1
            break
        elif size - pos >= 3 and pattern[pos + 1] == _DASH:
            members |= _range(char, pattern[pos + 2], nocase)
            pos += 3
        else:
            members |= _literal(char, nocase)
            pos += 1
    chosen = frozenset(members)
    return (_ALL_BYTES - chosen if negate else chosen), pos


def parse(pattern: bytes, nocase: bool = False) -> list[ByteSet | None]:
    """The pattern as byte matchers, None standing for one `*` group."""
    tokens: list[ByteSet | None] = []
    pos, size = 0, len(pattern)
    while pos < size:
        char = pattern[pos]
        pos += 1
        if char == _STAR:
            while pos < size and pattern[pos] == _STAR:
                pos += 1
            tokens.append(None)
        elif char == _QUESTION:
            tokens.append(_ALL_BYTES)
        elif char == _OPEN:
            members, pos = _bracket(pattern, pos, nocase)
            tokens.append(members)
        else:
            if char == _BACKSLASH and pos < size:
                char = pattern[pos]
                pos += 1
            tokens.append(_literal(char, nocase))
    return tokens


class _Piece:
    """A run of byte matchers between two stars: a plain byte string when every matcher
    is one exact byte (so bytes.find does the work), else a star-free regular expression
    of fixed width (no quantifiers, hence no backtracking)."""

    __slots__ = ("impossible", "literal", "regex", "width")

    def __init__(self, sets: list[ByteSet]) -> None:
        self.width = len(sets)
        self.impossible = any(not s for s in sets)
        self.literal: bytes | None = None
        self.regex: re.Pattern[bytes] | None = None
        if all(len(s) == 1 for s in sets):
            self.literal = bytes(next(iter(s)) for s in sets)
        elif not self.impossible:
            self.regex = re.compile(b"".join(_class(s) for s in sets), re.DOTALL)

    def match_at(self, subject: bytes, pos: int) -> bool:
        if self.literal is not None:
            return subject.startswith(self.literal, pos)
        assert self.regex is not None
        return self.regex.match(subject, pos) is not None

    def find(self, subject: bytes, pos: int, end: int) -> int:
        """End of the leftmost occurrence within subject[pos:end], or -1."""
        if self.literal is not None:
            found = subject.find(self.literal, pos, end)
            return -1 if found < 0 else found + self.width
        assert self.regex is not None
        match = self.regex.search(subject, pos, end)
        return -1 if match is None else match.end()


def _class(members: ByteSet) -> bytes:
    if members == _ALL_BYTES:
        return b"."
    if len(members) == 1:
        return re.escape(bytes(members))
    runs: list[bytes] = []
    ordered = sorted(members)
    start = prev = ordered[0]
    for byte in [*ordered[1:], -1]:
        if byte == prev + 1:
            prev = byte
            continue
        runs.append(b"\\x%02x" % start if start == prev else b"\\x%02x-\\x%02x" % (start, prev))
        start = prev = byte
    return b"[" + b"".join(runs) + b"]"


class GlobPattern:
    """A compiled pattern; `match(subject)` answers as Redis's stringmatchlen would."""

    __slots__ = ("_min_width", "_never", "_pieces", "_stars", "match")

    def __init__(self, pattern: bytes, nocase: bool = False) -> None:
        tokens = parse(pattern, nocase)
        pieces: list[list[ByteSet]] = [[]]
        for token in tokens:
            if token is None:
                pieces.append([])
            else:
                pieces[-1].append(token)
        self._stars = len(pieces) - 1
        self._pieces = [_Piece(sets) for sets in pieces]
        self._min_width = sum(piece.width for piece in self._pieces)
        nesting = self._stars - (1 if tokens and tokens[-1] is None else 0)
        self._never = nesting > MAX_STAR_NESTING or any(p.impossible for p in self._pieces)
        self.match: Callable[[bytes], bool] = self._choose_matcher()

    def _choose_matcher(self) -> Callable[[bytes], bool]:
        """The cheapest matcher for the pattern's shape (*, exact, prefix*, general)."""
        if self._never:
            return lambda subject: False
        if not self._pieces[0].width and not self._stars:
            return lambda subject: subject == b""
        first = self._pieces[0]
        if self._stars == 0:
            if first.literal is not None:
                literal = first.literal
                return lambda subject: subject == literal
            width = first.width
            return lambda subject: len(subject) == width and first.match_at(subject, 0)
        if self._stars == 1 and not self._pieces[1].width:
            if first.literal is not None:
                prefix = first.literal
                return lambda subject: subject.startswith(prefix) and subject != b""
            width = first.width
            return lambda subject: len(subject) >= width and first.match_at(subject, 0)
        return self._match_general

    def _match_general(self, subject: bytes) -> bool:
        size = len(subject)
        if size < self._min_width or not size:
            return False
        pieces = self._pieces
        first, last = pieces[0], pieces[-1]
        if first.width and not first.match_at(subject, 0):
            return False
        end = size - last.width
        if last.width and not last.match_at(subject, end):
            return False
        pos = first.width
        for piece in pieces[1:-1]:
            if piece.width:
                pos = piece.find(subject, pos, end)
                if pos < 0:
                    return False
        return True


@lru_cache(maxsize=1024)
def compile_glob(pattern: bytes, nocase: bool = False) -> GlobPattern:
    return GlobPattern(pattern, nocase)


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return compile_glob(bytes(pattern), nocase).match(bytes(subject))


__all__ = ["MAX_STAR_NESTING", "GlobPattern", "compile_glob", "glob_match", "parse"]
