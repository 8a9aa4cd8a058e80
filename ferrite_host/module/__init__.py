"""The Pythonic module API: the one import a module author needs.

    from ferrite_host.module import Module, Context, Args, ReplyError

    module = Module("acme", version=1)        # entry point: acme = "ferrite_acme:module"

    @module.command("acme.echo", flags="readonly fast", arity=2)
    def echo(ctx: Context, args: Args) -> bytes:
        return args.next_bytes()

Return values are replies; raise ReplyError (or WrongArity / WrongType) for an error. The
Redis-shaped layer (`ferrite_host.redis_module`) stays for ports of C modules; both run on
the same loader, command table and keyspace. Host internals (the manager, registries, the
reply builder) are not part of this surface.

Waiting (see the module authors' guide): `ctx.block_client()` returns a `BlockedClient`
whose `unblock(value)` answers the client later, from any thread; an `async def` command
(Ferrite's own extension) blocks its client until the coroutine returns, and may await
`ctx.sleep`, `ctx.wait_for_key` and `ctx.run_in_thread`; `ctx.keyspace_lock()` lets a
worker thread use the keyspace.
"""

from ferrite_host.module.args import Args
from ferrite_host.module.context import Context
from ferrite_host.module.errors import NotAFloat, NotAnInteger, ReplyError, WrongArity, WrongType
from ferrite_host.module.key import Key
from ferrite_host.module.module import Module
from ferrite_host.module.replies import Verbatim, ok
from ferrite_host.protocol.replies import SimpleString
from ferrite_host.redis_module.blocked_clients import BlockedClient
from ferrite_host.redis_module.configs import ModuleConfig

__all__ = [
    "Args",
    "BlockedClient",
    "Context",
    "Key",
    "Module",
    "ModuleConfig",
    "NotAFloat",
    "NotAnInteger",
    "ReplyError",
    "SimpleString",
    "Verbatim",
    "WrongArity",
    "WrongType",
    "ok",
]
