"""Module blocked clients (RM_BlockClient, RM_BlockClientOnKeys, RM_UnblockClient...).

A module command blocks its client by parking it in the server's `Blocking` subsystem, the
one BLPOP uses, so deadlines, CLIENT UNBLOCK, disconnections and key wake-ups behave the
same. `BlockedClient` is the handle the module keeps: `unblock(privdata)` may be called
from the command, a timer or any thread; the reply is always produced on the event loop
(`call_soon_threadsafe`), by the module's reply callback or from what thread-safe contexts
bound to the handle replied. A handle counts as one of its module's blocked clients until
the module unblocks or aborts it (for clients blocked on keys: until the wait ends), and
MODULE UNLOAD is refused meanwhile, as in Redis.

Work finished later propagates only what the callbacks asked for (`replicate`, `!` calls),
never the blocked command verbatim.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from ferrite_host.blocking import NOT_READY, Blocking, Waiter
from ferrite_host.protocol.replies import NO_REPLY, Error

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState
    from ferrite_host.redis_module.api import RedisModuleCtx, Status
    from ferrite_host.redis_module.module import RedisModule

log = logging.getLogger("ferrite")

#: `callback(ctx, args) -> Status` (reply and timeout callbacks, as command callbacks).
BlockedCallback = Callable[..., Any]
#: `free_privdata(ctx, privdata)`
FreeCallback = Callable[..., None]

DENIED_IN_LUA = "ERR Blocking module command called from Lua script"
DENIED_IN_MULTI = "ERR Blocking module command called from transaction"
#: Ferrite's own text: Redis 7.0 has no defined behaviour for blocking under RM_Call.
DENIED_ELSEWHERE = "ERR Blocking module command called where the client cannot block"

#: Status.ERR's value, for callbacks' return values (api imports this module).
_STATUS_ERR = 1


def denial(session: Session) -> str | None:
    """Redis's error for a client that may not block (Lua, MULTI), or None."""
    if session.kind == "lua":
        return DENIED_IN_LUA
    if session.in_exec or session.in_multi:
        return DENIED_IN_MULTI
    if not Blocking.can_block(session):
        return DENIED_ELSEWHERE
    return None


class ModuleBlockedClients:
    """The live handles of one server, per module (what MODULE UNLOAD checks)."""

    def __init__(self) -> None:
        self._live: dict[object, str] = {}

    @classmethod
    def of(cls, state: ServerState) -> ModuleBlockedClients:
        found = state.subsystems.get(cls)
        return found if found is not None else state.subsystems.install(cls())

    def add(self, handle: object, module: str) -> None:
        self._live[handle] = module

    def forget(self, handle: object) -> None:
        self._live.pop(handle, None)

    def count(self, module: str) -> int:
        return sum(1 for owner in list(self._live.values()) if owner == module)


def one_reply(replies: list[Any], command: str) -> Any:
    """The single reply a finished command sends (the error run_module_command uses else)."""
    if len(replies) == 1:
        return replies[0]
    if not replies:
        return Error(f"ERR module command '{command}' returned without replying")
    return Error(f"ERR module command '{command}' replied {len(replies)} times instead of once")


def send_asked_propagation(session: Session) -> None:
    """Propagate what work finished outside the command asked for, and nothing else."""
    asked, session.propagation = session.propagation, None
    session.state.dispatcher.send_propagation(session, asked or [])


class BlockedClient:
    """RedisModuleBlockedClient: what `ctx.block_client` returns."""

    def __init__(
        self,
        ctx: RedisModuleCtx,
        reply_callback: BlockedCallback | None,
        timeout_callback: BlockedCallback | None,
        free_privdata: FreeCallback | None,
        privdata: Any = None,
        on_keys: bool = False,
    ) -> None:
        self._state = ctx._state
        self.module_name = ctx._owner
        self._module: RedisModule | None = ctx._module
        self._command = ctx._command_name
        self._argv = list(ctx._argv)
        self._reply_callback = reply_callback
        self._timeout_callback = timeout_callback
        self._free_privdata = free_privdata
        self._privdata = privdata
        self._on_keys = on_keys
        self.db = ctx._session.db_index
        #: The blocked client while it waits; None once answered, gone or never blocked.
        self._session: Session | None = None
        self._waiter: Waiter | None = None
        self._released = False  # the module called unblock or abort
        self._freed = False
        self._aborting = False
        self._disconnect_callback: Callable[..., None] | None = None
        #: Thread-safe contexts bound to this handle: their replies are the client's.
        self.reply_contexts: list[RedisModuleCtx] = []
        ModuleBlockedClients.of(self._state).add(self, self.module_name)

    def __repr__(self) -> str:
        state = "waiting" if self._session is not None else "detached"
        return f"<BlockedClient {self.module_name}:{self._command} {state}>"

    # -- blocking (on the loop, inside the command) ---------------------------------------

    def block(self, session: Session, timeout_ms: int, keys: Iterable[bytes] = ()) -> str | None:
        """Park the client; Redis's error text instead when it may not block."""
        refused = denial(session)
        if refused is not None:
            return refused
        timeout = timeout_ms / 1000 if timeout_ms > 0 else None
        serve = self._serve if self._on_keys else None
        waiter = Blocking.of(self._state).park(session, list(keys), timeout, serve, None)
        waiter.on_timeout = self._timed_out
        waiter.unblockable = self._timeout_callback is not None
        waiter.on_end = self._ended
        self._session, self._waiter = session, waiter
        return None

    @property
    def waiting(self) -> bool:
        """True while the client waits on this handle (the command must not reply)."""
        session = self._session
        return (
            session is not None
            and Blocking.of(self._state).waiter_of(session) is self._waiter is not None
        )

    # -- the module's side (any thread) ----------------------------------------------------

    def unblock(self, privdata: Any = None) -> Status:
        """RM_UnblockClient: answer the client through the reply callback (which gets
        `privdata`), on the event loop. A client blocked on keys is answered through its
        timeout callback instead, as in Redis. Status.ERR when already unblocked or
        aborted, and for a client blocked on keys without a timeout callback (as Redis)."""
        from ferrite_host.redis_module.api import Status

        if self._released or (self._on_keys and self._timeout_callback is None):
            return Status.ERR
        self._released = True
        self._post(self._deliver, privdata)
        return Status.OK

    def abort(self) -> Status:
        """RM_AbortBlock: release the client without calling the reply callback."""
        from ferrite_host.redis_module.api import Status

        if self._released:
            return Status.ERR
        self._released = True
        self._reply_callback = None
        self._disconnect_callback = None
        if self._on_loop():
            self._drop()  # inside the command: it is not blocked when it returns
        else:
            self._post(self._drop)
        return Status.OK

    def set_disconnect_callback(self, callback: Callable[..., None] | None) -> None:
        """RM_SetDisconnectCallback: `callback(ctx, handle)` when the client goes away
        while blocked (not on timeout or CLIENT UNBLOCK)."""
        self._disconnect_callback = callback

    def _on_loop(self) -> bool:
        loop = self._state.event_loop
        if loop is None:
            return True
        try:
            return asyncio.get_running_loop() is loop
        except RuntimeError:
            return False

    def _post(self, work: Callable[..., None], *args: Any) -> None:
        """Run `work` on the event loop, after the current callback (as Redis answers
        unblocked clients before it sleeps again)."""
        loop = self._state.event_loop
        if loop is None or loop.is_closed():
            work(*args)
        elif self._on_loop():
            loop.call_soon(work, *args)
        else:
            loop.call_soon_threadsafe(work, *args)

    # -- on the loop -------------------------------------------------------------------------

    def _deliver(self, privdata: Any) -> None:
        session = self._session
        if session is not None and self.waiting:
            if self._on_keys:
                Blocking.of(self._state).unblock(session, error=False)
            else:
                reply = self._answer(privdata)
                Blocking.of(self._state).finish(session, reply)
        self._free(privdata)

    def _drop(self) -> None:
        session = self._session
        if session is not None and self.waiting:
            self._aborting = True
            Blocking.of(self._state).release(session)
            replies = self._collect_thread_replies()
            if replies:
                session.push(one_reply(replies, self._command))
        self._free(None)

    def _answer(self, privdata: Any) -> Any:
        replies = self._collect_thread_replies()
        if self._reply_callback is not None:
            _, more = self._run(self._reply_callback, "reply", privdata)
            replies.extend(more)
        return one_reply(replies, self._command)

    def _collect_thread_replies(self) -> list[Any]:
        replies: list[Any] = []
        for ctx in self.reply_contexts:
            replies.extend(ctx.take_replies())
        return replies

    def _serve(self, key: bytes) -> Any:
        """A key this client waits on is ready: the reply callback decides (ERR: not yet)."""
        session = self._session
        if session is None or session.db.get(key) is None:
            return NOT_READY  # as Redis: only a key that exists can serve
        assert self._reply_callback is not None
        status, replies = self._run(self._reply_callback, "reply", self._privdata, key)
        if status == _STATUS_ERR:
            return NOT_READY
        return one_reply(replies, self._command)

    def _timed_out(self) -> Any:
        if self._timeout_callback is None:
            return None
        _, replies = self._run(self._timeout_callback, "timeout", self._privdata)
        return one_reply(replies, self._command)

    def _ended(self, why: str) -> None:
        self._session = None
        if why == "released" and not self._aborting and self._disconnect_callback is not None:
            from ferrite_host.redis_module.api import RedisModuleCtx

            with RedisModuleCtx.detached(self._state, self.module_name) as ctx:
                try:
                    self._disconnect_callback(ctx, self)
                except Exception:
                    log.error(
                        "Module %s: disconnect callback raised", self.module_name, exc_info=True
                    )
        if self._on_keys:
            self._free(None)

    def _run(
        self, callback: BlockedCallback, mode: str, privdata: Any, key: bytes | None = None
    ) -> tuple[Any, list[Any]]:
        """Call a reply or timeout callback for the client; (its status, its replies)."""
        from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString

        session = self._session
        assert session is not None
        ctx = RedisModuleCtx(session, self._command, self._module, self._argv)
        ctx._owner = self.module_name
        ctx.blocked = BlockedRequest(self, mode, privdata, key)
        args = [RedisModuleString(arg) for arg in self._argv[1:]]
        session.propagation = None
        status: Any = None
        try:
            status = callback(ctx, args)
        except Exception as exc:
            log.error("Module %s: %s callback raised", self.module_name, mode, exc_info=True)
            ctx.take_replies()
            ctx.reply_with_error(f"ERR module {mode} callback raised {type(exc).__name__}: {exc}")
        finally:
            ctx.release()
        if status == _STATUS_ERR and key is not None:
            session.propagation = None  # not served: nothing happened
        else:
            send_asked_propagation(session)
        return status, ctx.finish_replies()

    def _free(self, privdata: Any) -> None:
        if self._freed:
            return
        if not self._on_keys and not self._released:
            return  # the module still owns the handle and will unblock it
        self._freed = True
        ModuleBlockedClients.of(self._state).forget(self)
        data = privdata if privdata is not None else self._privdata
        if self._free_privdata is None or data is None:
            return
        from ferrite_host.redis_module.api import RedisModuleCtx

        with RedisModuleCtx.detached(self._state, self.module_name) as ctx:
            try:
                self._free_privdata(ctx, data)
            except Exception:
                log.error("Module %s: free_privdata raised", self.module_name, exc_info=True)


class BlockedRequest:
    """Why a context runs for a blocked client (what is_blocked_*_request answer)."""

    __slots__ = ("handle", "key", "mode", "privdata")

    def __init__(self, handle: BlockedClient, mode: str, privdata: Any, key: bytes | None) -> None:
        self.handle = handle
        self.mode = mode
        self.privdata = privdata
        self.key = key


class AsyncCommand:
    """A command whose callback is a coroutine: its client is blocked until the coroutine
    returns, then answered with `finish(result)`; other clients are served meanwhile.
    The module's blocked-client count includes it (MODULE UNLOAD waits for it)."""

    def __init__(
        self,
        session: Session,
        module: str,
        coroutine: Coroutine[Any, Any, Any],
        finish: Callable[[Any], Any],
        fail: Callable[[BaseException], Any],
        cleanup: Callable[[], None],
    ) -> None:
        self._session = session
        self._state = session.state
        self.module_name = module
        self._coroutine = coroutine
        self._finish = finish
        self._fail = fail
        self._cleanup = cleanup
        self._task: asyncio.Task[Any] | None = None

    def start(self) -> Any:
        """NO_REPLY once the client waits for the coroutine, or Redis's refusal."""
        refused = denial(self._session)
        loop = self._state.event_loop
        if refused is None and (loop is None or not loop.is_running()):
            refused = DENIED_ELSEWHERE
        if refused is not None:
            self._coroutine.close()
            self._cleanup()
            return Error(refused)
        assert loop is not None
        waiter = Blocking.of(self._state).park(self._session, [], None, None, None)
        waiter.unblockable = False
        waiter.on_end = self._ended
        ModuleBlockedClients.of(self._state).add(self, self.module_name)
        self._task = loop.create_task(self._coroutine)
        self._task.add_done_callback(self._done)
        return NO_REPLY

    def _ended(self, why: str) -> None:
        if why == "released" and self._task is not None and not self._task.done():
            self._task.cancel()  # the client left: stop the work

    def _done(self, task: asyncio.Task[Any]) -> None:
        ModuleBlockedClients.of(self._state).forget(self)
        session = self._session
        try:
            if task.cancelled():
                session.propagation = None
                return
            error = task.exception()
            try:
                reply = self._fail(error) if error is not None else self._finish(task.result())
            except Exception as exc:  # the result is no reply value
                reply = self._fail(exc)
            send_asked_propagation(session)
            Blocking.of(self._state).finish(session, reply)
        finally:
            self._cleanup()


__all__ = ["AsyncCommand", "BlockedClient", "BlockedRequest", "ModuleBlockedClients", "denial"]
