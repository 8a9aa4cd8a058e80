"""ferrite-helloblock: Redis's helloblock example module, ported to Ferrite's module API.

HELLO.BLOCK and HELLO.KEYS block their client and finish the work in a worker thread, as
the C original does with pthreads; HELLO.BLOCK.HOLD / HELLO.BLOCK.RELEASE (Ferrite's own)
show a client unblocked by another client's command.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from ferrite_host.redis_module import ModuleInfo, RedisModule, hookimpl
from ferrite_host.redis_module.api import (
    REDISMODULE_API_VERSION,
    BlockedClient,
    RedisModuleCtx,
    RedisModuleString,
    Status,
)
from ferrite_host.redis_module.commands import ModuleCommand

__version__ = "1.0.0"

log = logging.getLogger("ferrite.module.helloblock")

RAND_MAX = 2**31 - 1
#: HELLO.BLOCK.HOLD handles by the id of the client they hold.
HELD: dict[int, BlockedClient] = {}


def _reply(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """The reply callback: the number the thread passed to unblock."""
    return ctx.reply_with_long_long(ctx.get_blocked_client_private_data())


def _timeout(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    return ctx.reply_with_simple_string("Request timedout")


def _free(ctx: RedisModuleCtx, privdata: Any) -> None:
    """Nothing to release in Python; kept to show where a C module frees its data."""


def _disconnected(ctx: RedisModuleCtx, handle: BlockedClient) -> None:
    ctx.log("warning", f"Blocked client {handle!r} disconnected!")


def _start(ctx: RedisModuleCtx, handle: BlockedClient, work: Callable[[], None]) -> Status:
    """Hand the blocked client to a worker thread (upstream's pthread_create)."""
    try:
        threading.Thread(target=work, name=ctx.command_name, daemon=True).start()
    except RuntimeError:
        handle.abort()
        return ctx.reply_with_error("-ERR Can't start thread")
    return Status.OK


def hello_block(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.BLOCK <delay> <timeout>: a random number after <delay> seconds, unless the
    <timeout> in milliseconds passes first."""
    if len(args) != 2:
        return ctx.wrong_arity()
    try:
        delay = args[0].to_long_long()
        timeout = args[1].to_long_long()
    except ValueError:
        return ctx.reply_with_error("ERR invalid count")
    handle = ctx.block_client(_reply, _timeout, _free, timeout)
    handle.set_disconnect_callback(_disconnected)

    def work() -> None:
        time.sleep(max(delay, 0))
        handle.unblock(random.randint(0, RAND_MAX))

    return _start(ctx, handle, work)


def hello_keys(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.KEYS: every key of the selected database, scanned from a thread."""
    if args:
        return ctx.wrong_arity()
    handle = ctx.block_client(None, None, None, 0)

    def work() -> None:
        tsc = ctx.get_thread_safe_context(handle)
        keys: list[bytes] = []
        cursor = b"0"
        while True:
            with tsc.thread_safe_context_lock():
                cursor, page = tsc.call("SCAN", cursor)
            keys.extend(page)
            if cursor == b"0":
                break
        tsc.reply_with_array(len(keys))
        for key in keys:
            tsc.reply_with_string(key)
        tsc.free_thread_safe_context()
        handle.unblock()

    return _start(ctx, handle, work)


def hello_block_hold(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.BLOCK.HOLD [timeout]: wait for HELLO.BLOCK.RELEASE from another client."""
    if len(args) > 1:
        return ctx.wrong_arity()
    try:
        timeout = args[0].to_long_long() if args else 0
    except ValueError:
        return ctx.reply_with_error("ERR invalid timeout")

    def released(reply_ctx: RedisModuleCtx, reply_args: list[RedisModuleString]) -> Status:
        return reply_ctx.reply_with_string(reply_ctx.get_blocked_client_private_data())

    def timed_out(reply_ctx: RedisModuleCtx, reply_args: list[RedisModuleString]) -> Status:
        HELD.pop(reply_ctx.client_id, None)
        return _timeout(reply_ctx, reply_args)

    handle = ctx.block_client(released, timed_out, None, timeout)
    if handle.waiting:
        HELD[ctx.client_id] = handle
    else:
        handle.abort()  # refused (MULTI, a script): nothing will release it
    return Status.OK


def hello_block_release(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.BLOCK.RELEASE <client-id> <value>: answer a held client; 1, else 0."""
    if len(args) != 2:
        return ctx.wrong_arity()
    try:
        client_id = args[0].to_long_long()
    except ValueError:
        return ctx.reply_with_error("ERR invalid client id")
    handle = HELD.pop(client_id, None)
    if handle is None:
        return ctx.reply_with_long_long(0)
    return ctx.reply_with_long_long(int(handle.unblock(bytes(args[1])) == Status.OK))


COMMANDS = (
    ("hello.block", hello_block),
    ("hello.keys", hello_keys),
    ("hello.block.hold", hello_block_hold),
    ("hello.block.release", hello_block_release),
)


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="helloblock", version=1, api_version=REDISMODULE_API_VERSION)


@hookimpl
def on_load(module: RedisModule, args: list[str]) -> Status:
    for name, callback in COMMANDS:
        if module.register_command(ModuleCommand(name, callback, "")) == Status.ERR:
            return Status.ERR
    return Status.OK
