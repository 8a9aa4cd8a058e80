"""SIGTERM/SIGINT while one command holds the server: Redis would wait for it forever. Here
a Python-level signal handler (it runs between bytecodes, even inside a long command) starts
a timer; if the command is still running after `shutdown-timeout` seconds, its stack goes to
the log and the process exits without saving, so the data files keep only completed work.
When the command finishes in time, the event loop's own handler shuts down as usual."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from ferrite_host.core.oversight.watchdog import RunningCall, describe_call

log = logging.getLogger("ferrite")

#: Exit status when the timeout forces the process down.
FORCED_EXIT_CODE = 1
_POLL_SECONDS = 0.05


class ShutdownGuard:
    def __init__(
        self, call_in: Callable[[FrameType | None], RunningCall | None], timeout: Callable[[], int]
    ) -> None:
        self._call_in = call_in
        self._timeout = timeout
        self._armed = False

    def install(self, signals: tuple[signal.Signals, ...]) -> None:
        """Wrap whatever handler is installed (the event loop's), keeping it working."""
        for sig in signals:
            previous = signal.getsignal(sig)
            signal.signal(sig, self._handler(previous))

    def _handler(self, previous: Any) -> Callable[[int, FrameType | None], None]:
        def handle(signum: int, frame: FrameType | None) -> None:
            if callable(previous):
                previous(signum, frame)
            running = self._call_in(frame)
            if running is not None and not self._armed:
                self._armed = True
                log.warning(
                    "Received %s during command '%s'; waiting up to %d seconds for it "
                    "to finish (shutdown-timeout)",
                    signal.Signals(signum).name,
                    running[0].full_name,
                    self._timeout(),
                )
                threading.Thread(
                    target=self._wait, args=(running,), name="ferrite-shutdown", daemon=True
                ).start()

        return handle

    def _wait(self, running: RunningCall) -> None:
        deadline = time.monotonic() + self._timeout()
        while time.monotonic() < deadline:
            main = sys._current_frames().get(threading.main_thread().ident or 0)
            if self._call_in(main) != running:
                self._armed = False
                return  # finished in time: the normal shutdown runs
            time.sleep(_POLL_SECONDS)
        log.warning(
            "shutdown-timeout reached while %s\nexiting without saving",
            describe_call(running, time.perf_counter() - running[2]),
        )
        logging.shutdown()
        os._exit(FORCED_EXIT_CODE)
