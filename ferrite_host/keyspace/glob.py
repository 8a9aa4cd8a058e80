"""Redis's glob-style pattern matching (KEYS, SCAN MATCH, CONFIG GET, COMMAND LIST)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: bytes, nocase: bool) -> re.Pattern[bytes] | None:
    """Translate a Redis glob into a regex; None when the pattern matches everything."""
    if pattern == b"*":
        return None
    out = bytearray()
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == 0x2A:  # *
            out += b".*"
        elif char == 0x3F:  # ?
            out += b"."
        elif char == 0x5C and i + 1 < size:  # backslash escapes the next byte
            i += 1
            out += re.escape(pattern[i : i + 1])
        elif char == 0x5B:  # [ ... ]
            end = i + 1
            if end < size and pattern[end] == 0x5E:
                end += 1
            if end < size and pattern[end] == 0x5D:
                end += 1
            while end < size and pattern[end] != 0x5D:
                end += 2 if pattern[end] == 0x5C else 1
            body = pattern[i + 1 : end]
            negate = body.startswith(b"^")
            if negate:
                body = body[1:]
            cls = bytearray()
            j = 0
            while j < len(body):
                if body[j] == 0x5C and j + 1 < len(body):
                    cls += re.escape(body[j + 1 : j + 2])
                    j += 2
                    continue
                if j + 2 < len(body) and body[j + 1] == 0x2D:
                    lo, hi = sorted((body[j], body[j + 2]))
                    cls += re.escape(bytes([lo])) + b"-" + re.escape(bytes([hi]))
                    j += 3
                    continue
                cls += re.escape(body[j : j + 1])
                j += 1
            if not cls:
                out += b"(?!)" if not negate else b"."
            else:
                out += b"[" + (b"^" if negate else b"") + bytes(cls) + b"]"
            i = end
        else:
            out += re.escape(pattern[i : i + 1])
        i += 1
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(bytes(out) + rb"\Z", flags)


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    regex = _compile(bytes(pattern), nocase)
    return regex is None or regex.match(subject) is not None


__all__ = ["glob_match"]
