"""Thread-safe contexts and Redis's module lock inside Redis (RM_GetThreadSafeContext,
RM_ThreadSafeContextLock/TryLock/Unlock, RM_FreeThreadSafeContext).

Redis's main thread holds its module lock except while it sleeps in its poller, and runs
Python only while holding it; so on the main thread the lock is already held and locking
costs nothing. Another thread waits for it in C with the GIL released (bridge_blocking.c),
never holding the GIL while it waits: the main thread may be waiting for the GIL while
holding the lock. Redis's lock is a plain mutex; `LOCK` makes it reentrant per thread, as
Ferrite's (keyspace_lock.py), so a thread that locks twice does not deadlock itself.

A thread-safe context's `call`, `open_key` and `replicate` raise RuntimeError (Ferrite's
text) unless its thread holds the lock; its keys are closed when the thread unlocks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ferrite_host.bridge import _blocking_native as blocking_native
from ferrite_host.bridge.context import BridgeCtx, BridgeKey
from ferrite_host.redis_module.api import KeyMode, RedisModuleString
from ferrite_host.redis_module.ctx_blocking import NOT_LOCKED

if TYPE_CHECKING:
    from ferrite_host.bridge.blocking import BridgeBlockedClient
    from ferrite_host.redis_module.api import Status


class RedisLock:
    """Redis's module lock as Python threads take it: reentrant, the GIL free while waiting."""

    def __init__(self) -> None:
        self._owner: int | None = None
        self._depth = 0
        self._lock_ctx = 0  # a detached thread-safe context to lock with when none is given

    @staticmethod
    def on_main_thread() -> bool:
        """Redis's main thread (the one that started the interpreter) always holds it."""
        return threading.current_thread() is threading.main_thread()

    def held_here(self) -> bool:
        return self.on_main_thread() or self._owner == threading.get_ident()

    def _ctx(self, addr: int) -> int:
        if addr:
            return addr
        if not self._lock_ctx:
            self._lock_ctx = blocking_native.thread_safe_context(0)
        return self._lock_ctx

    def acquire(self, addr: int = 0) -> None:
        if self.on_main_thread():
            return
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return
        blocking_native.lock(self._ctx(addr))
        self._owner, self._depth = me, 1

    def try_acquire(self, addr: int = 0) -> bool:
        if self.on_main_thread():
            return True
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return True
        if not blocking_native.try_lock(self._ctx(addr)):
            return False
        self._owner, self._depth = me, 1
        return True

    def release(self, addr: int = 0) -> bool:
        """True when this released Redis's lock (the outermost unlock of the thread)."""
        if self.on_main_thread():
            return False
        if self._owner != threading.get_ident():
            raise RuntimeError("thread_safe_context_unlock() without a matching lock")
        self._depth -= 1
        if self._depth:
            return False
        self._owner = None
        blocking_native.unlock(self._ctx(addr))
        return True

    @contextlib.contextmanager
    def held(self, addr: int = 0) -> Iterator[None]:
        self.acquire(addr)
        try:
            yield
        finally:
            self.release(addr)


LOCK = RedisLock()


class HeldLock:
    """What `thread_safe_context_lock()` returns: already locked; `with` unlocks at the end."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self._ctx.thread_safe_context_unlock()


def _check_lock() -> None:
    if not LOCK.held_here():
        raise RuntimeError(NOT_LOCKED)


class BridgeThreadSafeCtx(BridgeCtx):
    """A context from `get_thread_safe_context`: bound to a blocked client, its replies are
    the client's (sent when the handle is unblocked) and it works in the client's db;
    detached, its replies are dropped. The keyspace only while this thread holds the lock."""

    __slots__ = ("_freed", "_handle")

    _handle: BridgeBlockedClient | None
    _freed: bool

    def call(self, command: str | bytes, *args: object, flags: str = "") -> Any:
        _check_lock()
        return super().call(command, *args, flags=flags)

    def replicate(self, command: str | bytes, *args: object) -> Status:
        _check_lock()
        return super().replicate(command, *args)

    def open_key(
        self, name: RedisModuleString | str | bytes, mode: KeyMode = KeyMode.READ
    ) -> BridgeKey | None:
        _check_lock()
        return super().open_key(name, mode)

    def thread_safe_context_unlock(self) -> None:
        if LOCK.held_here():
            self.close_all_keys()  # a key must not outlive the lock
        LOCK.release(self.addr)

    def free_thread_safe_context(self) -> None:
        """RM_FreeThreadSafeContext (its keys closed under the lock first)."""
        if self._freed:
            return
        self._freed = True
        addr = self.addr
        if self.keys:
            with LOCK.held(addr):
                self.finish()
        else:
            self.finish()
        blocking_native.free_thread_safe_context(addr)


def thread_safe_context(source: BridgeCtx, handle: BridgeBlockedClient | None) -> BridgeCtx:
    """A new thread-safe context of `source`'s module, bound to `handle` when given."""
    addr = blocking_native.thread_safe_context(handle.bc if handle is not None else 0)
    if not addr:
        raise RuntimeError("Redis gave no thread-safe context")
    ctx = BridgeThreadSafeCtx(addr, source.command, source.module, [], source.registry, False, True)
    ctx._handle = handle
    ctx._freed = False
    return ctx
