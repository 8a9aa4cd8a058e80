"""ferrite-hello: Redis's helloworld example module, ported to Ferrite's module API.

Installed with pip, it is found through the `ferrite.modules` entry point `hello` and loaded
by `ferrite serve` like any other module.
"""

from __future__ import annotations

import logging

from ferrite_hello import commands, hashes, lists, zsets
from ferrite_host.redis_module import ModuleInfo, RedisModule, hookimpl
from ferrite_host.redis_module.api import REDISMODULE_API_VERSION, Status
from ferrite_host.redis_module.commands import CommandFlag, ModuleCommand

__version__ = "1.0.0"

log = logging.getLogger("ferrite.module.hello")

#: (name, callback, flags, (first, last, step)) exactly as helloworld.c registers them.
COMMANDS = (
    ("hello.simple", commands.hello_simple, "readonly", (0, 0, 0)),
    ("hello.push.native", lists.hello_push_native, "write deny-oom", (1, 1, 1)),
    ("hello.push.call", commands.hello_push_call, "write deny-oom", (1, 1, 1)),
    ("hello.push.call2", commands.hello_push_call2, "write deny-oom", (1, 1, 1)),
    ("hello.list.sum.len", lists.hello_list_sum_len, "readonly", (1, 1, 1)),
    ("hello.list.splice", lists.hello_list_splice, "write deny-oom", (1, 2, 1)),
    ("hello.list.splice.auto", lists.hello_list_splice_auto, "write deny-oom", (1, 2, 1)),
    ("hello.rand.array", commands.hello_rand_array, "readonly", (0, 0, 0)),
    ("hello.repl1", commands.hello_repl1, "write", (0, 0, 0)),
    ("hello.repl2", commands.hello_repl2, "write", (1, 1, 1)),
    ("hello.toggle.case", commands.hello_toggle_case, "write", (1, 1, 1)),
    ("hello.more.expire", commands.hello_more_expire, "write", (1, 1, 1)),
    ("hello.hcopy", hashes.hello_hcopy, "write deny-oom", (1, 1, 1)),
    ("hello.leftpad", commands.hello_leftpad, "", (1, 1, 1)),
    ("hello.zsumrange", zsets.hello_zsumrange, "readonly", (1, 1, 1)),
    ("hello.lexrange", zsets.hello_lexrange, "readonly", (1, 1, 1)),
)


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="hello", version=1, api_version=REDISMODULE_API_VERSION)


@hookimpl
def on_load(module: RedisModule, args: list[str]) -> Status:
    for index, arg in enumerate(args):
        log.info("Module loaded with ARGV[%d] = %s", index, arg)
    for name, callback, flags, (first, last, step) in COMMANDS:
        command = ModuleCommand(name, callback, CommandFlag.parse(flags))
        if module.register_command(command.with_keys(first, last, step)) == Status.ERR:
            return Status.ERR
    return Status.OK
