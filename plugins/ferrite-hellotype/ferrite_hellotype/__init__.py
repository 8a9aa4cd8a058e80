"""ferrite-hellotype: Redis's hellotype example module, ported to Ferrite's module API.

A custom data type, "hellotype", holding a sorted list of signed 64-bit integers, with the
HELLOTYPE.INSERT / HELLOTYPE.RANGE / HELLOTYPE.LEN / HELLOTYPE.BRANGE commands (the last
blocks its client on the key until a value arrives) and all six type callbacks.
"""

from __future__ import annotations

from ferrite_hellotype import commands, value
from ferrite_host.redis_module import ModuleInfo, RedisModule, hookimpl
from ferrite_host.redis_module.api import REDISMODULE_API_VERSION, Status
from ferrite_host.redis_module.commands import CommandFlag, ModuleCommand

__version__ = "1.0.0"

COMMANDS = (
    ("hellotype.insert", commands.hellotype_insert, "write deny-oom"),
    ("hellotype.range", commands.hellotype_range, "readonly"),
    ("hellotype.len", commands.hellotype_len, "readonly"),
    ("hellotype.brange", commands.hellotype_brange, "readonly"),
)


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name="hellotype", version=1, api_version=REDISMODULE_API_VERSION)


@hookimpl
def on_load(module: RedisModule, args: list[str]) -> Status:
    commands.HELLOTYPE = module.register_type(value.type_definition())
    for name, callback, flags in COMMANDS:
        command = ModuleCommand(name, callback, CommandFlag.parse(flags)).with_keys(1, 1, 1)
        if module.register_command(command) == Status.ERR:
            return Status.ERR
    return Status.OK
