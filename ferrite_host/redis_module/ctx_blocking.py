"""What a module context offers for waiting: blocked clients (RM_BlockClient and friends),
thread-safe contexts (RM_GetThreadSafeContext, RM_ThreadSafeContextLock) and the awaitables
an `async def` command may use (Ferrite's own: `sleep`, `wait_for_key`, `run_in_thread`).

A mixin of RedisModuleCtx, kept apart so the context's own file stays about keys, replies
and calls. See `blocked_clients` for the handle and `keyspace_lock` for the lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ferrite_host.blocking import Blocking
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module.blocked_clients import (
    BlockedCallback,
    BlockedClient,
    BlockedRequest,
    FreeCallback,
    send_asked_propagation,
)
from ferrite_host.redis_module.keyspace_lock import KeyspaceLock
from ferrite_host.strconv import to_bytes

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState
    from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString
    from ferrite_host.redis_module.module import RedisModule
    from ferrite_host.redis_module.reply_builder import ReplyBuilder

T = TypeVar("T")

NOT_LOCKED = (
    "a thread-safe context touched the keyspace without thread_safe_context_lock(); "
    "lock it first (with ctx.thread_safe_context_lock(): ...)"
)


class HeldLock:
    """What `thread_safe_context_lock()` returns: already locked; `with` unlocks at the end."""

    def __init__(self, ctx: BlockingContext) -> None:
        self._ctx = ctx

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._ctx.thread_safe_context_unlock()


class BlockingContext:
    """RedisModuleCtx's blocked-client, thread-safe-context and async-wait methods."""

    _session: Session
    _state: ServerState
    _owner: str
    _module: RedisModule | None
    _replies: ReplyBuilder
    _propagation: list[list[bytes]]
    #: Set on the contexts of reply and timeout callbacks.
    blocked: BlockedRequest | None = None
    #: The handle the running command blocked its client with.
    blocking_handle: BlockedClient | None = None
    #: Redis's error when the command tried to block where it may not (MULTI, a script).
    block_refusal: Error | None = None
    #: True for contexts from get_thread_safe_context.
    _thread_safe = False
    _thread_handle: BlockedClient | None = None

    # -- blocking the client ---------------------------------------------------------------

    def block_client(
        self,
        reply_callback: BlockedCallback | None = None,
        timeout_callback: BlockedCallback | None = None,
        free_privdata: FreeCallback | None = None,
        timeout_ms: int = 0,
    ) -> BlockedClient:
        """RM_BlockClient: the client waits (at most `timeout_ms`, 0 = forever) until the
        module calls `handle.unblock(privdata)` from anywhere; then
        `reply_callback(ctx, args)` answers it on the event loop (privdata through
        `ctx.get_blocked_client_private_data()`), then `free_privdata(ctx, privdata)`.
        `timeout_callback(ctx, args)` answers a timeout. Inside MULTI or a script the client
        gets Redis's error at once instead (the handle still needs its unblock)."""
        handle = BlockedClient(self._ctx(), reply_callback, timeout_callback, free_privdata)
        self._block(handle, timeout_ms, ())
        return handle

    def block_client_on_keys(
        self,
        reply_callback: BlockedCallback,
        timeout_callback: BlockedCallback | None,
        free_privdata: FreeCallback | None,
        timeout_ms: int,
        keys: Iterable[object],
        privdata: Any = None,
    ) -> BlockedClient:
        """RM_BlockClientOnKeys: the client waits until a write to one of `keys` (from
        any client, module, EXEC or script) or `signal_key_as_ready`: then
        `reply_callback(ctx, args)` runs; returning Status.ERR keeps the client waiting,
        anything else answers it with what the callback replied. The key that woke it is
        `ctx.get_blocked_client_ready_key()`; `privdata` is the callbacks' private data."""
        if not callable(reply_callback):
            raise TypeError("block_client_on_keys needs a reply callback")
        handle = BlockedClient(
            self._ctx(), reply_callback, timeout_callback, free_privdata, privdata, on_keys=True
        )
        self._block(handle, timeout_ms, [to_bytes(key) for key in keys])
        return handle

    def _block(self, handle: BlockedClient, timeout_ms: int, keys: Iterable[bytes]) -> None:
        refused = handle.block(self._session, int(timeout_ms), keys)
        if refused is not None:
            self.block_refusal = Error(refused)
            self._replies.add(self.block_refusal)
            return
        self.blocking_handle = handle
        # What the command asked for so far propagates now; what it asks later, later.
        self._session.propagation = list(self._propagation)
        self._propagation.clear()

    def signal_key_as_ready(self, key: object) -> None:
        """RM_SignalKeyAsReady: wake the clients blocked on `key` as a write to it would."""
        Blocking.of(self._state).signal(self._session.db_index, to_bytes(key))

    def get_blocked_client_ready_key(self) -> RedisModuleString | None:
        """RM_GetBlockedClientReadyKey: in a reply callback of `block_client_on_keys`, the
        key that became ready (None elsewhere)."""
        from ferrite_host.redis_module.api import RedisModuleString

        key = self.blocked.key if self.blocked is not None else None
        return None if key is None else RedisModuleString(key)

    def is_blocked_reply_request(self) -> bool:
        """RM_IsBlockedReplyRequest: True inside a reply callback."""
        return self.blocked is not None and self.blocked.mode == "reply"

    def is_blocked_timeout_request(self) -> bool:
        """RM_IsBlockedTimeoutRequest: True inside a timeout callback."""
        return self.blocked is not None and self.blocked.mode == "timeout"

    def get_blocked_client_private_data(self) -> Any:
        """RM_GetBlockedClientPrivateData: the privdata of unblock (or of
        block_client_on_keys) in a reply or timeout callback."""
        return self.blocked.privdata if self.blocked is not None else None

    def get_blocked_client_handle(self) -> BlockedClient | None:
        """RM_GetBlockedClientHandle: in a reply or timeout callback, the handle."""
        return self.blocked.handle if self.blocked is not None else None

    # -- thread-safe contexts ----------------------------------------------------------------

    def get_thread_safe_context(self, handle: BlockedClient | None = None) -> RedisModuleCtx:
        """RM_GetThreadSafeContext: a context usable from any thread. Every keyspace access
        (`call`, `open_key`, key handles) must happen between `thread_safe_context_lock()`
        and `thread_safe_context_unlock()`. Bound to `handle`, its replies are the blocked
        client's (sent when the handle is unblocked) and it works in the client's database;
        without one, replies are discarded and the database is 0. Free it with
        `free_thread_safe_context()`."""
        from ferrite_host.redis_module.api import RedisModuleCtx

        state = self._state
        session = state.new_session(kind="module")
        session.authenticated = True
        if handle is not None:
            session.select(handle.db)
        ctx = RedisModuleCtx(session, "", self._module, [])
        ctx._owner = self._owner
        ctx._thread_safe = True
        ctx._thread_handle = handle
        if handle is not None:
            handle.reply_contexts.append(ctx)
        return ctx

    def thread_safe_context_lock(self) -> HeldLock:
        """RM_ThreadSafeContextLock: wait until the event loop stops at a safe point and
        hold it there (no command runs) until `thread_safe_context_unlock()`. Returns an
        object that also unlocks at the end of a `with` block."""
        KeyspaceLock.of(self._state).acquire()
        return HeldLock(self)

    def thread_safe_context_try_lock(self) -> bool:
        """RM_ThreadSafeContextTryLock, as far as Ferrite can: it waits like `lock` (the
        loop is stopped at its next safe point), and answers True."""
        self.thread_safe_context_lock()
        return True

    def thread_safe_context_unlock(self) -> None:
        """RM_ThreadSafeContextUnlock: propagate what the context asked for (replicate,
        `!` calls; two or more as MULTI/EXEC) and let the loop go on."""
        if self._propagation or self._session.propagation:
            send_asked_propagation(self._session)
            self._propagation.clear()
        if self._thread_safe and self._thread_handle is None:
            self._ctx().take_replies()  # a detached context's replies go nowhere
        KeyspaceLock.of(self._state).release()

    def free_thread_safe_context(self) -> None:
        """RM_FreeThreadSafeContext: close its keys and internal client."""
        with self.thread_safe_context_lock():
            ctx: Any = self
            ctx.release()
            self._state.drop_session(self._session)

    def _check_lock(self) -> None:
        if self._thread_safe and not KeyspaceLock.of(self._state).held_here():
            raise RuntimeError(NOT_LOCKED)

    # -- awaitables for async def commands (Ferrite's own) -----------------------------------

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` without blocking the server (other clients are served)."""
        await asyncio.sleep(seconds)

    async def wait_for_key(self, key: object, timeout: float | None = None) -> bool:
        """Wait until `key` (in the client's database) is written or signalled ready:
        True, or False after `timeout` seconds. Check the key after waking: another
        client may have consumed the change first."""
        loop = asyncio.get_running_loop()
        woke: asyncio.Future[bool] = loop.create_future()

        def ready() -> None:
            if not woke.done():
                woke.set_result(True)

        blocking = Blocking.of(self._state)
        blocking.listen(self._session.db_index, [to_bytes(key)], ready)
        try:
            return await asyncio.wait_for(woke, timeout)
        except asyncio.TimeoutError:
            return False
        finally:
            blocking.unlisten(ready)

    async def run_in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` in a worker thread and wait for its result; it must lock
        (`thread_safe_context_lock`) around any keyspace access."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, function, *args)

    def _ctx(self) -> RedisModuleCtx:
        ctx: Any = self
        return ctx  # type: ignore[no-any-return]


__all__ = ["NOT_LOCKED", "BlockingContext", "HeldLock"]
