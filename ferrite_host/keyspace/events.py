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

#: Every class letter that names a kind of event (A is shorthand for all but m and n).
ALL_CLASSES = "g$lshztxed"
