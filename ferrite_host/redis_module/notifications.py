"""Keyspace events for modules: `ctx.subscribe_to_keyspace_events(types, callback)` and
`ctx.notify_keyspace_event(type, event, key)`, with Redis's REDISMODULE_NOTIFY_* bits.

Subscribers hear every announcement of the classes they asked for, whatever
`notify-keyspace-events` says, synchronously after the change, with a context selected on
the event's database, as in Redis. A subscriber is not called again for events its own
callback causes (Redis guards the same way).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ferrite_host.keyspace import events
from ferrite_host.pubsub import KeyspaceNotifier

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState
    from ferrite_host.redis_module.api import RedisModuleCtx
    from ferrite_host.redis_module.module import RedisModule

log = logging.getLogger("ferrite")


class NotifyFlag(enum.IntFlag):
    """REDISMODULE_NOTIFY_*: the classes of keyspace events, as bits."""

    KEYSPACE = 1 << 0
    KEYEVENT = 1 << 1
    GENERIC = 1 << 2
    STRING = 1 << 3
    LIST = 1 << 4
    SET = 1 << 5
    HASH = 1 << 6
    ZSET = 1 << 7
    EXPIRED = 1 << 8
    EVICTED = 1 << 9
    STREAM = 1 << 10
    KEYMISS = 1 << 11
    LOADED = 1 << 12
    MODULE = 1 << 13
    NEW = 1 << 14
    #: Every class but KEYMISS, LOADED and NEW, as in Redis.
    ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE


_BY_LETTER = {
    events.GENERIC: NotifyFlag.GENERIC,
    events.STRING: NotifyFlag.STRING,
    events.LIST: NotifyFlag.LIST,
    events.SET: NotifyFlag.SET,
    events.HASH: NotifyFlag.HASH,
    events.ZSET: NotifyFlag.ZSET,
    events.EXPIRED: NotifyFlag.EXPIRED,
    events.EVICTED: NotifyFlag.EVICTED,
    events.STREAM: NotifyFlag.STREAM,
    events.KEY_MISS: NotifyFlag.KEYMISS,
    events.MODULE: NotifyFlag.MODULE,
    events.NEW: NotifyFlag.NEW,
}
_BY_FLAG = {flag: letter for letter, flag in _BY_LETTER.items()}

#: callback(ctx, type, event, key): Redis's RedisModuleNotificationFunc.
NotificationCallback = Callable[["RedisModuleCtx", int, str, bytes], Any]


def notify_flags_of(letters: frozenset[str]) -> NotifyFlag:
    """The NotifyFlag bits of `notify-keyspace-events` letters (K and E included)."""
    flags = NotifyFlag(0)
    for letter in letters:
        if letter == events.KEYSPACE_CHANNELS:
            flags |= NotifyFlag.KEYSPACE
        elif letter == events.KEYEVENT_CHANNELS:
            flags |= NotifyFlag.KEYEVENT
        elif letter in _BY_LETTER:
            flags |= _BY_LETTER[letter]
    return flags


def class_letter(kind: int) -> str | None:
    """The notification class letter of a REDISMODULE_NOTIFY_* type (its lowest class bit)."""
    for flag, letter in _BY_FLAG.items():
        if kind & flag:
            return letter
    return None


@dataclass(eq=False)
class _Subscription:
    module: RedisModule | None
    types: int
    callback: NotificationCallback
    active: bool = False


class ModuleKeyspaceEvents:
    """Every module's keyspace-event subscriptions on one server."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._subscriptions: list[_Subscription] = []
        self._session: Session | None = None

    @classmethod
    def of(cls, state: ServerState) -> ModuleKeyspaceEvents:
        found = state.subsystems.get(cls)
        if found is None:
            found = state.subsystems.install(cls(state))
            KeyspaceNotifier.of(state).listeners.append(found._deliver)
        return found

    def subscribe(
        self, module: RedisModule | None, types: int, callback: NotificationCallback
    ) -> None:
        self._subscriptions.append(_Subscription(module, int(types), callback))

    def forget(self, module: RedisModule) -> None:
        """Drop a module's subscriptions (it is being unloaded)."""
        self._subscriptions = [s for s in self._subscriptions if s.module is not module]

    def _deliver(self, db: int, key: bytes, event: str, cls: str) -> None:
        flag = _BY_LETTER.get(cls)
        if flag is None or not self._subscriptions:
            return
        from ferrite_host.redis_module.api import RedisModuleCtx

        for subscription in list(self._subscriptions):
            if not subscription.types & flag or subscription.active:
                continue
            subscription.active = True
            try:
                ctx = RedisModuleCtx(self._session_on(db), module=subscription.module)
                subscription.callback(ctx, int(flag), event, key)
                ctx.close_all_keys()
            except Exception:  # a module's bug must not break the command that changed the key
                log.exception("keyspace event callback of %s failed", subscription.module)
            finally:
                subscription.active = False

    def _session_on(self, db: int) -> Session:
        session = self._session
        if session is None:
            session = self._session = self._state.new_session(kind="module")
            session.authenticated = True
        session.select(db)
        return session
