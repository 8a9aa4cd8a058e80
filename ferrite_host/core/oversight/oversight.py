"""What the dispatcher tells about each finished call, and who listens: slow log, latency
monitor, MONITOR clients, watchdog. Thresholds are precomputed so that the common case (a
fast call, nobody monitoring) costs one comparison."""

from __future__ import annotations

import math
import sys
import threading
from types import CodeType, FrameType
from typing import TYPE_CHECKING

from ferrite_host.core.hookspecs import hookimpl
from ferrite_host.core.oversight.latency import LatencyMonitor
from ferrite_host.core.oversight.monitor import MonitorFeed
from ferrite_host.core.oversight.redaction import logged_argv
from ferrite_host.core.oversight.shutdown import ShutdownGuard
from ferrite_host.core.oversight.slowlog import SlowLog
from ferrite_host.core.oversight.watchdog import RunningCall, Watchdog

if TYPE_CHECKING:
    from ferrite_host.core.config import Settings
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState

#: Commands MONITOR shows before running them (what they run shows after), as Redis does.
FEED_BEFORE = frozenset({"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"})


def peer_of(session: Session) -> str:
    """How logs name a client: its address, or Redis's `?:0` for an internal caller."""
    return session.addr or "?:0"


def monitor_name(session: Session) -> str:
    """How MONITOR names a client, as Redis's feed does: `lua` for a script's calls,
    `unix:<path>` for a unix-socket client, else its address."""
    if session.kind == "lua":
        return "lua"
    if session.conn_type == "unix":
        return "unix:" + session.laddr.removesuffix(":0")
    return peer_of(session)


class Oversight:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.slowlog = SlowLog()
        self.latency = LatencyMonitor()
        self.monitors = MonitorFeed()
        #: The code of the dispatcher method every command runs in (the dispatcher sets it).
        self.call_code: CodeType | None = None
        self.watchdog = Watchdog(self.running)
        self.shutdown_guard = ShutdownGuard(self.call_in, lambda: settings.shutdown_timeout)
        #: Seconds a call must take before the slow log or latency monitor care.
        self.threshold = math.inf
        self.configure()

    def configure(self) -> None:
        """Re-read the settings (at start-up and after CONFIG SET)."""
        settings = self.settings
        limits = []
        if settings.slowlog_log_slower_than >= 0:
            limits.append(settings.slowlog_log_slower_than / 1_000_000)
        if settings.latency_monitor_threshold > 0:
            limits.append(settings.latency_monitor_threshold / 1000)
        self.threshold = min(limits, default=math.inf)
        shortest = (1000 // settings.hz) * 2  # Redis's floor: two cron ticks
        if 0 < settings.watchdog_period < shortest:
            settings.watchdog_period = shortest
        if self.watchdog.period_ms != settings.watchdog_period:
            self.watchdog.set_period(settings.watchdog_period)

    def running(self) -> RunningCall | None:
        """The outermost command the main thread is running now (read from its stack, so
        the dispatcher pays nothing per call for the watchdog and the shutdown guard)."""
        return self.call_in(sys._current_frames().get(threading.main_thread().ident or 0))

    def call_in(self, frame: FrameType | None) -> RunningCall | None:
        outermost = None
        while frame is not None:
            if frame.f_code is self.call_code:
                outermost = frame
            frame = frame.f_back
        if outermost is None:
            return None
        local = outermost.f_locals
        start = local.get("start")
        return None if start is None else (local["spec"], local["session"], start)

    @hookimpl
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        self.configure()

    def before(self, session: Session, spec: CommandSpec, argv: list[bytes]) -> None:
        """Only called while someone is monitoring."""
        if spec.name in FEED_BEFORE:
            self.monitors.feed(session.db_index, monitor_name(session), argv)

    @staticmethod
    def _shown_after(spec: CommandSpec) -> bool:
        """MONITOR hides admin commands (CONFIG, DEBUG, ...) and shows scripts up front."""
        return (
            not spec.is_admin
            and "skip_monitor" not in spec.flags
            and (spec.name not in FEED_BEFORE)
        )

    def after(self, session: Session, spec: CommandSpec, argv: list[bytes], seconds: float) -> None:
        """A call finished: called when it was slow enough to matter or someone monitors."""
        settings = self.settings
        flags = spec.flags
        if self.monitors.writers and self._shown_after(spec):
            shown = logged_argv(spec.full_name, argv)
            self.monitors.feed(session.db_index, monitor_name(session), shown)
        micros = int(seconds * 1_000_000)
        threshold = settings.latency_monitor_threshold
        if threshold and micros // 1000 >= threshold:
            self.latency.add("fast-command" if "fast" in flags else "command", micros // 1000)
        slower_than = settings.slowlog_log_slower_than
        if 0 <= slower_than <= micros and "skip_slowlog" not in flags:
            self.slowlog.push(
                logged_argv(spec.full_name, argv),
                micros,
                peer_of(session),
                session.name,
                settings.slowlog_max_len,
            )


__all__ = ["FEED_BEFORE", "Oversight", "peer_of"]
