"""The hooks a module implements (pluggy project name "ferrite").

A module is the object its `ferrite.modules` entry point names, usually a Python module:

    from ferrite_host.redis_module import ModuleInfo, RedisModule, hookimpl

    @hookimpl
    def module_info():
        return ModuleInfo(name="hello", version=1)

    @hookimpl
    def on_load(module: RedisModule, args: list[str]):
        module.register_command(...)

Each hook is called for one module at a time, never broadcast to all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ferrite_host.redis_module.api import Status
    from ferrite_host.redis_module.module import ModuleInfo, RedisModule

PROJECT_NAME = "ferrite"

#: Marks a module's hook implementations (undecorated functions with a hook's name work too).
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
#: Marks the host's hook specifications below.
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

#: Hooks every module must implement.
REQUIRED_HOOKS = ("module_info", "on_load")
#: Every hook name a module may implement.
HOOK_NAMES = ("module_info", "on_load", "on_unload")


@hookspec(firstresult=True)
def module_info() -> ModuleInfo | Mapping[str, Any]:  # type: ignore[empty-body]
    """Required. Who the module is: a `ModuleInfo`, or a mapping with its fields.

    Called once per load, before `on_load`; validated by the host, which refuses the module
    when the name or version is invalid or `api_version` is not one it supports.
    """


@hookspec(firstresult=True)
def on_load(module: RedisModule, args: list[str]) -> Status | None:
    """Required. Register the module's commands and data types on `module`.

    `args` are the load arguments (`MODULE LOAD name arg...`, `--module name arg...`).
    Raising, or returning `Status.ERR`, fails the load and nothing registered is kept.
    """


@hookspec(firstresult=True)
def on_unload(module: RedisModule) -> Status | None:
    """Optional. Called before the module's commands and types are removed; returning
    `Status.ERR` cancels the unload (MODULE UNLOAD answers "operation not possible.")."""


__all__ = ["HOOK_NAMES", "PROJECT_NAME", "REQUIRED_HOOKS", "hookimpl", "hookspec"]
