"""Keyspace notifications: change events published as `__keyspace@<db>__:<key>` and
`__keyevent@<db>__:<event>` messages, as `notify-keyspace-events` selects.

One listener on the keyspace's change stream does all of it, so every mutator (clients,
EXEC, modules, expiry, AOF replay excluded by the loading flag) is covered and no command
handler publishes by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ferrite_host.core.hookspecs import hookimpl
from ferrite_host.keyspace.events import (
    KEY_MISS,
    KEYEVENT_CHANNELS,
    KEYSPACE_CHANNELS,
    parse_notify_flags,
)
from ferrite_host.pubsub.channels import PubSub

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState


#: (db, key, event, class letter): told of every announcement, whatever the setting says
#: (module keyspace subscriptions).
AnnouncementListener = Callable[[int, bytes, str, str], None]


class KeyspaceNotifier:
    """Announces keyspace events: to its listeners (modules), then as pub/sub messages for
    the classes `notify-keyspace-events` enables, as Redis's notifyKeyspaceEvent does."""

    def __init__(self, state: ServerState, pubsub: PubSub) -> None:
        self._state = state
        self._pubsub = pubsub
        self._classes: frozenset[str] = frozenset()
        self._keyspace_channels = False
        self._keyevent_channels = False
        self.listeners: list[AnnouncementListener] = []
        self.configure(state.settings.notify_keyspace_events)

    @classmethod
    def of(cls, state: ServerState) -> KeyspaceNotifier:
        found = state.subsystems.get(cls)
        if found is None:
            raise RuntimeError("keyspace notifications are not attached (see assembly)")
        return found

    @classmethod
    def attach(cls, state: ServerState) -> KeyspaceNotifier:
        self = state.subsystems.install(cls(state, PubSub.of(state)))
        state.keyspace.subscribe(self._on_change)
        state.keyspace.miss_listeners.append(self._on_miss)
        state.hooks.register(_NotifierHooks(self), name="keyspace-notifications")
        return self

    def configure(self, value: str) -> None:
        letters = parse_notify_flags(value)
        self._keyspace_channels = KEYSPACE_CHANNELS in letters
        self._keyevent_channels = KEYEVENT_CHANNELS in letters
        enabled = self._keyspace_channels or self._keyevent_channels
        self._classes = letters - {KEYSPACE_CHANNELS, KEYEVENT_CHANNELS} if enabled else frozenset()

    def on_config(self, changed: set[str]) -> None:
        if "notify_keyspace_events" in changed:
            self.configure(self._state.settings.notify_keyspace_events)

    def _on_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if key is not None and cls and (self.listeners or cls in self._classes):
            self.announce(db, key, event, cls)

    def _on_miss(self, db: int, key: bytes) -> None:
        if self.listeners or KEY_MISS in self._classes:
            self.announce(db, key, "keymiss", KEY_MISS)

    def announce(self, db: int, key: bytes, event: str, cls: str) -> None:
        """One keyspace event: a change (from the change stream) or a module's own
        announcement (RedisModule_NotifyKeyspaceEvent), which changes nothing itself."""
        if self.listeners:
            for listener in tuple(self.listeners):
                listener(db, key, event, cls)
        if cls not in self._classes:
            return
        pubsub = self._pubsub
        if not pubsub.has_listeners():
            return
        name = event.encode()
        if self._keyspace_channels:
            pubsub.publish(b"__keyspace@%d__:%s" % (db, key), name)
        if self._keyevent_channels:
            pubsub.publish(b"__keyevent@%d__:%s" % (db, name), key)


class _NotifierHooks:
    def __init__(self, notifier: KeyspaceNotifier) -> None:
        self._notifier = notifier

    @hookimpl
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        self._notifier.on_config(changed)
