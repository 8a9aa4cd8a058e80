"""The blocking part of the bridge's contexts: blocked clients, thread-safe contexts and the
awaitables of `async def` commands, on both APIs (mixins of context.BridgeCtx and
pythonic.BridgeContext, with the same names and arguments as Ferrite's
redis_module/ctx_blocking.py and module/context.py).

The classes they use (blocking, threads, async_commands) import the contexts, so they are
imported when a method runs, not here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ferrite_host.bridge import _blocking_native as blocking_native
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.replies import to_reply
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module.api import RedisModuleString
from ferrite_host.strconv import to_bytes

if TYPE_CHECKING:
    from ferrite_host.bridge.blocking import BridgeBlockedClient
    from ferrite_host.bridge.context import BridgeCtx
    from ferrite_host.bridge.threads import HeldLock

T = TypeVar("T")


class BlockingCtxMixin:
    """RedisModuleCtx's blocked-client and thread-safe-context methods on Redis."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def _call(self) -> BridgeCtx: ...

    # -- blocking the client ----------------------------------------------------------------

    def block_client(
        self,
        reply_callback: Callable[..., Any] | None = None,
        timeout_callback: Callable[..., Any] | None = None,
        free_privdata: Callable[..., None] | None = None,
        timeout_ms: int = 0,
    ) -> BridgeBlockedClient:
        """RM_BlockClient (see redis_module/ctx_blocking.py for the contract). Inside MULTI
        or a script Redis answers its own error at once (the handle still needs its
        unblock or abort)."""
        from ferrite_host.bridge.blocking import BridgeBlockedClient

        handle = BridgeBlockedClient(self._call, reply_callback, timeout_callback, free_privdata)
        handle.block(self._call, timeout_ms, None, None)
        return handle

    def block_client_on_keys(
        self,
        reply_callback: Callable[..., Any],
        timeout_callback: Callable[..., Any] | None,
        free_privdata: Callable[..., None] | None,
        timeout_ms: int,
        keys: Iterable[object],
        privdata: Any = None,
    ) -> BridgeBlockedClient:
        """RM_BlockClientOnKeys: the reply callback runs when one of `keys` is written or
        signalled ready; returning Status.ERR keeps the client waiting."""
        from ferrite_host.bridge.blocking import BridgeBlockedClient

        if not callable(reply_callback):
            raise TypeError("block_client_on_keys needs a reply callback")
        handle = BridgeBlockedClient(
            self._call, reply_callback, timeout_callback, free_privdata, on_keys=True
        )
        handle.block(self._call, timeout_ms, [to_bytes(key) for key in keys], privdata)
        return handle

    def signal_key_as_ready(self, key: object) -> None:
        """RM_SignalKeyAsReady (it also wakes `wait_for_key`)."""
        from ferrite_host.bridge import _native as native
        from ferrite_host.bridge.async_commands import wake

        name = to_bytes(key)
        blocking_native.signal_key_as_ready(self._call.addr, name)
        wake(native.selected_db(self._call.addr), name)

    def get_blocked_client_ready_key(self) -> RedisModuleString | None:
        """RM_GetBlockedClientReadyKey (None outside a reply callback of a key wait)."""
        key = blocking_native.ready_key(self._call.addr)
        return None if key is None else RedisModuleString(key)

    def is_blocked_reply_request(self) -> bool:
        return blocking_native.request_kind(self._call.addr) == "reply"

    def is_blocked_timeout_request(self) -> bool:
        return blocking_native.request_kind(self._call.addr) == "timeout"

    def get_blocked_client_private_data(self) -> Any:
        """RM_GetBlockedClientPrivateData: what `unblock` (or `block_client_on_keys`) was
        given, in a reply or timeout callback."""
        data = blocking_native.private_data(self._call.addr)
        return data[1] if isinstance(data, tuple) else None

    def get_blocked_client_handle(self) -> BridgeBlockedClient | None:
        from ferrite_host.bridge.blocking import HANDLES

        return HANDLES.get(blocking_native.blocked_handle(self._call.addr))

    # -- thread-safe contexts -----------------------------------------------------------------

    def get_thread_safe_context(self, handle: BridgeBlockedClient | None = None) -> BridgeCtx:
        """RM_GetThreadSafeContext: bound to `handle`, replies go to its client; `call`,
        `open_key` and `replicate` only between lock and unlock."""
        from ferrite_host.bridge.threads import thread_safe_context

        return thread_safe_context(self._call, handle)

    def thread_safe_context_lock(self) -> HeldLock:
        """RM_ThreadSafeContextLock (free on Redis's main thread, which holds it); returns
        an object that unlocks at the end of a `with` block."""
        from ferrite_host.bridge.threads import LOCK, HeldLock

        LOCK.acquire(self._call.addr)
        return HeldLock(self)

    def thread_safe_context_try_lock(self) -> bool:
        """RM_ThreadSafeContextTryLock: False when another thread (or Redis) holds it."""
        from ferrite_host.bridge.threads import LOCK

        return LOCK.try_acquire(self._call.addr)

    def thread_safe_context_unlock(self) -> None:
        from ferrite_host.bridge.threads import LOCK

        LOCK.release(self._call.addr)

    # -- awaitables of async def commands --------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def wait_for_key(self, key: object, timeout: float | None = None) -> bool:
        from ferrite_host.bridge.async_commands import wait_for_key

        return await wait_for_key(self._call, to_bytes(key), timeout)

    async def run_in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def _reply_or_error(value: Any) -> Any:
    return Error(value.message) if isinstance(value, ReplyError) else to_reply(value)


class PythonicBlockingMixin:
    """`Context`'s blocking and waiting methods on Redis."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def _call(self) -> BridgeCtx: ...

        @property
        def _redis(self) -> BridgeCtx: ...

    def block_client(
        self,
        timeout_ms: int = 0,
        on_timeout: Callable[[], Any] | None = None,
        on_free: Callable[[Any], None] | None = None,
    ) -> BridgeBlockedClient:
        """Block the calling client until `handle.unblock(value)` (see module/context.py);
        inside MULTI or a script Redis answers its error and the handle is already spent."""

        def reply(ctx: BridgeCtx, args: object) -> None:
            ctx.reply_with_call_reply(_reply_or_error(ctx.get_blocked_client_private_data()))

        def timed_out(ctx: BridgeCtx, args: object) -> None:
            value = on_timeout() if on_timeout is not None else None
            ctx.reply_with_call_reply(_reply_or_error(value))

        def free(ctx: BridgeCtx, value: Any) -> None:
            if on_free is not None:
                on_free(value)

        may_time_out = on_timeout is not None or timeout_ms > 0
        handle = self._redis.block_client(
            reply, timed_out if may_time_out else None, free, timeout_ms
        )
        if handle.refused:
            handle.abort()  # nothing is waiting, so the module holds nothing
        return handle

    def signal_key_as_ready(self, name: bytes | str) -> None:
        self._redis.signal_key_as_ready(name)

    def keyspace_lock(self) -> HeldLock:
        """From a worker thread: hold Redis's lock around this context's keys and `call`."""
        return self._redis.thread_safe_context_lock()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def wait_for_key(self, name: bytes | str, timeout: float | None = None) -> bool:
        return await self._redis.wait_for_key(name, timeout)

    async def run_in_thread(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, function, *args)
