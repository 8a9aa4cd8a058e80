"""`Context`: what a command callback gets besides its arguments."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ferrite_host.core.busy import MODULE_BUSY
from ferrite_host.core.loglevels import level_of
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.key import Key
from ferrite_host.module.replies import to_reply
from ferrite_host.protocol.replies import NO_REPLY, Error
from ferrite_host.redis_module.api import KeyMode, RedisModuleCtx

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.module.module import Module
    from ferrite_host.redis_module.api import RedisModuleKey
    from ferrite_host.redis_module.blocked_clients import BlockedClient
    from ferrite_host.redis_module.ctx_blocking import HeldLock
    from ferrite_host.redis_module.module import RedisModule
    from ferrite_host.redis_module.types import RedisModuleType

log = logging.getLogger("ferrite")

T = TypeVar("T")


def _reply_or_error(value: Any) -> Any:
    return Error(value.message) if isinstance(value, ReplyError) else to_reply(value)


class Context:
    """One call of a module command: the caller's database, keys, `call` and logging.

    Cheap to make (a few slots): the Redis-shaped context behind `call`, `replicate` and
    the collection key APIs is only built when one of them is used.
    """

    __slots__ = (
        "_argv",
        "_command",
        "_keys",
        "_module",
        "_redis",
        "_running_async",
        "_session",
        "_staged",
    )

    def __init__(
        self,
        session: Session,
        command: str,
        module: Module,
        staged: RedisModule | None,
        argv: list[bytes],
    ) -> None:
        self._session = session
        self._command = command
        self._module = module
        self._staged = staged
        self._argv = argv
        self._keys: list[Key] | None = None
        self._redis: RedisModuleCtx | None = None
        self._running_async = False

    @property
    def command_name(self) -> str:
        return self._command

    @property
    def db(self) -> int:
        """The caller's selected database index."""
        return self._session.db_index

    @property
    def client_id(self) -> int:
        return self._session.id

    @property
    def protocol(self) -> int:
        """2 or 3; return values adapt by themselves, this is for the rare exception."""
        return self._session.protocol

    # -- keys -------------------------------------------------------------------------------

    def open_key(self, name: bytes | str) -> Key | None:
        """The key for reading; None when it does not exist."""
        raw = name.encode() if isinstance(name, str) else name
        db = self._session.db
        if db.read(raw) is None:
            return None
        return Key(self, db, raw, writable=False)

    def open_key_writable(self, name: bytes | str) -> Key:
        """The key for reading and writing; it may not exist yet."""
        raw = name.encode() if isinstance(name, str) else name
        db = self._session.db
        db.read(raw)  # a lookup, as Redis counts it (and expires a stale key)
        key = Key(self, db, raw, writable=True)
        if self._keys is None:
            self._keys = [key]
        else:
            self._keys.append(key)
        return key

    def type_handle(self, kind: type) -> RedisModuleType:
        """The server's handle of the data type declared by class `kind`."""
        return self._module.type_handle(self._session.state, kind)

    def redis_key(self, name: bytes, writable: bool) -> RedisModuleKey:
        mode = KeyMode.READ | KeyMode.WRITE if writable else KeyMode.READ
        handle = self.redis.open_key(name, mode)
        if handle is None:
            raise KeyError(name)
        return handle

    def scan_keys(self) -> Iterator[bytes]:
        """Every key name of the caller's database (RM_Scan: each key present for the whole
        walk is seen once, whatever the callback does meanwhile)."""
        redis = self.redis
        cursor = redis.scan_cursor_create()
        batch: list[bytes] = []
        while True:
            more = redis.scan(
                cursor, lambda _ctx, name, _key, found: found.append(bytes(name)), batch
            )
            yield from batch
            batch.clear()
            if not more:
                return

    def server_info(self, section: str | None = None) -> dict[str, bytes]:
        """INFO's fields by name (RM_GetServerInfo); every section when `section` is None."""
        return dict(self.redis.get_server_info(section))

    def shared_api(self, name: str) -> Any:
        """What another module exported as `name` (`Module.export_api`), or None; that
        module cannot be unloaded while this one is loaded."""
        return self.redis.get_shared_api(name)

    # -- commands, propagation, log ---------------------------------------------------------

    @property
    def redis(self) -> RedisModuleCtx:
        """The Redis-shaped context of this call, for APIs that have no Python name here."""
        if self._redis is None:
            self._redis = RedisModuleCtx(self._session, self._command, self._staged, self._argv)
        return self._redis

    def call(self, command: str | bytes, *args: object, flags: str = "") -> Any:
        """Run any command in the caller's database and return its reply (errors come back
        as error values, not exceptions). `flags` are RM_Call's modifiers, e.g. "!" to
        propagate the call itself, "W" to refuse writes (see `RedisModuleCtx.call`)."""
        return self.redis.call(command, *args, flags=flags)

    def replicate(self, command: str | bytes, *args: object) -> None:
        """Propagate `command args...` to the AOF instead of this command verbatim."""
        self.redis.replicate(command, *args)

    def yield_events(self, busy_reply: str | None = None) -> None:
        """Let other clients be served during a long command (Redis's RM_Yield): until this
        command returns they are answered `-BUSY <busy_reply>`, except the commands Redis
        allows while busy. Call it every few milliseconds of work; it is cheap."""
        pump = self._session.state.event_pump
        if pump is not None:
            pump(f"BUSY {busy_reply}" if busy_reply else MODULE_BUSY)

    # -- blocking and waiting -----------------------------------------------------------------

    def block_client(
        self,
        timeout_ms: int = 0,
        on_timeout: Callable[[], Any] | None = None,
        on_free: Callable[[Any], None] | None = None,
    ) -> BlockedClient:
        """Block the calling client (RM_BlockClient) until `handle.unblock(value)`, from
        this command, a timer or any thread: the client is then answered `value` (as a
        return value would be). After `timeout_ms` (0 = never) it gets `on_timeout()`'s
        return value (null without one); `on_free(value)` runs once the value is used.
        CLIENT UNBLOCK works when there is a timeout or `on_timeout`, as in Redis.
        The command's own return value is ignored once it blocked. Inside MULTI or a
        script the client gets Redis's error instead, and the handle is already spent
        (`unblock` answers 1 and does nothing)."""

        def reply(ctx: RedisModuleCtx, args: object) -> None:
            ctx.reply_with_call_reply(_reply_or_error(ctx.get_blocked_client_private_data()))

        def timed_out(ctx: RedisModuleCtx, args: object) -> None:
            value = on_timeout() if on_timeout is not None else None
            ctx.reply_with_call_reply(_reply_or_error(value))

        def free(ctx: RedisModuleCtx, value: Any) -> None:
            if on_free is not None:
                on_free(value)

        # As in Redis, CLIENT UNBLOCK only frees clients that have a timeout answer.
        may_time_out = on_timeout is not None or timeout_ms > 0
        timeout_callback = timed_out if may_time_out else None
        redis_ctx = self.redis
        handle = redis_ctx.block_client(reply, timeout_callback, free, timeout_ms)
        if redis_ctx.block_refusal is not None:
            handle.abort()  # refused: nothing is waiting, so the module holds nothing
        return handle

    def signal_key_as_ready(self, name: bytes | str) -> None:
        """Wake the clients blocked on `name` as a write to it would (RM_SignalKeyAsReady)."""
        self.redis.signal_key_as_ready(name)

    def keyspace_lock(self) -> HeldLock:
        """From a worker thread: hold the server at a safe point so this context's keys and
        `call` may be used (RM_ThreadSafeContextLock); `with ctx.keyspace_lock(): ...`.
        On the event loop itself it costs nothing."""
        return self.redis.thread_safe_context_lock()

    async def sleep(self, seconds: float) -> None:
        """In an `async def` command: wait without holding up other clients."""
        await asyncio.sleep(seconds)

    async def wait_for_key(self, name: bytes | str, timeout: float | None = None) -> bool:
        """In an `async def` command: wait until `name` is written (by anyone) or signalled
        ready; False after `timeout` seconds. Look at the key again after waking."""
        return await self.redis.wait_for_key(name, timeout)

    async def run_in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """In an `async def` command: run `function(*args)` in a worker thread; it must
        hold `ctx.keyspace_lock()` around keyspace access."""
        return await asyncio.get_running_loop().run_in_executor(None, function, *args)

    def _blocked(self) -> Any:
        """NO_REPLY when the command blocked its client, Redis's error when it could not,
        None when it did not try."""
        redis_ctx = self._redis
        if redis_ctx is None:
            return None
        if redis_ctx.block_refusal is not None:
            return redis_ctx.block_refusal
        handle = redis_ctx.blocking_handle
        return NO_REPLY if handle is not None and handle.waiting else None

    def log(self, level: str, message: str) -> None:
        """`<module> message` in the server log; levels debug, verbose, notice, warning."""
        log.log(level_of(level), "<%s> %s", self._module.name, message)

    def _finish(self) -> None:
        if self._keys is not None:
            for key in self._keys:
                key._finish()
        if self._redis is not None:
            self._redis.release()
