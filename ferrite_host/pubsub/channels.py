"""Publish/subscribe: who listens to which channel, pattern or shard channel.

The server keeps one `PubSub` (a subsystem, `PubSub.of(state)`); it keeps each client's
`Subscriptions` (what it listens to, in the order it subscribed), so SUBSCRIBE counts,
UNSUBSCRIBE-all and CLIENT LIST never scan the server-wide maps. Messages reach clients
through `Session.push`, which the connection writes from the event loop. While a client
has subscriptions, a command gate on its session enforces RESP2's subscribed mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ferrite_host.core.hookspecs import hookimpl
from ferrite_host.keyspace import glob_match
from ferrite_host.protocol.replies import Push

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState

#: All a RESP2 client may run while it has subscriptions (RESP3 clients may run anything).
SUBSCRIBED_MODE_COMMANDS = frozenset(
    {
        "subscribe",
        "ssubscribe",
        "psubscribe",
        "unsubscribe",
        "sunsubscribe",
        "punsubscribe",
        "ping",
        "quit",
        "reset",
    }
)


def subscribed_mode_gate(session: Session, spec: CommandSpec) -> str | None:
    """The command gate of a client with subscriptions: Redis's error for RESP2 clients."""
    if session.protocol != 2 or spec.name in SUBSCRIBED_MODE_COMMANDS:
        return None
    return (
        f"ERR Can't execute '{spec.full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING "
        "/ QUIT / RESET are allowed in this context"
    )


#: Subscribers of one channel, in subscription order (a dict used as an ordered set).
Subscribers = dict["Session", None]


class Subscriptions:
    """One session's channels, patterns and shard channels, in subscription order."""

    __slots__ = ("channels", "patterns", "shard_channels", "total")

    def __init__(self) -> None:
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard_channels: dict[bytes, None] = {}
        #: Every subscription of any kind: non-zero puts a RESP2 client in subscribed mode.
        self.total = 0

    def count(self) -> int:
        """What SUBSCRIBE/PSUBSCRIBE replies count: channels and patterns, not shards."""
        return len(self.channels) + len(self.patterns)

    def shard_count(self) -> int:
        return len(self.shard_channels)

    def _recount(self) -> None:
        self.total = len(self.channels) + len(self.patterns) + len(self.shard_channels)


class _Registry:
    """Server-wide subscribers of one kind of name (channels, patterns or shard channels)."""

    def __init__(self) -> None:
        self.by_name: dict[bytes, Subscribers] = {}

    def add(self, name: bytes, session: Session) -> None:
        self.by_name.setdefault(name, {})[session] = None

    def remove(self, name: bytes, session: Session) -> None:
        subscribers = self.by_name.get(name)
        if subscribers is not None:
            subscribers.pop(session, None)
            if not subscribers:
                del self.by_name[name]

    def names(self, pattern: bytes | None) -> list[bytes]:
        return [n for n in self.by_name if pattern is None or glob_match(pattern, n)]

    def count(self, name: bytes) -> int:
        return len(self.by_name.get(name, ()))


class PubSub:
    """Channel, pattern and shard-channel subscribers of one server."""

    def __init__(self) -> None:
        self._channels = _Registry()
        self._patterns = _Registry()
        self._shards = _Registry()
        self._clients: dict[Session, Subscriptions] = {}

    @classmethod
    def attach(cls, state: ServerState) -> PubSub:
        self = state.subsystems.install(cls())
        state.hooks.register(_PubSubHooks(self), name="pubsub")
        return self

    @classmethod
    def of(cls, state: ServerState) -> PubSub:
        found = state.subsystems.get(cls)
        if found is None:
            raise RuntimeError("pub/sub is not attached to this server (see assembly)")
        return found

    def subscriptions_of(self, session: Session) -> Subscriptions | None:
        return self._clients.get(session)

    def subscribed(self, session: Session) -> bool:
        """True while `session` has any subscription (RESP2: subscribed mode)."""
        return session in self._clients

    def _subscriptions(self, session: Session) -> Subscriptions:
        subs = self._clients.get(session)
        if subs is None:
            subs = self._clients[session] = Subscriptions()
        return subs

    def _settle(self, session: Session, subs: Subscriptions) -> None:
        """Enter or leave subscribed mode after a change to `session`'s subscriptions."""
        subs._recount()
        if subs.total:
            session.command_gate = subscribed_mode_gate
        else:
            self._clients.pop(session, None)
            if session.command_gate is subscribed_mode_gate:
                session.command_gate = None

    # -- subscribing --------------------------------------------------------------------------

    def subscribe(self, session: Session, channels: Iterable[bytes]) -> list[Push]:
        """SUBSCRIBE: one confirmation per channel, each with the session's new count."""
        subs = self._subscriptions(session)
        replies = []
        for channel in channels:
            if channel not in subs.channels:
                subs.channels[channel] = None
                self._channels.add(channel, session)
            replies.append(Push([b"subscribe", channel, subs.count()]))
        self._settle(session, subs)
        return replies

    def psubscribe(self, session: Session, patterns: Iterable[bytes]) -> list[Push]:
        subs = self._subscriptions(session)
        replies = []
        for pattern in patterns:
            if pattern not in subs.patterns:
                subs.patterns[pattern] = None
                self._patterns.add(pattern, session)
            replies.append(Push([b"psubscribe", pattern, subs.count()]))
        self._settle(session, subs)
        return replies

    def ssubscribe(self, session: Session, channels: Iterable[bytes]) -> list[Push]:
        subs = self._subscriptions(session)
        replies = []
        for channel in channels:
            if channel not in subs.shard_channels:
                subs.shard_channels[channel] = None
                self._shards.add(channel, session)
            replies.append(Push([b"ssubscribe", channel, subs.shard_count()]))
        self._settle(session, subs)
        return replies

    def unsubscribe(self, session: Session, channels: list[bytes]) -> list[Push]:
        """UNSUBSCRIBE: the named channels, or every channel when none is named."""
        subs = self._subscriptions(session)
        names = channels or list(subs.channels)
        replies = []
        for channel in names:
            if channel in subs.channels:
                del subs.channels[channel]
                self._channels.remove(channel, session)
                subs._recount()
            replies.append(Push([b"unsubscribe", channel, subs.count()]))
        if not replies:
            replies.append(Push([b"unsubscribe", None, subs.count()]))
        self._settle(session, subs)
        return replies

    def punsubscribe(self, session: Session, patterns: list[bytes]) -> list[Push]:
        subs = self._subscriptions(session)
        names = patterns or list(subs.patterns)
        replies = []
        for pattern in names:
            if pattern in subs.patterns:
                del subs.patterns[pattern]
                self._patterns.remove(pattern, session)
                subs._recount()
            replies.append(Push([b"punsubscribe", pattern, subs.count()]))
        if not replies:
            replies.append(Push([b"punsubscribe", None, subs.count()]))
        self._settle(session, subs)
        return replies

    def sunsubscribe(self, session: Session, channels: list[bytes]) -> list[Push]:
        subs = self._subscriptions(session)
        names = channels or list(subs.shard_channels)
        replies = []
        for channel in names:
            if channel in subs.shard_channels:
                del subs.shard_channels[channel]
                self._shards.remove(channel, session)
                subs._recount()
            replies.append(Push([b"sunsubscribe", channel, subs.shard_count()]))
        if not replies:
            replies.append(Push([b"sunsubscribe", None, subs.shard_count()]))
        self._settle(session, subs)
        return replies

    def drop(self, session: Session) -> None:
        """Forget every subscription of `session` (disconnect, RESET), without replies."""
        subs = self._clients.pop(session, None)
        if session.command_gate is subscribed_mode_gate:
            session.command_gate = None
        if subs is None:
            return
        for channel in subs.channels:
            self._channels.remove(channel, session)
        for pattern in subs.patterns:
            self._patterns.remove(pattern, session)
        for channel in subs.shard_channels:
            self._shards.remove(channel, session)

    # -- publishing ---------------------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes) -> int:
        """Deliver to the channel's subscribers, then to every matching pattern's; returns
        how many deliveries were made (a client matching twice counts twice, as in Redis)."""
        receivers = 0
        subscribers = self._channels.by_name.get(channel)
        if subscribers:
            frame = Push([b"message", channel, message])
            for session in list(subscribers):
                session.push(frame)
                receivers += 1
        if self._patterns.by_name:
            for pattern, sessions in list(self._patterns.by_name.items()):
                if not glob_match(pattern, channel):
                    continue
                frame = Push([b"pmessage", pattern, channel, message])
                for session in list(sessions):
                    session.push(frame)
                    receivers += 1
        return receivers

    def spublish(self, channel: bytes, message: bytes) -> int:
        subscribers = self._shards.by_name.get(channel)
        if not subscribers:
            return 0
        frame = Push([b"smessage", channel, message])
        for session in list(subscribers):
            session.push(frame)
        return len(subscribers)

    def has_listeners(self) -> bool:
        """True when a PUBLISH could reach anyone (keyspace notifications check this first)."""
        return bool(self._channels.by_name or self._patterns.by_name)

    # -- introspection (PUBSUB) ---------------------------------------------------------------

    def channels(self, pattern: bytes | None = None) -> list[bytes]:
        return self._channels.names(pattern)

    def shard_channels(self, pattern: bytes | None = None) -> list[bytes]:
        return self._shards.names(pattern)

    def numsub(self, channel: bytes) -> int:
        return self._channels.count(channel)

    def shard_numsub(self, channel: bytes) -> int:
        return self._shards.count(channel)

    def numpat(self) -> int:
        """Distinct patterns with at least one subscriber, as Redis 7.0 counts them."""
        return len(self._patterns.by_name)


class _PubSubHooks:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    @hookimpl
    def ferrite_client_released(self, state: ServerState, session: Session) -> None:
        self._pubsub.drop(session)
