"""Redis's log levels, in one table for the server's log, CONFIG SET loglevel and modules.

Redis's `verbose` sits between debug and notice; Python's logging has no such level, so it
gets its own number, and every user of the names maps them through here.
"""

from __future__ import annotations

import logging

VERBOSE = 15
NOTHING = logging.CRITICAL + 10

#: Redis level names -> logging levels.
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "verbose": VERBOSE,
    "notice": logging.INFO,
    "warning": logging.WARNING,
    "nothing": NOTHING,
}

#: Redis marks each log line's level with one character.
_LEVEL_CHARS = {logging.DEBUG: ".", VERBOSE: "-", logging.INFO: "*", logging.WARNING: "#"}


def level_of(name: str, default: int = logging.INFO) -> int:
    """The logging level of a Redis level name (any case); `default` for unknown names."""
    return LOG_LEVELS.get(name.lower(), default)


def level_char(levelno: int) -> str:
    """The character Redis prints for a level: `.` debug, `-` verbose, `*` notice, `#` warning."""
    if levelno >= logging.WARNING:
        return "#"
    return _LEVEL_CHARS.get(levelno, "-")
