"""The latency monitor: per event ("command", "fast-command", ...) the worst latency of each
of the last 160 seconds that had a spike over `latency-monitor-threshold`, as Redis keeps it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

#: Samples kept per event (Redis's LATENCY_TS_LEN): one per second at most.
HISTORY_LEN = 160


@dataclass
class LatencySeries:
    samples: list[tuple[int, int]] = field(default_factory=list)  # (unix second, ms), in order
    max_ms: int = 0

    def add(self, now: int, ms: int) -> None:
        self.max_ms = max(self.max_ms, ms)
        if self.samples and self.samples[-1][0] == now:
            last = self.samples[-1]
            self.samples[-1] = (now, max(last[1], ms))
            return
        self.samples.append((now, ms))
        if len(self.samples) > HISTORY_LEN:
            del self.samples[0]


class LatencyMonitor:
    def __init__(self) -> None:
        self.events: dict[str, LatencySeries] = {}

    def add(self, event: str, ms: int) -> None:
        self.events.setdefault(event, LatencySeries()).add(int(time.time()), ms)

    def reset(self, names: list[str] | None = None) -> int:
        """Forget the given events (all when None); returns how many existed."""
        if names is None:
            count = len(self.events)
            self.events.clear()
            return count
        return sum(self.events.pop(name, None) is not None for name in dict.fromkeys(names))

    def doctor(self, enabled: bool) -> str:
        """A short human report in Redis's words (its advice list is much longer)."""
        if not self.events and not enabled:
            return (
                "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this "
                'Redis instance. You may use "CONFIG SET latency-monitor-threshold '
                "<milliseconds>.\" in order to enable it. If we weren't in a deep space "
                "mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
            )
        if not self.events:
            return (
                "Dave, no latency spike was observed during the lifetime of this Redis "
                "instance, not in the slightest bit. I honestly think you ought to sit down "
                "calmly, take a stress pill, and think things over.\n"
            )
        lines = [
            "Dave, I have observed latency spikes in this Redis instance. You don't mind "
            "talking about it, do you Dave?",
            "",
        ]
        for number, (name, series) in enumerate(self.events.items(), start=1):
            lines.append(f"{number}. {name}: {_describe(series)}")
        lines += ["", "I have a few advices for you:", ""]
        if any(name in ("command", "fast-command") for name in self.events):
            lines.append(
                "- Check your Slow Log to understand what are the commands you are running "
                "which are too slow to execute. Please check https://redis.io/commands/slowlog "
                "for more information."
            )
        if "command" in self.events:
            lines.append(
                "- Deleting, expiring or evicting (because of maxmemory policy) large objects is "
                "a blocking operation. If you have very large objects that are often deleted, "
                "expired, or evicted, try to fragment those objects into multiple smaller "
                "objects."
            )
        return "\n".join(lines) + "\n"


def _describe(series: LatencySeries) -> str:
    values = [ms for _, ms in series.samples]
    average = sum(values) // len(values)
    deviation = sum(abs(ms - average) for ms in values) // len(values)
    span = series.samples[-1][0] - series.samples[0][0]
    period = span / len(values) if span else 1.0
    return (
        f"{len(values)} latency spikes (average {average}ms, mean deviation {deviation}ms, "
        f"period {period:.2f} sec). Worst all time event {series.max_ms}ms."
    )
