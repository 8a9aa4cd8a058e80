"""Server events for modules (RM_SubscribeToServerEvent), numbered as Redis numbers them.

A module subscribes from `on_load` (`module.subscribe_to_server_event(event, callback)`) or
from a context; `callback(ctx, event, subevent, data)` runs synchronously where the event
happens, with a context of its own. Delivered today: Persistence (RDB_START for BGSAVE,
AOF_START for BGREWRITEAOF, SYNC_RDB_START for SAVE, then ENDED or FAILED; fired in the
server process, where Redis fires the background ones in the child), Loading (RDB_START or
AOF_START, then ENDED or FAILED), FlushDB (start/end, data: the db or -1), ClientChange
(connected/disconnected, data: the client id), Shutdown, CronLoop (data: hz), ModuleChange
(loaded/unloaded, data: the module name), SwapDB (data: the two dbs) and Config (data: the
changed parameter names). A module's subscriptions go when it unloads.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.core import events as ev
from ferrite_host.core.hookspecs import hookimpl

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

#: `callback(ctx, event, subevent, data)`
ServerEventCallback = Callable[..., Any]


class ServerEvent(enum.IntEnum):
    """RedisModuleEvent_* ids."""

    PERSISTENCE = ev.PERSISTENCE
    FLUSHDB = ev.FLUSHDB
    LOADING = ev.LOADING
    CLIENT_CHANGE = ev.CLIENT_CHANGE
    SHUTDOWN = ev.SHUTDOWN
    CRON_LOOP = ev.CRON_LOOP
    MODULE_CHANGE = ev.MODULE_CHANGE
    SWAPDB = ev.SWAPDB
    CONFIG = ev.CONFIG


class ModuleServerEvents:
    """Which modules listen to which server events, and the delivery of each event."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._subscribers: dict[int, dict[str, ServerEventCallback]] = {}
        self._delivering = False

    @classmethod
    def of(cls, state: ServerState) -> ModuleServerEvents:
        found = state.subsystems.get(cls)
        if found is None:
            found = state.subsystems.install(cls(state))
            state.hooks.register(_ServerEventHooks(found), name="module-server-events")
        return found

    def subscribe(self, module: str, event: int, callback: ServerEventCallback | None) -> None:
        """Subscribe (or, with callback None, unsubscribe) `module` to `event`; one
        callback per module and event, as in Redis."""
        listeners = self._subscribers.setdefault(int(event), {})
        if callback is None:
            listeners.pop(module, None)
        else:
            listeners[module] = callback

    def forget(self, module: str) -> None:
        for listeners in self._subscribers.values():
            listeners.pop(module, None)

    def deliver(self, event: int, subevent: int, data: object) -> None:
        listeners = self._subscribers.get(event)
        if not listeners or self._delivering:
            return
        from ferrite_host.redis_module.api import RedisModuleCtx

        self._delivering = True  # a callback's own sessions announce nothing back to it
        try:
            for module, callback in list(listeners.items()):
                with RedisModuleCtx.detached(self._state, module) as ctx:
                    try:
                        callback(ctx, event, subevent, data)
                    except Exception:  # a module's bug must not stop the event's delivery
                        log.error("Module %s: server event callback raised", module, exc_info=True)
        finally:
            self._delivering = False


class _ServerEventHooks:
    def __init__(self, events: ModuleServerEvents) -> None:
        self._events = events

    @hookimpl
    def ferrite_server_event(
        self, state: ServerState, event: int, subevent: int, data: object
    ) -> None:
        if event == ev.CLIENT_CHANGE:
            data = getattr(data, "id", data)
        self._events.deliver(event, subevent, data)

    @hookimpl
    def ferrite_cron(self, state: ServerState) -> None:
        self._events.deliver(ev.CRON_LOOP, 0, state.settings.hz)

    @hookimpl
    def ferrite_shutdown(self, state: ServerState, save: bool | None) -> None:
        self._events.deliver(ev.SHUTDOWN, 0, None)

    @hookimpl
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        # Settings fields are spelled with "_"; module configs keep their own names.
        names = sorted(
            name if name in state.parameters else name.replace("_", "-") for name in changed
        )
        self._events.deliver(ev.CONFIG, ev.CONFIG_CHANGE, names)
