"""Per-server command counters (INFO commandstats), kept apart from the shared declarations.

A `CommandSpec` is one frozen value every server shares; what one server counted about it
lives here, in the stats object its command table owns.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ferrite_host.core.spec import CommandSpec


class CommandCounters:
    """What INFO commandstats reports for one command or subcommand."""

    __slots__ = ("calls", "failed_calls", "rejected_calls", "seconds")

    def __init__(self) -> None:
        self.calls = 0
        #: Time spent in the handler, in seconds (a float: no conversion per call).
        self.seconds = 0.0
        self.failed_calls = 0
        self.rejected_calls = 0

    @property
    def usec(self) -> int:
        """Microseconds spent in the handler, as INFO commandstats reports them."""
        return int(self.seconds * 1_000_000)


class CommandStats(defaultdict["CommandSpec", CommandCounters]):
    """One server's counters by spec (specs compare by identity), created at zero on first
    use: `stats[spec].calls`. A dict subclass so the dispatcher pays one subscript per call."""

    def __init__(self) -> None:
        super().__init__(CommandCounters)

    def of(self, spec: CommandSpec) -> CommandCounters:
        """The counters of `spec` (zero if it never ran here)."""
        return self[spec]

    def forget(self, spec: CommandSpec) -> None:
        """Drop a command's counters (it left the table, e.g. MODULE UNLOAD)."""
        self.pop(spec, None)
        for sub in spec.subcommands.values():
            self.pop(sub, None)

    def reset(self) -> None:
        """Every counter back to zero (CONFIG RESETSTAT, after loading the data)."""
        self.clear()
