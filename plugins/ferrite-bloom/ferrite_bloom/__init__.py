"""ferrite-bloom: RedisBloom for Ferrite (Bloom, Cuckoo, Count-Min, Top-K, t-digest).

Reports itself as RedisBloom does (module `bf`, version 20612 = RedisBloom 2.6.12, whose
commands, replies and error strings it follows), so clients that look the module up by name
enable their helpers. The distribution and entry point stay `ferrite-bloom` / `bloom`.

Load arguments (as RedisBloom's): `ERROR_RATE <rate>` and `INITIAL_SIZE <capacity>` set the
defaults BF.ADD, BF.MADD and BF.INSERT use when they create a filter.
"""

from __future__ import annotations

import logging
from typing import Any

from ferrite_bloom import (
    bf_commands,
    cf_commands,
    cms_commands,
    tdigest_commands,
    topk_commands,
    types,
)
from ferrite_host.redis_module import ModuleInfo, RedisModule, hookimpl
from ferrite_host.redis_module.api import REDISMODULE_API_VERSION, Status
from ferrite_host.redis_module.commands import CommandFlag, ModuleCommand

__version__ = "2.6.12"

#: MODULE LIST's name and version: RedisBloom's.
MODULE_NAME = "bf"
MODULE_VERSION = 20612

log = logging.getLogger("ferrite.module.bf")

#: Which command family keeps each type's handle (set when the type is registered).
_HANDLE_OWNERS: dict[str, tuple[Any, str]] = {
    types.BLOOM: (bf_commands, "BLOOM_TYPE"),
    types.CUCKOO: (cf_commands, "CUCKOO_TYPE"),
    types.CMS: (cms_commands, "CMS_TYPE"),
    types.TOPK: (topk_commands, "TOPK_TYPE"),
    types.TDIGEST: (tdigest_commands, "TDIGEST_TYPE"),
}

FAMILIES = (bf_commands, cf_commands, cms_commands, topk_commands, tdigest_commands)


def parse_load_args(args: list[str]) -> bf_commands.Defaults:
    """RedisBloom's load options; raises ValueError naming what is wrong."""
    if len(args) % 2:
        raise ValueError("Invalid number of arguments passed")
    defaults = bf_commands.Defaults()
    for name, value in zip(args[::2], args[1::2], strict=True):
        option = name.lower()
        if option == "initial_size":
            try:
                capacity = int(value)
            except ValueError:
                raise ValueError("Invalid argument for 'INITIAL_SIZE'") from None
            if capacity <= 0:
                raise ValueError("INITIAL_SIZE must be > 0")
            defaults.capacity = capacity
        elif option == "error_rate":
            try:
                rate = float(value)
            except ValueError:
                raise ValueError("Invalid argument for 'ERROR_RATE'") from None
            if not 0 < rate < 1:
                raise ValueError("ERROR_RATE must be > 0 and < 1")
            defaults.error_rate = rate
        else:
            raise ValueError(f"Unrecognized option {name!r}")
    return defaults


@hookimpl
def module_info() -> ModuleInfo:
    return ModuleInfo(name=MODULE_NAME, version=MODULE_VERSION, api_version=REDISMODULE_API_VERSION)


@hookimpl
def on_load(module: RedisModule, args: list[str]) -> Status:
    try:
        defaults = parse_load_args(args)
    except ValueError as exc:
        log.warning("bf: %s", exc)
        return Status.ERR
    bf_commands.DEFAULTS = defaults
    for typedef in types.definitions():
        owner, attribute = _HANDLE_OWNERS[typedef.name]
        setattr(owner, attribute, module.register_type(typedef))
    for family in FAMILIES:
        for name, callback, flags in family.COMMANDS:
            command = ModuleCommand(name, callback, CommandFlag.parse(flags)).with_keys(1, 1, 1)
            if module.register_command(command) == Status.ERR:
                return Status.ERR
    return Status.OK
