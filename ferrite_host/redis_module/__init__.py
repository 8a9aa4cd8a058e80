"""The Redis Module API for Ferrite modules, and the manager that loads them.

Module authors import from here and from `.api`, `.commands` and `.types`; nothing else in
`ferrite_host` is part of the module API. A module is a distribution with an entry point in
group `ferrite.modules` whose object implements the hooks `module_info` and `on_load`
(and optionally `on_unload`), see `ferrite_host.redis_module.hookspecs`.
"""

from ferrite_host.redis_module.errors import (
    ModuleAlreadyLoadedError,
    ModuleCommandError,
    ModuleExportsTypesError,
    ModuleHasBlockedClientsError,
    ModuleHoldsTimersError,
    ModuleLoadError,
    ModuleTypeError,
    ModuleUnloadError,
    ModuleUnloadRefusedError,
    NoSuchModuleError,
    RedisModuleError,
)
from ferrite_host.redis_module.hookspecs import hookimpl, hookspec
from ferrite_host.redis_module.manager import RedisModuleManager
from ferrite_host.redis_module.module import ModuleInfo, ModuleState, RedisModule

__all__ = [
    "ModuleAlreadyLoadedError",
    "ModuleCommandError",
    "ModuleExportsTypesError",
    "ModuleHasBlockedClientsError",
    "ModuleHoldsTimersError",
    "ModuleInfo",
    "ModuleLoadError",
    "ModuleState",
    "ModuleTypeError",
    "ModuleUnloadError",
    "ModuleUnloadRefusedError",
    "NoSuchModuleError",
    "RedisModule",
    "RedisModuleError",
    "RedisModuleManager",
    "hookimpl",
    "hookspec",
]
