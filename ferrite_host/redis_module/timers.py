"""Module timers (RM_CreateTimer, RM_StopTimer, RM_GetTimerInfo).

A timer runs its callback once, `ms` milliseconds later, on the event loop (so the keyspace
is only touched there), with a context of its own on database 0, as Redis runs them. What
the callback asks to replicate (`ctx.replicate`) is propagated; nothing else is, as for any
work finished outside a client's command. Without a running loop (an in-process harness)
timers fire from the server's cron hook.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState
    from ferrite_host.redis_module.api import RedisModuleCtx

log = logging.getLogger("ferrite")

#: `callback(ctx, data)`
TimerCallback = Callable[["RedisModuleCtx", Any], None]


@dataclass
class _Timer:
    id: int
    module: str
    due: float
    callback: TimerCallback
    data: Any
    handle: asyncio.TimerHandle | None = field(default=None, repr=False)


class ModuleTimers:
    """Every pending module timer of one server, by id."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._timers: dict[int, _Timer] = {}
        self._ids = itertools.count(1)

    @classmethod
    def of(cls, state: ServerState) -> ModuleTimers:
        """The server's timers (installed on first use)."""
        found = state.subsystems.get(cls)
        return found if found is not None else state.subsystems.install(cls(state))

    def create(self, module: str, ms: int, callback: TimerCallback, data: Any) -> int:
        timer = _Timer(
            next(self._ids), module, time.monotonic() + max(ms, 0) / 1000, callback, data
        )
        self._timers[timer.id] = timer
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            timer.handle = loop.call_later(max(ms, 0) / 1000, self._fire, timer.id)
        return timer.id

    def stop(self, timer_id: int, module: str) -> tuple[bool, Any]:
        """(True, data) when the module's timer was pending and is now stopped."""
        timer = self._timers.get(timer_id)
        if timer is None or timer.module != module:
            return False, None
        del self._timers[timer_id]
        if timer.handle is not None:
            timer.handle.cancel()
        return True, timer.data

    def info(self, timer_id: int, module: str) -> tuple[int, Any] | None:
        """(milliseconds left, data) of a pending timer of `module`."""
        timer = self._timers.get(timer_id)
        if timer is None or timer.module != module:
            return None
        return max(int((timer.due - time.monotonic()) * 1000), 0), timer.data

    def pending(self, module: str) -> int:
        return sum(1 for timer in self._timers.values() if timer.module == module)

    def fire_due(self) -> None:
        """Fire the timers that are due and have no loop handle (the cron fallback)."""
        now = time.monotonic()
        for timer in [t for t in self._timers.values() if t.handle is None and t.due <= now]:
            self._fire(timer.id)

    def _fire(self, timer_id: int) -> None:
        timer = self._timers.pop(timer_id, None)
        if timer is None:
            return
        from ferrite_host.redis_module.api import RedisModuleCtx

        with RedisModuleCtx.detached(self._state, timer.module) as ctx:
            try:
                timer.callback(ctx, timer.data)
            except Exception:  # a module's bug must not break the event loop
                log.error("Module %s: timer callback raised", timer.module, exc_info=True)
            session = ctx._session
            asked, session.propagation = session.propagation, None
            self._state.dispatcher.send_propagation(session, asked or [])
