"""The lock between the event loop and module threads (RM_ThreadSafeContextLock).

Redis has a global lock the main thread holds except while it sleeps in its poller. An
asyncio loop (or uvloop) offers no hook around its poll, so Ferrite's lock is a handshake
instead: a worker thread that locks queues a `park` callback on the loop
(`call_soon_threadsafe`) and waits until the loop runs it. The loop thread then sits
inside `park`, between two callbacks, so no command, timer, cron tick or I/O callback
runs until the worker unlocks; only then does `park` return and the loop carry on, first
serving the blocked clients the worker's writes made ready. A mutex among the workers makes
one of them hold the lock at a time; locking is reentrant within a thread. The loop thread
itself never waits: code running on it already excludes every worker, so locking there
only counts. Without a running loop (in process) the mutex alone serializes the threads.

The cost is the loop's: while a thread holds the lock the whole server waits, exactly as
with Redis's lock, so hold it for short steps (one SCAN page, one write).
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from ferrite_host.blocking import Blocking

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState

#: How often a waiting thread checks that the loop still runs (it may stop meanwhile).
_POLL_SECONDS = 0.05


class KeyspaceLock:
    """One server's lock; `acquire`/`release` from any thread, reentrant per thread."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._mutex = threading.RLock()
        self._depth = 0
        self._resume: threading.Event | None = None

    @classmethod
    def of(cls, state: ServerState) -> KeyspaceLock:
        found = state.subsystems.get(cls)
        return found if found is not None else state.subsystems.install(cls(state))

    def on_loop_thread(self) -> bool:
        """True when the caller runs on the server's event loop (or there is none)."""
        loop = self._state.event_loop
        if loop is None or not loop.is_running():
            return False
        try:
            return asyncio.get_running_loop() is loop
        except RuntimeError:
            return False

    def held_here(self) -> bool:
        """Whether the calling thread may touch the keyspace now."""
        return self.on_loop_thread() or self._mutex._is_owned()  # type: ignore[attr-defined]

    def acquire(self) -> None:
        if self.on_loop_thread():
            return
        self._mutex.acquire()
        self._depth += 1
        if self._depth > 1:
            return
        loop = self._state.event_loop
        if loop is None or not loop.is_running():
            return
        parked, resume = threading.Event(), threading.Event()
        self._resume = resume

        def park() -> None:
            parked.set()
            resume.wait()
            # Back on the loop: wake the clients the worker's writes made ready.
            blocking = Blocking.of(self._state)
            if blocking.ready:
                blocking.serve_ready()

        try:
            loop.call_soon_threadsafe(park)
        except RuntimeError:  # the loop closed meanwhile
            return
        while not parked.wait(_POLL_SECONDS):
            if not loop.is_running():
                return

    def release(self) -> None:
        if self.on_loop_thread():
            return
        if not self._mutex._is_owned():  # type: ignore[attr-defined]
            raise RuntimeError("thread_safe_context_unlock() without a matching lock")
        self._depth -= 1
        if self._depth == 0 and self._resume is not None:
            self._resume.set()
            self._resume = None
        self._mutex.release()
