"""Notification classes of keyspace change events, as `notify-keyspace-events` spells them.

Every change event carries Redis's event name for the command that caused it ("lpush",
"rename_from", "expired", ...) and one of these class letters, so keyspace notifications,
module subscriptions, WATCH, tracking and blocked clients all listen to one stream.
"""

from __future__ import annotations

GENERIC = "g"
STRING = "$"
LIST = "l"
SET = "s"
HASH = "h"
ZSET = "z"
STREAM = "t"
EXPIRED = "x"
EVICTED = "e"
KEY_MISS = "m"
NEW = "n"
MODULE = "d"
#: A change that WATCH and the dirty counter see but no keyspace notification names
#: (FLUSHDB, SWAPDB, a module's in-place write).
SILENT = ""
#: The event name (class SILENT) of Redis's signalModifiedKey when nothing changed: WATCH and
#: client tracking invalidate, the dirty counter ignores it.
SIGNAL_MODIFIED = "signal_modified"

#: Every class letter that names a kind of event (A is shorthand for all but m and n).
ALL_CLASSES = "g$lshztxed"

#: What `A` stands for in `notify-keyspace-events` (every class but key misses and `new`).
ALIAS_ALL = "g$lshzxetd"
KEYSPACE_CHANNELS = "K"
KEYEVENT_CHANNELS = "E"
#: Every letter `notify-keyspace-events` accepts, as Redis lists them in its error.
VALID_LETTERS = "Ag$lshzxeKEtmdn"
INVALID_LETTER = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."


def parse_notify_flags(text: str) -> frozenset[str]:
    """The letters of a `notify-keyspace-events` value, `A` expanded; ValueError (with
    Redis's message) on any other character."""
    letters: set[str] = set()
    for char in text:
        if char not in VALID_LETTERS:
            raise ValueError(INVALID_LETTER)
        letters.update(ALIAS_ALL if char == "A" else char)
    return frozenset(letters)


def normalize_notify_flags(text: str) -> str:
    """A `notify-keyspace-events` value with `A` spelled out, in one fixed order: what the
    server stores, so nothing is lost (CONFIG GET's spelling drops `n` next to `A`)."""
    letters = parse_notify_flags(text)
    return "".join(c for c in ALIAS_ALL + NEW + "KEm" if c in letters)


def format_notify_flags(letters: frozenset[str]) -> str:
    """Redis's canonical spelling: `A` when every class is on (Redis then omits `n` too),
    else the classes in Redis's order; then K, E and m."""
    every_class = set(ALIAS_ALL) <= letters
    text = "A" if every_class else "".join(c for c in ALIAS_ALL + NEW if c in letters)
    return text + "".join(c for c in "KEm" if c in letters)
