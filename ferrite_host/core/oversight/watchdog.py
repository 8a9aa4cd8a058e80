"""The software watchdog (`watchdog-period`): a background thread that notices when one
command has kept the main thread longer than the period and logs the command, its client
and the main thread's Python stack, once per call, as Redis's SIGALRM watchdog does."""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

log = logging.getLogger("ferrite")

#: (what is running, who asked, perf_counter() at its start) for the outermost call.
RunningCall = tuple[Any, Any, float]


class Watchdog:
    def __init__(self, current: Callable[[], RunningCall | None]) -> None:
        self._current = current
        self._period = 0.0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: RunningCall | None = None

    @property
    def period_ms(self) -> int:
        return int(self._period * 1000)

    def set_period(self, period_ms: int) -> None:
        """Start (or retune, or with 0 pause) the watchdog."""
        self._period = period_ms / 1000
        if period_ms and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ferrite-watchdog", daemon=True)
            self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            period = self._period
            self._wake.wait(period / 4 if period else None)
            self._wake.clear()
            if not period:
                continue
            running = self._current()
            if running is None or running == self._reported:
                continue
            elapsed = time.perf_counter() - running[2]
            if elapsed >= period:
                self._reported = running
                self._report(running, elapsed)

    def _report(self, running: RunningCall, elapsed: float) -> None:
        log.warning("--- WATCHDOG TIMER EXPIRED ---\n%s\n--------", describe_call(running, elapsed))


def describe_call(running: RunningCall, elapsed: float) -> str:
    """The running command, its client, and where the main thread is in Python."""
    spec, session, _ = running
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)\n"
    client = (
        f"id={session.id} addr={session.addr or '?:0'} name={session.name}"
        if session is not None
        else "(internal)"
    )
    return (
        f"Command '{spec.full_name}' from client {client} has been running for "
        f"{int(elapsed * 1000)} ms\nPython stack trace (most recent call last):\n{stack}"
    ).rstrip("\n")
