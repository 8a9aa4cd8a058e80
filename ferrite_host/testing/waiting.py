"""Helpers for tests of blocking commands: run a call that blocks in a thread, and wait
(bounded in time) until the server reports the client blocked."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import redis

#: How long a helper waits before failing the test (never a timing assertion: a bound).
WAIT_SECONDS = 10.0


def in_background(function: Callable[[], Any]) -> Callable[[], Any]:
    """Start `function()` in a thread; the returned callable waits (WAIT_SECONDS at most)
    for its result, or raises what it raised."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def wait() -> Any:
        thread.join(WAIT_SECONDS)
        if thread.is_alive():
            raise AssertionError("the blocked call never returned")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    return wait


def wait_until_blocked(client: redis.Redis, count: int = 1) -> None:
    """Return once INFO reports at least `count` blocked clients (AssertionError after
    WAIT_SECONDS)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while int(client.info("clients")["blocked_clients"]) < count:
        if time.monotonic() >= deadline:
            raise AssertionError(f"fewer than {count} blocked clients after {WAIT_SECONDS}s")
        time.sleep(0.01)
