"""How much memory the server uses: the one measure INFO, MEMORY and maxmemory checks share."""

from __future__ import annotations

import os
import resource
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferrite_host.keyspace import Keyspace


def process_rss() -> int:
    """Resident set size of this process in bytes.

    Python has no allocator statistics Redis's `used_memory` could map to: the resident size
    is the one honest figure.
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


#: used_memory_startup: what the server's own structures count for before any data. The
#: interpreter's code and heap are not counted (as Redis does not count its executable):
#: see docs/operators-guide.md for how used_memory relates to the resident size.
STARTUP_BYTES = 1024 * 1024


def used_memory(keyspace: Keyspace) -> int:
    """Redis's used_memory as Ferrite estimates it: the startup figure plus the running
    total the keyspace keeps as values change (O(1): no scan)."""
    return STARTUP_BYTES + keyspace.used_bytes
