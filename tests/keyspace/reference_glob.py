"""A deliberately naive matcher written from Redis's documented glob semantics, walking the
raw pattern byte by byte and backtracking at every star: slow, but obviously faithful, so
the fast matcher is fuzzed against it."""

from __future__ import annotations


def _fold(code: int, nocase: bool) -> int:
    return code + 32 if nocase and 65 <= code <= 90 else code


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def _class_matches(pattern: bytes, i: int, byte: int, nocase: bool) -> tuple[bool, int]:
    """Whether `byte` is in the class whose `[` is at i-1; returns (hit, index after)."""
    n = len(pattern)
    negate = i < n and pattern[i] == ord("^")
    if negate:
        i += 1
    hit = False
    while i < n:
        c = pattern[i]
        if c == ord("\\") and i + 1 < n:
            hit |= pattern[i + 1] == byte
            i += 2
        elif c == ord("]"):
            i += 1
            break
        elif i + 2 < n and pattern[i + 1] == ord("-"):
            low, high = sorted((_signed(c), _signed(pattern[i + 2])))
            low, high = _fold(low, nocase), _fold(high, nocase)
            hit |= low <= _fold(_signed(byte), nocase) <= high
            i += 3
        else:
            hit |= _fold(c, nocase) == _fold(byte, nocase)
            i += 1
    return hit != negate, i


def reference_match(pattern: bytes, subject: bytes, nocase: bool = False, depth: int = 0) -> bool:
    if depth > 1000:
        return False
    p = s = 0
    while p < len(pattern) and s < len(subject):
        c = pattern[p]
        if c == ord("*"):
            while p + 1 < len(pattern) and pattern[p + 1] == ord("*"):
                p += 1
            if p + 1 == len(pattern):
                return True
            rest = pattern[p + 1 :]
            return any(
                reference_match(rest, subject[k:], nocase, depth + 1)
                for k in range(s, len(subject))
            )
        if c == ord("?"):
            s += 1
            p += 1
        elif c == ord("["):
            hit, p = _class_matches(pattern, p + 1, subject[s], nocase)
            if not hit:
                return False
            s += 1
        else:
            if c == ord("\\") and p + 1 < len(pattern):
                p += 1
                c = pattern[p]
            if _fold(c, nocase) != _fold(subject[s], nocase):
                return False
            s += 1
            p += 1
        if s == len(subject):
            while p < len(pattern) and pattern[p] == ord("*"):
                p += 1
    return p == len(pattern) and s == len(subject)
