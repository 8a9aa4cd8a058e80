"""The server's blocked clients, woken by the keyspace's change-event stream.

A blocking command that cannot finish now parks its client here (`Blocking.block`) with the
keys it waits on, a deadline, and a `serve` function that tries to finish the command for
one key. A change event on a watched key marks the key ready; after the command that made
the change (the network layer calls `serve_ready`, as Redis's handleClientsBlockedOnKeys),
each ready key's waiters are tried first-come first-served. The reply goes out through the
session's push writer; the network layer stops answering a blocked client until then.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ferrite_host.core.hookspecs import hookimpl
from ferrite_host.protocol.replies import NO_REPLY, Error, NoReply

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState


class _NotReady:
    def __repr__(self) -> str:
        return "NOT_READY"


#: What a `Serve` returns when the key cannot finish the command yet (empty, wrong type).
NOT_READY: Any = _NotReady()

#: Tries to finish a blocked command with the ready `key`: its reply, or NOT_READY.
Serve = Callable[[bytes], Any]

UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

WatchedKey = tuple[int, bytes]


class Waiter:
    """One blocked client: what it waits on, until when, and how to finish its command."""

    __slots__ = (
        "deadline",
        "keys",
        "on_end",
        "on_timeout",
        "postponed",
        "resume",
        "serve",
        "session",
        "timeout_reply",
        "timer",
        "unblockable",
    )

    def __init__(
        self,
        session: Session,
        keys: list[WatchedKey],
        deadline: float | None,
        serve: Serve | None,
        timeout_reply: Any,
    ) -> None:
        self.session = session
        self.keys = keys
        #: time.monotonic() after which the client gets `timeout_reply`; None: forever.
        self.deadline = deadline
        self.serve = serve
        self.timeout_reply = timeout_reply
        self.timer: asyncio.TimerHandle | None = None
        #: Set by the network layer: carries on with the client's next commands.
        self.resume: Callable[[], None] | None = None
        #: Computes the timeout reply instead of `timeout_reply` (a module's callback).
        self.on_timeout: Callable[[], Any] | None = None
        #: False: CLIENT UNBLOCK answers 0 (a module client without a timeout callback).
        self.unblockable = True
        #: Told why the wait ended ("served", "timeout", "error", "released").
        self.on_end: Callable[[str], None] | None = None
        #: The command CLIENT PAUSE holds (run once the pause ends); None for other waits.
        self.postponed: list[bytes] | None = None

    def timed_out_reply(self) -> Any:
        return self.on_timeout() if self.on_timeout is not None else self.timeout_reply


class Blocking:
    """Every blocked client of one server, and the keys they wait on (FIFO per key)."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._waiters: dict[Session, Waiter] = {}
        #: Waiters per (db, key), in arrival order (dicts as ordered sets).
        self._queues: dict[WatchedKey, dict[Waiter, None]] = {}
        #: Keys changed since the last `serve_ready`, in the order they changed.
        self.ready: dict[WatchedKey, None] = {}
        self._serve_scheduled = False
        #: Callbacks told when a key is ready, without a blocked client of their own
        #: (a module coroutine awaiting a key); per (db, key), in arrival order.
        self._listeners: dict[WatchedKey, dict[Callable[[], None], None]] = {}
        #: Clients CLIENT PAUSE holds, in arrival order.
        self._postponed: list[Waiter] = []
        self._pause_timer: asyncio.TimerHandle | None = None
        state.keyspace.subscribe(self._on_change)
        state.pause.postpone = self.postpone
        state.pause.on_end = self._pause_ended

    @classmethod
    def attach(cls, state: ServerState) -> Blocking:
        self = state.subsystems.install(cls(state))
        state.hooks.register(_BlockingHooks(self), name="blocking")
        return self

    @classmethod
    def of(cls, state: ServerState) -> Blocking:
        found = state.subsystems.get(cls)
        if found is None:
            raise RuntimeError("blocking is not attached to this server (see assembly)")
        return found

    # -- questions ------------------------------------------------------------------------

    @staticmethod
    def can_block(session: Session) -> bool:
        """False inside EXEC, scripts, module calls and in-process callers: there the
        command answers as if it timed out at once, as Redis's CLIENT_DENY_BLOCKING."""
        return session.push_writer is not None and not session.in_exec and session.kind == "normal"

    def is_blocked(self, session: Session) -> bool:
        return session in self._waiters

    def waiter_of(self, session: Session) -> Waiter | None:
        return self._waiters.get(session)

    def blocked_count(self) -> int:
        return len(self._waiters)

    def blocking_keys(self) -> int:
        return len(self._queues)

    # -- blocking -------------------------------------------------------------------------

    def block(
        self,
        session: Session,
        keys: Iterable[bytes],
        timeout: float | None,
        serve: Serve | None,
        timeout_reply: Any,
    ) -> NoReply:
        """Park `session` on `keys` (in its database) for `timeout` seconds (None: forever).

        Returns NO_REPLY, which the command handler returns: the reply comes later."""
        self.park(session, keys, timeout, serve, timeout_reply)
        return NO_REPLY

    def park(
        self,
        session: Session,
        keys: Iterable[bytes],
        timeout: float | None,
        serve: Serve | None,
        timeout_reply: Any,
    ) -> Waiter:
        """`block`, returning the waiter (for callers that tune its callbacks)."""
        db = session.db_index
        watched = list(dict.fromkeys((db, key) for key in keys))
        deadline = None if timeout is None else time.monotonic() + timeout
        waiter = Waiter(session, watched, deadline, serve, timeout_reply)
        self._waiters[session] = waiter
        for wkey in watched:
            self._queues.setdefault(wkey, {})[waiter] = None
        if timeout is not None:
            loop = _running_loop()
            if loop is not None:
                waiter.timer = loop.call_later(timeout, self._time_out, waiter)
        return waiter

    def finish(self, session: Session, reply: Any) -> bool:
        """Answer a blocked client with `reply` now (a module unblocking it)."""
        waiter = self._waiters.get(session)
        if waiter is None:
            return False
        self._finish(waiter, reply)
        return True

    def signal(self, db: int, key: bytes) -> None:
        """Mark `key` ready as a change to it would (RM_SignalKeyAsReady)."""
        self._on_change(db, key, "", "")

    def listen(self, db: int, keys: Iterable[bytes], callback: Callable[[], None]) -> None:
        """Call `callback()` once one of `keys` is ready (then forget it everywhere)."""
        for key in keys:
            self._listeners.setdefault((db, key), {})[callback] = None

    def unlisten(self, callback: Callable[[], None]) -> None:
        for wkey in [w for w, found in self._listeners.items() if callback in found]:
            found = self._listeners[wkey]
            found.pop(callback, None)
            if not found:
                del self._listeners[wkey]

    def _tell_listeners(self, wkey: WatchedKey) -> None:
        found = self._listeners.get(wkey)
        if not found:
            return
        for callback in list(found):
            self.unlisten(callback)
            callback()

    # -- CLIENT PAUSE -----------------------------------------------------------------------

    def pause(self, mode: str, milliseconds: int) -> None:
        """Start (or replace) the pause; a timer ends it on time."""
        self._state.pause.pause(mode, milliseconds)
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        loop = _running_loop()
        if loop is not None:
            self._pause_timer = loop.call_later(milliseconds / 1000, self._pause_tick)

    def _pause_tick(self) -> None:
        self._pause_timer = None
        pause = self._state.pause
        if pause.check_timeout():  # woken a little early: wait for the rest
            loop = _running_loop()
            if loop is not None:
                delay = max(pause.end - time.monotonic(), 0.001)
                self._pause_timer = loop.call_later(delay, self._pause_tick)

    def postpone(self, session: Session, argv: list[bytes]) -> NoReply:
        """CLIENT PAUSE holds `argv`: the client waits (and shows as blocked) until it ends."""
        waiter = Waiter(session, [], None, None, None)
        waiter.postponed = argv
        self._waiters[session] = waiter
        self._postponed.append(waiter)
        return NO_REPLY

    def _pause_ended(self) -> None:
        if self._pause_timer is not None:
            self._pause_timer.cancel()
            self._pause_timer = None
        loop = _running_loop()
        if loop is None:
            self._run_postponed()
        else:  # not inside the CLIENT UNPAUSE that ended it: after it, from the loop
            loop.call_soon(self._run_postponed)

    def _run_postponed(self) -> None:
        """Run the first held command as if its client sent it just now; the rest follow
        from the loop, each after the commands its predecessor's client pipelined behind
        its own (its resume is scheduled first), as Redis serves unblocked clients."""
        while self._postponed and not self._state.pause.active:
            waiter = self._postponed.pop(0)
            session, argv = waiter.session, waiter.postponed
            if self._waiters.get(session) is not waiter or argv is None:
                continue  # gone meanwhile
            self._forget(waiter)
            reply = self._state.dispatcher.execute(session, argv)
            again = self._waiters.get(session)
            if reply is NO_REPLY and again is not None:  # it blocks now (BLPOP...)
                again.resume = waiter.resume
            else:
                if self.ready:
                    self.serve_ready()
                session.push(reply)
                if waiter.resume is not None:
                    waiter.resume()
            if self._postponed:
                loop = _running_loop()
                if loop is not None:
                    loop.call_soon(self._run_postponed)
                    return

    def _on_change(self, db: int, key: bytes | None, event: str, cls: str) -> None:
        if key is None:  # SWAPDB, FLUSHDB, FLUSHALL: the database's keys changed at once
            self._ready_in(db)
            return
        if (db, key) not in self._queues and (db, key) not in self._listeners:
            return
        self.ready[(db, key)] = None
        self._schedule_serve()

    def _ready_in(self, db: int) -> None:
        watched = [wkey for wkey in (*self._queues, *self._listeners) if wkey[0] == db]
        for wkey in watched:
            self.ready[wkey] = None
        if watched:
            self._schedule_serve()

    def _schedule_serve(self) -> None:
        if not self._serve_scheduled:
            # Changes made outside a client's command (timers, threads) still wake waiters.
            loop = _running_loop()
            if loop is not None:
                self._serve_scheduled = True
                loop.call_soon(self._scheduled_serve)

    def _scheduled_serve(self) -> None:
        self._serve_scheduled = False
        self.serve_ready()

    def serve_ready(self) -> None:
        """Finish what the keys changed since the last call allow, first come first served.

        Serving may change more keys (BLMOVE pushes to its destination): loop until none is
        left ready."""
        while self.ready:
            wkey = next(iter(self.ready))
            del self.ready[wkey]
            self._tell_listeners(wkey)
            queue = self._queues.get(wkey)
            if not queue:
                continue
            for waiter in list(queue):
                if waiter.session not in self._waiters or waiter.serve is None:
                    continue
                session = waiter.session
                try:
                    reply = waiter.serve(wkey[1])
                except Exception as exc:  # a CommandError (WRONGTYPE destination) or a bug
                    message = getattr(exc, "message", None)
                    reply = Error(message if isinstance(message, str) else f"ERR {exc}")
                if reply is NOT_READY:
                    continue
                if type(reply) is Error:
                    self._state.record_error(reply)
                    self._count_failure(session)
                self._finish(waiter, reply, "served")
                if type(reply) is not Error and session.db.get(wkey[1]) is None:
                    break  # the key is gone: nobody else in its queue can be served

    def _count_failure(self, session: Session) -> None:
        """A blocked command answered with an error counts as a failed call of that
        command in INFO commandstats, as Redis's updateStatsOnUnblock counts it."""
        commands = self._state.commands
        spec = commands.lookup(session.last_command)
        if spec is not None:
            commands.stats[spec].failed_calls += 1

    # -- unblocking -----------------------------------------------------------------------

    def _time_out(self, waiter: Waiter) -> None:
        waiter.timer = None
        if self._waiters.get(waiter.session) is waiter:
            self._finish(waiter, waiter.timed_out_reply(), "timeout")

    def expire(self, now: float) -> None:
        """Answer every waiter whose deadline passed (the cron's safety net for timers)."""
        for waiter in [w for w in self._waiters.values() if w.deadline is not None]:
            due = waiter.deadline is not None and waiter.deadline <= now
            if due and self._waiters.get(waiter.session) is waiter:
                self._finish(waiter, waiter.timed_out_reply(), "timeout")

    def unblock(self, session: Session, error: bool) -> bool:
        """CLIENT UNBLOCK: answer as a timeout, or with Redis's UNBLOCKED error."""
        waiter = self._waiters.get(session)
        if waiter is None or not waiter.unblockable or waiter.postponed is not None:
            return False
        if error:
            self._state.record_error(UNBLOCKED)
            self._finish(waiter, Error(UNBLOCKED), "error")
        else:
            self._finish(waiter, waiter.timed_out_reply(), "timeout")
        return True

    def release(self, session: Session) -> None:
        """Forget a client that disconnected or ran RESET, without answering it."""
        waiter = self._waiters.get(session)
        if waiter is not None:
            self._forget(waiter)
            if waiter.on_end is not None:
                waiter.on_end("released")

    def _finish(self, waiter: Waiter, reply: Any, why: str = "served") -> None:
        self._forget(waiter)
        waiter.session.push(reply)
        if waiter.resume is not None:
            waiter.resume()
        if waiter.on_end is not None:
            waiter.on_end(why)

    def _forget(self, waiter: Waiter) -> None:
        self._waiters.pop(waiter.session, None)
        if waiter.timer is not None:
            waiter.timer.cancel()
            waiter.timer = None
        for wkey in waiter.keys:
            queue = self._queues.get(wkey)
            if queue is not None:
                queue.pop(waiter, None)
                if not queue:
                    del self._queues[wkey]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _BlockingHooks:
    def __init__(self, blocking: Blocking) -> None:
        self._blocking = blocking

    @hookimpl
    def ferrite_cron(self, state: ServerState) -> None:
        state.pause.check_timeout()
        self._blocking.expire(time.monotonic())
        if self._blocking.ready:
            self._blocking.serve_ready()

    @hookimpl
    def ferrite_client_released(self, state: ServerState, session: Session) -> None:
        self._blocking.release(session)
