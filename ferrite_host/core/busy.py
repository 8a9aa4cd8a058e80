"""Staying responsive during one long call (Redis's processEventsWhileBlocked).

asyncio and uvloop cannot re-enter their loop from inside a callback, so a call that runs
long (a script's instruction hook, a module's `yield`, a long scan) calls the pump the
network layer installs here instead: it reads what other clients sent, answers their
commands with the given -BUSY error (running the few Redis allows while busy: those flagged
allow_busy, and SHUTDOWN NOSAVE), and keeps partial frames for afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

#: pump(busy_error): serve other clients once, answering them `busy_error`.
EventPump = Callable[[str], None]

SCRIPT_BUSY = (
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
)
FUNCTION_BUSY = (
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)
MODULE_BUSY = "BUSY Redis is busy running a module command."
