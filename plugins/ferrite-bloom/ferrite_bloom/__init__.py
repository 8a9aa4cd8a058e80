"""ferrite-bloom: scalable Bloom filters, wire-compatible with RedisBloom's BF.* commands.

Load arguments (as RedisBloom's): `ERROR_RATE <rate>` and `INITIAL_SIZE <capacity>` set the
defaults BF.ADD, BF.MADD and BF.INSERT use when they create a filter.
"""

from __future__ import annotations

import logging

from ferrite_bloom import commands, dump
from ferrite_bloom.filter import ScalableBloomFilter
from ferrite_host.redis_module import ModuleInfo, RedisModule, hookimpl
from ferrite_host.redis_module.api import REDISMODULE_API_VERSION, Status
from ferrite_host.redis_module.commands import CommandFlag, ModuleCommand
from ferrite_host.redis_module.types import RedisModuleTypeDef, TypeMethods

__version__ = "1.0.0"

log = logging.getLogger("ferrite.module.bloom")

#: RedisBloom's type name (9 characters) for scalable Bloom filters.
TYPE_NAME = "MBbloom--"

COMMANDS = (
    ("bf.reserve", commands.bf_reserve, "write deny-oom"),
    ("bf.add", commands.bf_add, "write deny-oom"),
    ("bf.madd", commands.bf_madd, "write deny-oom"),
    ("bf.insert", commands.bf_insert, "write deny-oom"),
    ("bf.exists", commands.bf_exists, "readonly fast"),
    ("bf.mexists", commands.bf_mexists, "readonly fast"),
    ("bf.info", commands.bf_info, "readonly fast"),
    ("bf.card", commands.bf_card, "readonly fast"),
    ("bf.scandump", commands.bf_scandump, "readonly fast"),
    ("bf.loadchunk", commands.bf_loadchunk, "write deny-oom"),
)


def type_definition() -> RedisModuleTypeDef:
    return RedisModuleTypeDef(TYPE_NAME, dump.ENCODING_VERSION).with_methods(
        TypeMethods(
            rdb_save=dump.rdb_save,
            rdb_load=dump.rdb_load,
            aof_rewrite=dump.dump_commands,
            mem_usage=lambda chain: chain.memory_bytes,
            digest=lambda chain: dump.rdb_save(chain),
            free=_free,
            copy=lambda chain: chain.copy(),
        )
    )


def _free(chain: ScalableBloomFilter) -> None:
    chain.layers.clear()


def parse_load_args(args: list[str]) -> commands.Defaults:
    """RedisBloom's load options; raises ValueError naming what is wrong."""
    if len(args) % 2:
        raise ValueError("Invalid number of arguments passed")
    defaults = commands.Defaults()
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
    return ModuleInfo(name="bloom", version=10000, api_version=REDISMODULE_API_VERSION)


@hookimpl
def on_load(module: RedisModule, args: list[str]) -> Status:
    try:
        defaults = parse_load_args(args)
    except ValueError as exc:
        log.warning("bloom: %s", exc)
        return Status.ERR
    commands.DEFAULTS = defaults
    commands.BLOOM_TYPE = module.register_type(type_definition())
    for name, callback, flags in COMMANDS:
        command = ModuleCommand(name, callback, CommandFlag.parse(flags)).with_keys(1, 1, 1)
        if module.register_command(command) == Status.ERR:
            return Status.ERR
    return Status.OK
