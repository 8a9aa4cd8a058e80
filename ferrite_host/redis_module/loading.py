"""Loading and unloading one module, all or nothing.

Loading imports the entry point, registers it with pluggy, validates `ModuleInfo` and the
API version, and calls `on_load` with a staging `RedisModule`. Only when every step
succeeded are its commands and types committed to the server; any failure unregisters the
plugin and raises `ModuleLoadError` with a one-line reason, leaving nothing behind.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pluggy
from pydantic import ValidationError

from ferrite_host.core.events import MODULE_CHANGE, MODULE_LOADED, MODULE_UNLOADED
from ferrite_host.core.table import CommandCollision
from ferrite_host.keyspace import TypedValue
from ferrite_host.redis_module import hookspecs
from ferrite_host.redis_module.api import SUPPORTED_API_VERSIONS, Status
from ferrite_host.redis_module.blocked_clients import ModuleBlockedClients
from ferrite_host.redis_module.commands import command_spec
from ferrite_host.redis_module.errors import (
    ModuleAlreadyLoadedError,
    ModuleCommandError,
    ModuleExportsApisError,
    ModuleExportsTypesError,
    ModuleHasBlockedClientsError,
    ModuleHoldsTimersError,
    ModuleLoadError,
    ModuleTypeError,
    ModuleUnloadRefusedError,
)
from ferrite_host.redis_module.filters import CommandFilters
from ferrite_host.redis_module.module import ModuleHost, ModuleInfo, RedisModule
from ferrite_host.redis_module.notifications import ModuleKeyspaceEvents
from ferrite_host.redis_module.server_events import ModuleServerEvents
from ferrite_host.redis_module.shared_api import SharedApis
from ferrite_host.redis_module.timers import ModuleTimers

if TYPE_CHECKING:
    from pluggy import HookimplOpts

    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState
    from ferrite_host.redis_module.discovery import ModuleCandidate
    from ferrite_host.redis_module.types import RedisModuleType

log = logging.getLogger("ferrite")


class ModulePluginManager(pluggy.PluginManager):
    """pluggy's manager for project "ferrite", also accepting undecorated hook functions.

    A module that forgets `@hookimpl` on `module_info`/`on_load`/`on_unload` still works
    (as pytest accepts undecorated `pytest_*` functions).
    """

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin: object, name: str) -> HookimplOpts | None:
        """pluggy's marker, or default options for an undecorated hook function."""
        opts = super().parse_hookimpl_opts(plugin, name)
        if (
            opts is None
            and name in hookspecs.HOOK_NAMES
            and inspect.isroutine(getattr(plugin, name, None))
        ):
            return cast("HookimplOpts", {})
        return opts


@dataclass
class LoadedModule:
    """A module that loaded: what MODULE LIST, HELLO and the CLI show about it."""

    candidate: ModuleCandidate
    module: RedisModule
    plugin: object = field(repr=False)
    args: list[str]
    specs: list[CommandSpec] = field(repr=False)
    types: list[RedisModuleType]

    @property
    def name(self) -> str:
        """The module name from its ModuleInfo."""
        return self.module.name

    @property
    def version(self) -> int:
        """The module version from its ModuleInfo."""
        return self.module.version

    @property
    def api_version(self) -> int:
        """The Module API version it was written for."""
        return self.module.info.api_version

    @property
    def path(self) -> str:
        """`ferrite.modules:<name> = <object>`, as MODULE LIST shows it."""
        return self.candidate.path

    @property
    def entry_point(self) -> str:
        """The entry point name it was loaded by."""
        return self.candidate.name

    @property
    def commands(self) -> list[str]:
        """Declared names of the commands it added to the table."""
        return [spec.name for spec in self.specs]


class StateHost:
    """Answers a staging module's questions from the live server state."""

    def __init__(self, state: ServerState) -> None:
        self._state = state

    def command_owner(self, name: str) -> str | None:
        """`builtin`, a module name, or None when `name` is free."""
        spec = self._state.commands.lookup(name)
        return spec.owner if spec is not None else None

    def type_owner(self, name: str) -> str | None:
        """The module that registered type `name`, or None."""
        existing = self._state.module_types.get(name)
        return existing.module_name if existing is not None else None

    def shared_api(self, user: str, name: str) -> Any:
        """What a loaded module exported as `name` (None), recording `user`'s dependency."""
        return SharedApis.of(self._state).get(user, name)

    def shared_api_exported(self, name: str) -> bool:
        """Whether a loaded module exports `name`."""
        return SharedApis.of(self._state).exported(name)


def one_line(exc: BaseException) -> str:
    """`Class: message (at file.py:12)` for log lines and status records."""
    message = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno})"
    return text


def call_hook(pm: pluggy.PluginManager, plugin: object, hook_name: str, **kwargs: Any) -> Any:
    """Call one hook of one module only (hooks are never broadcast to every module)."""
    others = [other for other in pm.get_plugins() if other is not plugin]
    return pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)


def implements(pm: pluggy.PluginManager, plugin: object, hook_name: str) -> bool:
    """Whether `plugin` has an implementation of `hook_name`."""
    return any(caller.name == hook_name for caller in pm.get_hookcallers(plugin) or ())


def _is_err(result: object) -> bool:
    return result is Status.ERR or (type(result) is int and result == Status.ERR)


def stage_module(
    candidate: ModuleCandidate,
    args: list[str],
    *,
    pm: pluggy.PluginManager,
    host: ModuleHost | None,
    busy: Callable[[str], str | None],
    configs: list[tuple[str, str]] | None = None,
    plugin: object | None = None,
) -> tuple[RedisModule, object]:
    """Import, register, validate and run `on_load` on a staging module; no host state.

    This is the host-independent half of loading, shared by `ferrite serve` and the Redis
    bridge: discovery's candidate in, the staged `RedisModule` (and the entry point's
    object) out, or ModuleLoadError with a one-line reason and the plugin forgotten. The
    caller commits the staged commands and types to its host (or calls `forget_module`).
    `busy(module_name)` names the entry point of an already loaded module with that name.
    """
    if plugin is None:
        plugin = _import(candidate)
    _register(pm, candidate, plugin)
    module: RedisModule | None = None
    try:
        info = _read_info(pm, plugin)
        _check_api_version(info)
        other = busy(info.name)
        if other is not None:
            raise ModuleAlreadyLoadedError(
                f"a module named '{info.name}' is already loaded (entry point '{other}')"
            )
        module = RedisModule(info, host=host, args=args, configs=configs)
        _run_on_load(pm, plugin, module, args)
    except BaseException:
        if module is not None:
            module.mark_failed()
        _forget(pm, candidate.name)
        raise
    return module, plugin


def forget_module(pm: pluggy.PluginManager, module: RedisModule, entry_point: str) -> None:
    """Undo a staged load whose commit failed: the module is failed, its plugin gone."""
    module.mark_failed()
    _forget(pm, entry_point)


def load_module(
    candidate: ModuleCandidate,
    args: list[str],
    *,
    pm: pluggy.PluginManager,
    state: ServerState,
    busy: Callable[[str], str | None],
    configs: list[tuple[str, str]] | None = None,
    plugin: object | None = None,
) -> LoadedModule:
    """Load one module into this server; raise ModuleLoadError leaving nothing behind.

    `plugin` is the entry point's object when the caller has it already (a test harness);
    otherwise the entry point is imported.
    """
    module, plugin = stage_module(
        candidate,
        args,
        pm=pm,
        host=StateHost(state),
        busy=busy,
        configs=configs,
        plugin=plugin,
    )
    try:
        specs, types = commit_module(state, module)
    except BaseException:
        forget_module(pm, module, candidate.name)
        raise
    return LoadedModule(candidate, module, plugin, list(args), specs, types)


def _import(candidate: ModuleCandidate) -> object:
    try:
        return candidate.entry_point.load()
    except (Exception, SystemExit) as exc:
        log.debug("Importing module %s failed", candidate.name, exc_info=True)
        raise ModuleLoadError(f"import of '{candidate.value}' failed: {one_line(exc)}") from exc


def _register(pm: pluggy.PluginManager, candidate: ModuleCandidate, plugin: object) -> None:
    if pm.is_blocked(candidate.name):
        raise ModuleLoadError(f"module '{candidate.name}' is disabled")
    if pm.has_plugin(candidate.name):
        raise ModuleAlreadyLoadedError(f"module entry point '{candidate.name}' is already loaded")
    try:
        pm.register(plugin, name=candidate.name)
    except pluggy.PluginValidationError as exc:
        _forget(pm, candidate.name)
        raise ModuleLoadError(
            f"hook implementation does not match the hook specification: {one_line(exc)}"
        ) from exc
    except ValueError as exc:  # the same object is registered under another name
        owner = next((name for name, p in pm.list_name_plugin() if p is plugin), None)
        raise ModuleAlreadyLoadedError(
            f"the object '{candidate.value}' is already loaded as module entry point '{owner}'"
        ) from exc
    names = {caller.name for caller in pm.get_hookcallers(plugin) or ()}
    unknown = sorted(name for name in names if name not in hookspecs.HOOK_NAMES)
    missing = [name for name in hookspecs.REQUIRED_HOOKS if name not in names]
    if unknown or missing:
        _forget(pm, candidate.name)
        if unknown:
            raise ModuleLoadError(
                f"implements unknown hook(s) {', '.join(unknown)}; "
                f"known hooks are {', '.join(hookspecs.HOOK_NAMES)}"
            )
        raise ModuleLoadError(
            f"does not implement the required hook(s) {', '.join(missing)} "
            "(define them in the entry point's object, decorated with @hookimpl)"
        )


def _forget(pm: pluggy.PluginManager, name: str) -> None:
    """Undo a registration (pluggy versions differ on whether a failed one left state)."""
    if pm.has_plugin(name):
        pm.unregister(name=name)


def _read_info(pm: pluggy.PluginManager, plugin: object) -> ModuleInfo:
    try:
        raw = call_hook(pm, plugin, "module_info")
    except Exception as exc:
        raise ModuleLoadError(f"module_info() raised {one_line(exc)}") from exc
    try:
        if isinstance(raw, ModuleInfo):
            return ModuleInfo.model_validate(raw.model_dump())
        if isinstance(raw, Mapping):
            return ModuleInfo.model_validate(dict(raw))
    except ValidationError as exc:
        raise ModuleLoadError(f"invalid ModuleInfo: {describe_validation(exc)}") from None
    raise ModuleLoadError(
        f"module_info() must return a ModuleInfo or a mapping, got {type(raw).__name__}"
    )


def describe_validation(exc: ValidationError) -> str:
    """pydantic's errors as one line: `name: <problem> (got 'x'); version: ...`."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "ModuleInfo"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            parts.append(f"{where}: unknown field (fields are name, version, api_version)")
        elif error["type"] == "missing":
            parts.append(f"{where}: missing")
        else:
            parts.append(f"{where}: {message} (got {error.get('input')!r})")
    return "; ".join(parts)


def _check_api_version(info: ModuleInfo) -> None:
    if info.api_version not in SUPPORTED_API_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_API_VERSIONS)
        raise ModuleLoadError(
            f"module '{info.name}' requires Redis Module API version {info.api_version}, "
            f"but this host supports API version {supported}; upgrade ferrite-host or "
            "install a release of the module written for this API"
        )


def _run_on_load(
    pm: pluggy.PluginManager, plugin: object, module: RedisModule, args: list[str]
) -> None:
    try:
        result = call_hook(pm, plugin, "on_load", module=module, args=list(args))
    except (ModuleCommandError, ModuleTypeError) as exc:
        raise ModuleLoadError(exc.errmsg) from exc  # the reason, without a traceback's noise
    except Exception as exc:
        log.debug("on_load of module %s raised", module.name, exc_info=True)
        raise ModuleLoadError(f"on_load raised {one_line(exc)}") from exc
    if _is_err(result):
        raise ModuleLoadError("on_load returned Status.ERR")
    declared = {parameter.name.lower() for parameter in module.parameters}
    for name, _ in module.given_configs:
        if name.lower() not in declared:
            raise ModuleLoadError(
                f"module configuration '{name}' given, but module '{module.name}' declares "
                "no such parameter"
                + (
                    f" (it has: {', '.join(sorted(declared))})"
                    if declared
                    else "; pass settings as ARGS instead"
                )
            )
    if module.problems:
        raise ModuleLoadError("; ".join(module.problems))


def commit_module(
    state: ServerState, module: RedisModule
) -> tuple[list[CommandSpec], list[RedisModuleType]]:
    """Move a staged module's commands and types into the server, all or none."""
    types = list(module.types)
    for handle in types:
        existing = state.module_types.get(handle.name)
        if existing is not None:
            raise ModuleLoadError(
                f"module type name '{handle.name}' is already used by module "
                f"'{existing.module_name}'"
            )
    shared = SharedApis.of(state)
    taken = [name for name in module.shared_apis if shared.exported(name)]
    if taken:
        raise ModuleLoadError(f"shared API name '{taken[0]}' is already exported")
    specs = [command_spec(command, module, state) for command in module.commands]
    try:
        state.commands.register_all(specs)
    except CommandCollision as exc:
        raise ModuleLoadError(str(exc)) from None
    for name, api in module.shared_apis.items():
        shared.export(module.name, name, api)
    filters = CommandFilters.of(state)
    for staged in module.command_filters:
        filters.adopt(staged)
    for handle in types:
        state.module_types[handle.name] = handle
    for parameter in module.parameters:
        state.parameters.add(parameter)
    if module.keyspace_subscriptions:
        events = ModuleKeyspaceEvents.of(state)
        for kinds, callback in module.keyspace_subscriptions:
            events.subscribe(module, kinds, callback)
    if module.server_event_subscriptions:
        server_events = ModuleServerEvents.of(state)
        for event, callback in module.server_event_subscriptions:
            server_events.subscribe(module.name, event, callback)
    module.mark_loaded()
    state.hooks.hook.ferrite_server_event(
        state=state, event=MODULE_CHANGE, subevent=MODULE_LOADED, data=module.name
    )
    return specs, types


def module_keys_exist(state: ServerState, types: list[RedisModuleType]) -> bool:
    """Whether any key (in any database) holds a value of one of `types`."""
    if not types:
        return False
    wanted = {id(handle) for handle in types}
    for db in state.keyspace.dbs:
        for key in db.keys():  # noqa: SIM118 - keys() also drops expired keys, freeing them
            value = db.get(key)
            if type(value) is TypedValue and id(value.type) in wanted:
                return True
    return False


def unload_module(loaded: LoadedModule, *, pm: pluggy.PluginManager, state: ServerState) -> None:
    """Remove a loaded module's commands and types; ModuleUnloadError when it may not go."""
    module = loaded.module
    if module_keys_exist(state, loaded.types):
        raise ModuleExportsTypesError()
    if SharedApis.of(state).users_of(module.name):
        raise ModuleExportsApisError()
    if ModuleBlockedClients.of(state).count(module.name):
        raise ModuleHasBlockedClientsError()
    if ModuleTimers.of(state).pending(module.name):
        raise ModuleHoldsTimersError()
    if implements(pm, loaded.plugin, "on_unload"):
        module.begin_unload()
        try:
            result = call_hook(pm, loaded.plugin, "on_unload", module=module)
        except Exception as exc:
            module.mark_loaded()
            detail = f"on_unload raised {one_line(exc)}"
            raise ModuleUnloadRefusedError(detail=detail) from exc
        if _is_err(result):
            module.mark_loaded()
            raise ModuleUnloadRefusedError(detail="on_unload returned Status.ERR")
    state.commands.unregister_owner(module.name)
    for handle in loaded.types:
        if state.module_types.get(handle.name) is handle:
            del state.module_types[handle.name]
    for parameter in module.parameters:
        state.parameters.remove(parameter.name)
    ModuleKeyspaceEvents.of(state).forget(module)
    ModuleServerEvents.of(state).forget(module.name)
    SharedApis.of(state).forget(module.name)
    CommandFilters.of(state).forget(module.name)
    state.hooks.hook.ferrite_server_event(
        state=state, event=MODULE_CHANGE, subevent=MODULE_UNLOADED, data=module.name
    )
    pm.unregister(name=loaded.candidate.name)
    module.finish_unload()


__all__ = [
    "LoadedModule",
    "ModulePluginManager",
    "StateHost",
    "call_hook",
    "commit_module",
    "describe_validation",
    "forget_module",
    "implements",
    "load_module",
    "module_keys_exist",
    "one_line",
    "stage_module",
    "unload_module",
]
