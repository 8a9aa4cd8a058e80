"""Keyspace notifications: change events published as `__keyspace@<db>__:<key>` and
`__keyevent@<db>__:<event>` messages, as `notify-keyspace-events` selects.

One listener on the keyspace's change stream does all of it, so every mutator (clients,
EXEC, modules, expiry, AOF replay excluded by the loading flag) is covered and no command
handler publishes by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.keyspace.events import (
    KEYEVENT_CHANNELS,
    KEYSPACE_CHANNELS,
    parse_notify_flags,
)

if TYPE_CHECKING:
    from ferrite_host.server.state import ServerState


class KeyspaceNotifier:
    """Turns change events into pub/sub messages for the enabled classes."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._classes: frozenset[str] = frozenset()
        self._keyspace_channels = False
        self._keyevent_channels = False
        self.configure(state.settings.notify_keyspace_events)
        state.keyspace.subscribe(self._on_change)
        state.config_listeners.append(self._on_config)

    def configure(self, value: str) -> None:
        letters = parse_notify_flags(value)
        self._keyspace_channels = KEYSPACE_CHANNELS in letters
        self._keyevent_channels = KEYEVENT_CHANNELS in letters
        enabled = self._keyspace_channels or self._keyevent_channels
        self._classes = letters - {KEYSPACE_CHANNELS, KEYEVENT_CHANNELS} if enabled else frozenset()

    def _on_config(self, changed: set[str]) -> None:
        if "notify_keyspace_events" in changed:
            self.configure(self._state.settings.notify_keyspace_events)

    def _on_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if key is None or cls not in self._classes:
            return
        pubsub = self._state.pubsub
        if not pubsub.has_listeners():
            return
        name = event.encode()
        if self._keyspace_channels:
            pubsub.publish(b"__keyspace@%d__:%s" % (db, key), name)
        if self._keyevent_channels:
            pubsub.publish(b"__keyevent@%d__:%s" % (db, name), key)
