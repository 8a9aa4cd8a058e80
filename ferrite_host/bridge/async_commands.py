"""`async def` commands inside Redis: a blocked client, a thread-safe context bound to it and
one asyncio loop in a thread of its own.

Redis's event loop cannot run a coroutine, so the bridge blocks the client
(RM_BlockClient), moves the call's context onto a thread-safe context bound to it
(RM_GetThreadSafeContext: its replies are the client's, in the client's database) and runs
the coroutine as a task of the bridge's asyncio loop. Every step of the coroutine (from one
`await` that suspends to the next) runs while that thread holds Redis's module lock, so the
module's code touches the keyspace exactly as safely as on Redis's main thread, and Redis
serves other clients whenever the coroutine waits. At the end the return value (Pythonic)
or what the callback replied (Redis-shaped) is the client's reply, then the handle is
unblocked. A client that disconnects cancels the task; inside MULTI or a script Redis answers
its own error and the coroutine never runs.

`ctx.wait_for_key` subscribes the bridge to every keyspace event once (the first time it is
used; the subscription then lasts, as Redis's do) and wakes the waiters of the written key;
`signal_key_as_ready` wakes them too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

from ferrite_host.bridge import _blocking_native as blocking_native
from ferrite_host.bridge import _native as native
from ferrite_host.bridge.blocking import BridgeBlockedClient
from ferrite_host.bridge.context import BridgeCtx
from ferrite_host.bridge.threads import LOCK
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.replies import to_reply
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module.notifications import NotifyFlag

if TYPE_CHECKING:
    from ferrite_host.redis_module.module import RedisModule

log = logging.getLogger("ferrite")

#: `answer(call, result, error)`: send the reply of a finished coroutine through `call`.
Answer = Callable[[BridgeCtx, Any, BaseException | None], None]

_loop: asyncio.AbstractEventLoop | None = None
_loop_guard = threading.Lock()


def event_loop() -> asyncio.AbstractEventLoop:
    """The bridge's asyncio loop, started (in a daemon thread) the first time it is needed."""
    global _loop
    with _loop_guard:
        if _loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="ferrite-bridge-asyncio", daemon=True
            )
            thread.start()
            _loop = loop
    return _loop


class _Locked:
    """Awaits a coroutine, running each of its steps while holding Redis's module lock."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any], addr: int) -> None:
        self._coroutine = coroutine
        self._addr = addr

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine = self._coroutine
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            LOCK.acquire(self._addr)
            try:
                yielded = coroutine.throw(thrown) if thrown is not None else coroutine.send(sent)
            except StopIteration as stop:
                return stop.value
            finally:
                LOCK.release(self._addr)
            try:
                sent, thrown = (yield yielded), None
            except BaseException as exc:  # cancellation included: the coroutine decides
                sent, thrown = None, exc


class AsyncRun:
    """One `async def` command call running on the bridge's loop."""

    def __init__(
        self,
        call: BridgeCtx,
        coroutine: Coroutine[Any, Any, Any],
        handle: BridgeBlockedClient,
        addr: int,
        answer: Answer,
    ) -> None:
        self._call = call
        self._coroutine = coroutine
        self._handle = handle
        self._addr = addr
        self._answer = answer
        self._task: asyncio.Task[None] | None = None
        self._left = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._drive())
        if self._left:
            self._task.cancel()

    def client_left(self, ctx: object, handle: object) -> None:
        """Redis's main thread: the client disconnected, stop the work."""
        self._left = True
        task = self._task
        if task is not None:
            task.get_loop().call_soon_threadsafe(task.cancel)

    async def _drive(self) -> None:
        result: Any = None
        error: BaseException | None = None
        cancelled = False
        try:
            result = await _Locked(self._coroutine, self._addr)
        except asyncio.CancelledError:
            cancelled = True
        except Exception as exc:
            error = exc
        with LOCK.held(self._addr):
            try:
                if not cancelled:
                    self._answer(self._call, result, error)
            except Exception:
                log.error("ferrite bridge: answering an async command failed", exc_info=True)
            finally:
                self._call.finish()  # its keys close (a detached call sends nothing more)
        blocking_native.free_thread_safe_context(self._addr)
        self._handle.unblock()


def run_async(call: BridgeCtx, coroutine: Coroutine[Any, Any, Any], answer: Answer) -> None:
    """Block the command's client and run `coroutine` on the bridge's loop (see above)."""
    handle = BridgeBlockedClient(call, None, None, None)
    handle.block(call, 0, None, None)
    if handle.refused:  # Redis answered its error (MULTI, a script)
        coroutine.close()
        handle.abort()
        return
    addr = blocking_native.thread_safe_context(handle.bc)
    call._move_to(addr)  # its replies go to the blocked client now; nothing is propagated
    runner = AsyncRun(call, coroutine, handle, addr, answer)
    handle.set_disconnect_callback(runner.client_left)
    event_loop().call_soon_threadsafe(runner.start)


def start_async(ctx: Any, coroutine: Coroutine[Any, Any, Any], name: str, module: Any) -> None:
    """What the C call path (src/call.c) does with a command that returned a coroutine:
    `ctx` is the Redis-shaped ctx (what it replied answers), or the Pythonic Context (its
    return value answers); `module` is the command's RedisModule."""
    call: BridgeCtx = ctx._call
    if isinstance(ctx, BridgeCtx):
        run_async(call, coroutine, redis_shaped_answer(name, module))
    else:
        run_async(call, coroutine, pythonic_answer(name, module))


def _failure(name: str, module: RedisModule | None, exc: BaseException) -> str:
    owner = module.name if module is not None else "?"
    log.error("Module %s: command '%s' raised", owner, name, exc_info=exc)
    return f"ERR module command '{name}' raised {type(exc).__name__}: {exc}"


def redis_shaped_answer(name: str, module: RedisModule | None) -> Answer:
    """A Redis-shaped coroutine answers with what it replied through `ctx`."""

    def answer(call: BridgeCtx, result: Any, error: BaseException | None) -> None:
        call._finish_replies(None if error is None else _failure(name, module, error))

    return answer


def pythonic_answer(name: str, module: RedisModule | None) -> Answer:
    """A Pythonic coroutine answers with its return value (ReplyError: that error)."""

    def answer(call: BridgeCtx, result: Any, error: BaseException | None) -> None:
        reply: Any = None
        if error is None:
            try:
                reply = to_reply(result)
            except Exception as exc:
                error = exc
        if isinstance(error, ReplyError):
            reply = Error(error.message)
        elif error is not None:
            reply = Error(_failure(name, module, error))
        call._reply_value(reply)
        call._finish_replies(None)

    return answer


# -- wait_for_key ------------------------------------------------------------------------------

_waiters: dict[tuple[int, bytes], list[Callable[[], None]]] = {}
_subscribed = False


def _keyspace_event(ctx: Any, kind: int, event: str, key: bytes) -> None:
    bridge_ctx: BridgeCtx = ctx
    wake(bridge_ctx.db, bytes(key))


def wake(db: int, key: bytes) -> None:
    """A key was written or signalled ready: wake what waits for it."""
    for waiter in list(_waiters.get((db, key), ())):
        waiter()


async def wait_for_key(call: BridgeCtx, key: bytes, timeout: float | None) -> bool:
    """True once `key` (in the context's database) is written or signalled ready; False
    after `timeout` seconds."""
    global _subscribed
    if not _subscribed:
        _subscribed = True
        call.registry.subscribe_keyspace(call.addr, call.module, NotifyFlag.ALL, _keyspace_event)
    loop = asyncio.get_running_loop()
    woke: asyncio.Future[bool] = loop.create_future()

    def settle() -> None:
        if not woke.done():
            woke.set_result(True)

    def waiter() -> None:
        loop.call_soon_threadsafe(settle)

    entry = (native.selected_db(call.addr), key)
    _waiters.setdefault(entry, []).append(waiter)
    try:
        return await asyncio.wait_for(woke, timeout)
    except asyncio.TimeoutError:
        return False
    finally:
        waiting = _waiters.get(entry, [])
        if waiter in waiting:
            waiting.remove(waiter)
        if not waiting:
            _waiters.pop(entry, None)
