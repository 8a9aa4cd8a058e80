"""CLIENT PAUSE: which commands wait while the server is paused, and until when.

As Redis 7.0 does, a paused command is not refused: its client is postponed (it shows as
blocked) and the command runs once the pause ends. WRITE holds the commands that may change
data or replicate: write commands, EVAL/EVALSHA/FCALL unless their script declared
`no-writes`, PUBLISH, SPUBLISH, PFCOUNT, and EXEC of a transaction holding one of those.
ALL holds every command. Lookup, arity, AUTH and ACL errors are still answered at once, as
Redis checks them first. While paused, keys neither expire nor get evicted (a key past its
time reads as missing but stays in place).

The dispatcher asks `holds`; postponing the client itself is the blocking layer's job (it
installs `postpone` and `on_end`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.keyspace import Keyspace

#: Commands Redis 7.0 flags `may_replicate`: held by a WRITE pause although not writes.
MAY_REPLICATE = frozenset({"eval", "evalsha", "fcall", "publish", "spublish", "pfcount"})

#: Commands whose flags depend on the script they run, as Redis's getCommandFlags.
SCRIPT_CALLS = frozenset({"eval", "evalsha", "fcall"})

WRITE, ALL = "write", "all"


class ClientPause:
    """The server's one CLIENT PAUSE (a new pause replaces the current one, as in 7.0)."""

    def __init__(self, keyspace: Keyspace) -> None:
        self._keyspace = keyspace
        #: None when not paused; else WRITE or ALL.
        self.mode: str | None = None
        #: time.monotonic() when the pause ends.
        self.end = 0.0
        #: Installed by the blocking layer: postpones `session`'s `argv` (returns NO_REPLY).
        self.postpone: Callable[[Session, list[bytes]], Any] | None = None
        #: Installed by the blocking layer: runs the postponed commands once the pause ends.
        self.on_end: Callable[[], None] | None = None
        #: Installed by scripting: whether an EVAL/EVALSHA/FCALL runs a script or function
        #: that declared `no-writes` (Redis then lets it run during a WRITE pause).
        self.script_no_writes: Callable[[str, list[bytes]], bool] | None = None
        #: Resolves a queued command's spec (the dispatcher installs it), for EXEC.
        self.resolve: Callable[[list[bytes]], Any] | None = None

    @property
    def active(self) -> bool:
        return self.mode is not None

    def pause(self, mode: str, milliseconds: int) -> None:
        self.mode = mode
        self.end = time.monotonic() + milliseconds / 1000
        self._keyspace.expiry_paused = True

    def unpause(self) -> None:
        """End the pause now (CLIENT UNPAUSE, or its time is up): postponed clients run."""
        if self.mode is None:
            return
        self.mode = None
        self._keyspace.expiry_paused = False
        if self.on_end is not None:
            self.on_end()

    def check_timeout(self) -> bool:
        """End the pause if its time is up; True while still paused."""
        if self.mode is not None and time.monotonic() >= self.end:
            self.unpause()
        return self.mode is not None

    def holds(self, session: Session, spec: CommandSpec, argv: list[bytes]) -> bool:
        """Whether `session`'s command must wait for the pause to end."""
        if not self.check_timeout() or self.postpone is None:
            return False
        if session.kind != "normal" or session.push_writer is None:
            return False  # in-process callers cannot wait: they run, as replicas do in Redis
        if self.mode == ALL:
            return True
        return self._may_write(spec, argv) or (
            spec.name == "exec" and session.in_multi and self._queue_may_write(session)
        )

    def _may_write(self, spec: CommandSpec, argv: list[bytes]) -> bool:
        declared = self.script_no_writes
        if spec.name in SCRIPT_CALLS and declared is not None and declared(spec.name, argv):
            return False
        return spec.is_write or spec.name in MAY_REPLICATE

    def _queue_may_write(self, session: Session) -> bool:
        resolve = self.resolve
        if resolve is None:
            return False
        for queued in session.multi_queue:
            spec = resolve(queued)
            if hasattr(spec, "is_write") and self._may_write(spec, queued):
                return True
        return False
