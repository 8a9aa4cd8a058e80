"""Client-side caching support (CLIENT TRACKING): remember what clients read, tell them
when it changes.

Default mode remembers the keys each tracking client read (read-only commands) and sends one
invalidation when such a key changes, then forgets it until it is read again. BCAST mode
sends invalidations for every changed key under the client's prefixes, batched per prefix
at the end of each batch of commands. Invalidations go to the client itself (RESP3 push
`invalidate`) or to its REDIRECT client (a RESP3 push, or for a subscribed RESP2 client a
`__redis__:invalidate` message). Changes come from the keyspace's one change stream, so
every writer (clients, EXEC, modules, expiry) is covered. A client's own changes are
announced after its reply, as Redis 7.0 does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.core.hookspecs import hookimpl
from ferrite_host.protocol.replies import Push
from ferrite_host.pubsub.channels import PubSub

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState

INVALIDATE = b"invalidate"
CHANNEL = b"__redis__:invalidate"
#: Keyspace events that are the server's doing, not the running client's.
_SERVER_EVENTS = frozenset({"expired", "evicted"})


class TrackingOptions:
    """One client's CLIENT TRACKING settings (present only while tracking is on)."""

    __slots__ = (
        "bcast",
        "broken_redirect",
        "caching",
        "noloop",
        "optin",
        "optout",
        "prefixes",
        "redirect",
    )

    def __init__(self, redirect: int, bcast: bool) -> None:
        self.redirect = redirect
        self.bcast = bcast
        self.optin = False
        self.optout = False
        self.noloop = False
        #: CLIENT CACHING YES/NO was given for the next command.
        self.caching = False
        self.broken_redirect = False
        self.prefixes: list[bytes] = []

    def flags(self) -> list[bytes]:
        """CLIENT TRACKINGINFO's flags, in Redis's order."""
        flags = [b"on"]
        for name, on in (
            (b"bcast", self.bcast),
            (b"optin", self.optin),
            (b"optout", self.optout),
            (b"caching-yes", self.optin and self.caching),
            (b"caching-no", self.optout and self.caching),
            (b"noloop", self.noloop),
            (b"broken_redirect", self.broken_redirect),
        ):
            if on:
                flags.append(name)
        return flags


class _Prefix:
    """Clients broadcasting on one prefix, and the keys changed under it since last sent
    (key -> the session that last changed it, for NOLOOP)."""

    __slots__ = ("changed", "clients")

    def __init__(self) -> None:
        self.clients: dict[int, None] = {}
        self.changed: dict[bytes, Session | None] = {}


class Tracking:
    """The server's tracking tables, fed by the keyspace's change events."""

    def __init__(self, state: ServerState, pubsub: PubSub) -> None:
        self._state = state
        self._pubsub = pubsub
        #: Tracking clients' settings.
        self._options: dict[Session, TrackingOptions] = {}
        #: Default mode: key name (any database, as in Redis) -> ids of clients that read it.
        self._readers: dict[bytes, dict[int, None]] = {}
        self._prefixes: dict[bytes, _Prefix] = {}
        #: Invalidations for the client whose command is running, sent after its reply.
        self._own: list[tuple[Session, bytes]] = []
        self._flush_pending = False
        #: True while `after_reply` has something to send (checked after every reply).
        self.pending = False
        self._broadcast_pending = False
        #: The session whose commands are being answered (set by the connection).
        self.current: Session | None = None

    @classmethod
    def attach(cls, state: ServerState) -> Tracking:
        self = state.subsystems.install(cls(state, PubSub.of(state)))
        state.keyspace.subscribe(self._on_change)
        state.hooks.register(_TrackingHooks(self), name="tracking")
        return self

    @classmethod
    def of(cls, state: ServerState) -> Tracking:
        found = state.subsystems.get(cls)
        if found is None:
            raise RuntimeError("client tracking is not attached to this server (see assembly)")
        return found

    def options_of(self, session: Session) -> TrackingOptions | None:
        """`session`'s CLIENT TRACKING settings, None while tracking is off."""
        return self._options.get(session)

    # -- turning tracking on and off ----------------------------------------------------------

    def enable(
        self,
        session: Session,
        redirect: int,
        bcast: bool,
        optin: bool,
        optout: bool,
        noloop: bool,
        prefixes: list[bytes],
    ) -> None:
        options = self._options.get(session)
        if options is None:
            options = self._options[session] = TrackingOptions(redirect, bcast)
            session.command_observer = self.after_command
        options.redirect = redirect
        options.broken_redirect = False
        options.optin = options.optin or optin
        options.optout = options.optout or optout
        options.noloop = options.noloop or noloop
        if bcast:
            for prefix in prefixes or [b""]:
                if prefix not in options.prefixes:
                    options.prefixes.append(prefix)
                    self._prefixes.setdefault(prefix, _Prefix()).clients[session.id] = None

    def disable(self, session: Session) -> None:
        options = self._options.pop(session, None)
        if options is None:
            return
        if session.command_observer == self.after_command:
            session.command_observer = None
        for prefix in options.prefixes:
            entry = self._prefixes.get(prefix)
            if entry is not None:
                entry.clients.pop(session.id, None)
                if not entry.clients:
                    del self._prefixes[prefix]

    # -- what clients read --------------------------------------------------------------------

    def after_command(self, session: Session, spec: CommandSpec, argv: list[bytes]) -> None:
        """Remember the keys a read-only command read; CLIENT CACHING lasts one command
        (or one transaction) and CLIENT's own subcommands do not use it up."""
        options = self._options.get(session)
        if options is None:
            return
        if "readonly" in spec.flags and not options.bcast:
            wanted = not (options.optin or options.optout) or (options.optin == options.caching)
            if wanted:
                for key in spec.keys_of(argv):
                    self._readers.setdefault(key, {})[session.id] = None
        command = spec.parent.name if spec.parent is not None else spec.name
        if options.caching and command != "client" and not (session.in_multi or session.in_exec):
            options.caching = False

    # -- changes ------------------------------------------------------------------------------

    def _on_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if not self._options and not self._readers:
            return
        if key is None:
            if event == "flushdb":
                self._readers.clear()
                self._flush_pending = bool(self._options)
                self.pending = self.pending or self._flush_pending
            return
        # An expiry or an eviction is the server's change, not the running client's (Redis
        # signals it with no client), so NOLOOP does not hide it.
        changer = None if event in _SERVER_EVENTS else self.current
        readers = self._readers.pop(key, None)
        if readers:
            self._invalidate_readers(key, readers, changer)
        if self._prefixes:
            for prefix, entry in self._prefixes.items():
                if key.startswith(prefix):
                    entry.changed[key] = changer
                    self._broadcast_pending = True

    def _invalidate_readers(
        self, key: bytes, readers: dict[int, None], changer: Session | None
    ) -> None:
        clients = self._state.clients
        for client_id in sorted(readers):
            target = clients.get(client_id)
            options = self._options.get(target) if target is not None else None
            if target is None or options is None or options.bcast:
                continue
            if target is self.current:
                if not (options.noloop and changer is target):
                    self._own.append((target, key))
                    self.pending = True
                continue
            self._send(target, [key])

    # -- delivery -----------------------------------------------------------------------------

    def after_reply(self) -> None:
        """Send what the running command's own changes invalidated (after its reply)."""
        self.pending = False
        if self._flush_pending:
            self._flush_pending = False
            for session in list(self._options):
                self._send(session, None)
        own, self._own = self._own, []
        for session, key in own:
            if session in self._options:
                self._send(session, [key])

    def send_broadcasts(self) -> None:
        """BCAST mode: one message per prefix with the keys changed under it (sorted, as
        Redis's radix tree orders them); NOLOOP clients skip the keys they changed."""
        if not self._broadcast_pending:
            return
        self._broadcast_pending = False
        clients = self._state.clients
        for prefix in sorted(self._prefixes):
            entry = self._prefixes[prefix]
            if not entry.changed:
                continue
            changed, entry.changed = entry.changed, {}
            keys = sorted(changed)
            for client_id in sorted(entry.clients):
                target = clients.get(client_id)
                options = self._options.get(target) if target is not None else None
                if target is None or options is None:
                    continue
                mine = [k for k in keys if not (options.noloop and changed[k] is target)]
                if mine:
                    self._send(target, mine)

    def _send(self, session: Session, keys: list[bytes] | None) -> None:
        """One invalidation (keys, or None for "everything": a flush) for `session`."""
        options = self._options[session]
        target = session
        redirected = options.redirect > 0
        if redirected:
            found = self._state.clients.get(options.redirect)
            if found is None:
                options.broken_redirect = True
                if session.protocol == 3:
                    session.push(Push([b"tracking-redir-broken", options.redirect]))
                return
            target = found
        payload: Any = keys
        if target.protocol == 3:
            target.push(Push([INVALIDATE, payload]))
        elif redirected and self._pubsub.subscribed(target):
            target.push(Push([b"message", CHANNEL, payload]))


class _TrackingHooks:
    def __init__(self, tracking: Tracking) -> None:
        self._tracking = tracking

    @hookimpl
    def ferrite_cron(self, state: ServerState) -> None:
        """Changes made outside a client's batch (active expiry, timers, threads)."""
        if self._tracking.pending:
            self._tracking.after_reply()
        self._tracking.send_broadcasts()

    @hookimpl
    def ferrite_client_released(self, state: ServerState, session: Session) -> None:
        self._tracking.disable(session)
