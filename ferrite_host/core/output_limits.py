"""`client-output-buffer-limit`: per client class, a hard limit and a soft limit held for
some seconds, past which a client whose replies pile up unread is disconnected.

The setting is kept as Redis's CONFIG GET shows it (`normal 0 0 0 slave ... pubsub ...`);
a value names only the classes it changes, so `pubsub 1mb 512kb 60` keeps the others.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

DEFAULT = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

_CLASSES = {"normal": "normal", "slave": "slave", "replica": "slave", "pubsub": "pubsub"}
_ORDER = ("normal", "slave", "pubsub")
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2}
_UNITS |= {"g": 1000**3, "gb": 1024**3}
_ULL_MAX = 2**64 - 1

WRONG_COUNT = "Wrong number of arguments in buffer limit configuration."
BAD_CLASS = "Invalid client class specified in buffer limit configuration."
BAD_NUMBER = "Error in hard, soft or soft_seconds setting in buffer limit configuration."


class Limit(NamedTuple):
    hard: int
    soft: int
    soft_seconds: int


def _memory(word: str) -> int:
    """A byte count as Redis's memtoull reads it (`64mb`, `1k`, `100`)."""
    digits = word.rstrip("bBkKmMgG")
    unit = word[len(digits) :].lower()
    if not digits.isdigit() or unit not in _UNITS:
        raise ValueError(BAD_NUMBER)
    return min(int(digits), _ULL_MAX) * _UNITS[unit] % 2**64  # strtoull saturates


def _seconds(word: str) -> int:
    """Seconds as Redis reads them: strtoll (saturating), then kept in a C int."""
    text = word.lstrip()
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits.isdigit():
        raise ValueError(BAD_NUMBER)
    value = max(min(sign * int(digits), 2**63 - 1), -(2**63))
    as_int = (value + 2**31) % 2**32 - 2**31
    if as_int < 0:
        raise ValueError(BAD_NUMBER)
    return as_int


@lru_cache(maxsize=32)
def parse(text: str) -> dict[str, Limit]:
    """Every class's limit: DEFAULT, then each `<class> <hard> <soft> <seconds>` in `text`
    (a later one wins). ValueError carries Redis's message for a bad value."""
    words = text.split(" ") if text else []  # one space apart, as Redis splits it
    if len(words) % 4:
        raise ValueError(WRONG_COUNT)
    limits = dict(_parse_words(DEFAULT.split()))
    limits.update(_parse_words(words))
    return limits


def _parse_words(words: list[str]) -> list[tuple[str, Limit]]:
    parsed = []
    for index in range(0, len(words), 4):
        group = words[index : index + 4]
        name = _CLASSES.get(group[0].lower())
        if name is None:
            raise ValueError(BAD_CLASS)
        limit = Limit(_memory(group[1]), _memory(group[2]), _seconds(group[3]))
        parsed.append((name, limit))
    return parsed


def normalize(text: str) -> str:
    """The setting as CONFIG GET shows it, every class spelled out."""
    limits = parse(text)
    return " ".join(f"{name} {' '.join(str(v) for v in limits[name])}" for name in _ORDER)
