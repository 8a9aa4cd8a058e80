"""How much memory the server uses: the one measure INFO, MEMORY and maxmemory checks share."""

from __future__ import annotations

import os
import resource
import sys


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
