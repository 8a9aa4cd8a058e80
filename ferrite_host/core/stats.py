"""Server-wide counters INFO stats reports, and the samples behind its instantaneous rates."""

from __future__ import annotations


class Stats:
    def __init__(self) -> None:
        self.total_connections = 0
        self.total_commands = 0
        self.rejected_connections = 0
        #: Keys removed to stay under maxmemory (INFO stats evicted_keys).
        self.evicted_keys = 0
        #: Time spent over maxmemory, for INFO stats total_eviction_exceeded_time.
        self.eviction_exceeded_seconds = 0.0
        self.total_error_replies = 0
        self.errors: dict[str, int] = {}
        self.net_input_bytes = 0
        self.net_output_bytes = 0
        # Redis's instantaneous_* metrics: rates over the last few cron samples.
        self._samples: list[tuple[float, int, int, int]] = []

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def sample(self, now: float) -> None:
        """Record the counters once per cron tick (the last 16 samples are kept)."""
        counters = (now, self.total_commands, self.net_input_bytes, self.net_output_bytes)
        self._samples.append(counters)
        if len(self._samples) > 16:
            del self._samples[0]

    def instantaneous(self) -> tuple[float, float, float]:
        """(ops/sec, input kbps, output kbps) over the sampled window."""
        if len(self._samples) < 2:
            return 0.0, 0.0, 0.0
        (t0, c0, i0, o0), (t1, c1, i1, o1) = self._samples[0], self._samples[-1]
        elapsed = max(t1 - t0, 1e-6)
        return (c1 - c0) / elapsed, (i1 - i0) / elapsed / 1024, (o1 - o0) / elapsed / 1024
