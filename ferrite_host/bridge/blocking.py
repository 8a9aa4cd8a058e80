"""Module blocked clients inside Redis: RM_BlockClient / RM_BlockClientOnKeys handles and
the callbacks Redis runs for them.

Redis keeps the client, the deadline, CLIENT UNBLOCK and the key wake-ups; this file keeps
the module's Python callbacks per handle (`HANDLES`, by the address of Redis's
RedisModuleBlockedClient) and runs them when the C trampolines (bridge_blocking.c) are
called: the reply and timeout callbacks get a context on Redis's callback context (its
replies go to the blocked client), `free_privdata` and the disconnect callback a detached
one. The private data handed to Redis is always `(handle, value)`, so Redis always calls
back to free it and the handle is forgotten then.

The rules are Ferrite's (see ferrite_host/redis_module/blocked_clients.py), which are
Redis's: a second `unblock` or an `unblock` after `abort` answers ERR; a client blocked on
keys is answered through its timeout callback by `unblock` (ERR without one); its reply
callback returning Status.ERR keeps it waiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.bridge import _blocking_native as blocking_native
from ferrite_host.bridge import _native as native
from ferrite_host.bridge.context import BridgeCtx
from ferrite_host.redis_module.api import RedisModuleString, Status

if TYPE_CHECKING:
    from ferrite_host.bridge.registry import Registry
    from ferrite_host.redis_module.module import RedisModule

log = logging.getLogger("ferrite")

#: RedisModule_GetContextFlags bits under which RM_BlockClient answers Redis's own error.
CTX_FLAGS_LUA = 1 << 0
CTX_FLAGS_MULTI = 1 << 1

#: The live handles, by the address of Redis's blocked client.
HANDLES: dict[int, BridgeBlockedClient] = {}

BlockedCallback = Callable[..., Any]


def _status(code: int) -> Status:
    return Status.OK if code == 0 else Status.ERR


class BridgeBlockedClient:
    """RedisModuleBlockedClient on Redis: what `ctx.block_client` returns on the bridge."""

    def __init__(
        self,
        call: BridgeCtx,
        reply_callback: BlockedCallback | None,
        timeout_callback: BlockedCallback | None,
        free_privdata: Callable[..., None] | None,
        on_keys: bool = False,
    ) -> None:
        self.module: RedisModule | None = call.module
        self.module_name = call.module.name if call.module is not None else "?"
        self.registry: Registry = call.registry
        self.command = call.command
        self.argv = list(call.argv)
        self.db = native.selected_db(call.addr)
        self.on_keys = on_keys
        self._reply_callback = reply_callback
        self._timeout_callback = timeout_callback
        self._free_privdata = free_privdata
        self._disconnect_callback: Callable[..., None] | None = None
        #: Redis's RedisModuleBlockedClient, 0 until blocked.
        self.bc = 0
        #: Redis answered its own error instead of blocking (MULTI, a script).
        self.refused = False
        self._released = False  # unblock or abort was called
        self._aborted = False
        self._ended = False  # timed out, served on a key, or the client left
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        state = "waiting" if self.waiting else "detached"
        return f"<BlockedClient {self.module_name}:{self.command} {state}>"

    # -- blocking (inside the command) ------------------------------------------------------

    def block(
        self, call: BridgeCtx, timeout_ms: int, keys: list[bytes] | None, privdata: Any
    ) -> None:
        flags = native.context_flags(call.addr)
        self.refused = bool(flags & (CTX_FLAGS_LUA | CTX_FLAGS_MULTI))
        with_timeout = self._timeout_callback is not None
        if keys is None:
            bc = blocking_native.block_client(call.addr, int(timeout_ms), with_timeout)
        else:
            bc = blocking_native.block_client_on_keys(
                call.addr, int(timeout_ms), with_timeout, keys, (self, privdata)
            )
        if not bc:
            raise RuntimeError(f"Redis refused to block the client of '{self.command}'")
        self.bc = bc
        HANDLES[bc] = self
        call.blocking = self

    @property
    def waiting(self) -> bool:
        """True while the client waits on this handle."""
        return bool(self.bc) and not (self.refused or self._released or self._ended)

    def took_reply(self) -> bool:
        """Whether the blocked command must not answer itself: Redis sent its refusal, or
        the answer comes later (not when the command aborted its own block)."""
        return self.refused or not self._aborted

    # -- the module's side (any thread) -----------------------------------------------------

    def unblock(self, privdata: Any = None) -> Status:
        """RM_UnblockClient: the reply callback answers the client on Redis's main thread
        (it gets `privdata`), then `free_privdata`. A client blocked on keys is answered
        by its timeout callback at once, under Redis's lock (ERR without a timeout
        callback, as Redis)."""
        with self._guard:
            if self._released or not self.bc or (self.on_keys and self._timeout_callback is None):
                return Status.ERR
            self._released = True
        if not self.on_keys:
            return _status(blocking_native.unblock(self.bc, (self, privdata)))
        from ferrite_host.bridge.threads import LOCK

        with LOCK.held(0):
            return _status(blocking_native.unblock(self.bc, None))

    def abort(self) -> Status:
        """RM_AbortBlock: release the client without calling the reply callback."""
        with self._guard:
            if self._released or not self.bc:
                return Status.ERR
            self._released = self._aborted = True
        self._reply_callback = None
        self._disconnect_callback = None
        HANDLES.pop(self.bc, None)
        return _status(blocking_native.abort(self.bc))

    def set_disconnect_callback(self, callback: Callable[..., None] | None) -> None:
        """RM_SetDisconnectCallback: `callback(ctx, handle)` when the client goes away while
        blocked."""
        self._disconnect_callback = callback
        if self.bc:
            blocking_native.set_disconnect_callback(self.bc, callback is not None)

    # -- what Redis calls (its main thread) -------------------------------------------------

    def run_callback(self, mode: str, addr: int, argv: list[bytes]) -> int:
        """A reply or timeout callback for the client; 1 (ERR) keeps a client blocked on
        keys waiting."""
        callback = self._reply_callback if mode == "reply" else self._timeout_callback
        if callback is None and mode == "reply":
            return 0  # answered by thread-safe contexts bound to the handle, if anyone
        call = BridgeCtx(addr, self.command, self.module, argv, self.registry, False, True)
        status: Any = None
        failure = None
        if callback is not None:
            try:
                status = callback(call, [RedisModuleString(arg) for arg in argv[1:]])
            except Exception as exc:
                log.error("Module %s: %s callback raised", self.module_name, mode, exc_info=True)
                failure = f"ERR module {mode} callback raised {type(exc).__name__}: {exc}"
        keep_waiting = self.on_keys and mode == "reply" and failure is None and status == 1
        if not keep_waiting:
            if callback is None:
                call._reply_value(None)  # a timeout nobody handles answers null
            call._finish_replies(failure)
            self._ended = True
        call.finish()
        return 1 if keep_waiting else 0

    def freed(self, addr: int, value: Any) -> None:
        """Redis is done with the handle: forget it, then `free_privdata(ctx, value)`."""
        if HANDLES.get(self.bc) is self:
            del HANDLES[self.bc]
        self._ended = True
        if self._free_privdata is None or value is None:
            return
        call = BridgeCtx(addr, "", self.module, [], self.registry, False, True)
        try:
            self._free_privdata(call, value)
        except Exception:
            log.error("Module %s: free_privdata raised", self.module_name, exc_info=True)
        finally:
            call.finish()

    def disconnected(self, addr: int) -> None:
        self._ended = True
        callback = self._disconnect_callback
        if callback is None:
            return
        call = BridgeCtx(addr, "", self.module, [], self.registry, False, True)
        try:
            callback(call, self)
        except Exception:
            log.error("Module %s: disconnect callback raised", self.module_name, exc_info=True)
        finally:
            call.finish()


# -- the C trampolines' entry points --------------------------------------------------------


def blocked_callback(mode: str, addr: int, bc: int, argv: list[bytes]) -> int:
    handle = HANDLES.get(bc)
    if handle is None:
        return 0
    return handle.run_callback(mode, addr, argv)


def free_privdata(addr: int, data: tuple[BridgeBlockedClient, Any]) -> None:
    handle, value = data
    handle.freed(addr, value)


def disconnected(addr: int, bc: int) -> None:
    handle = HANDLES.get(bc)
    if handle is not None:
        handle.disconnected(addr)
