"""RedisModuleManager: the server's modules, from discovery to MODULE LIST.

It owns the pluggy plugin manager and a status record per module, loads the start-up set
chosen by the settings, and serves MODULE LOAD/UNLOAD/LIST, HELLO's `modules` field,
`INFO modules` and the CLI's status listing. A module that fails never stops the server or
other modules: the failure is logged in one line and kept as a status record.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING, Any

from ferrite_host.core.hookspecs import InfoProvider, hookimpl
from ferrite_host.redis_module.discovery import (
    GROUP,
    Discovery,
    ModuleCandidate,
    candidate_from,
    discover,
)
from ferrite_host.redis_module.errors import (
    ModuleAlreadyLoadedError,
    ModuleLoadError,
    ModuleUnloadError,
    NoSuchModuleError,
    RedisModuleError,
)
from ferrite_host.redis_module.loading import (
    LoadedModule,
    ModulePluginManager,
    load_module,
    unload_module,
)
from ferrite_host.redis_module.module import ModuleState
from ferrite_host.redis_module.timers import ModuleTimers

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")


@dataclass
class ModuleStatus:
    """One row of the module status listing (`ferrite modules list`, start-up failures)."""

    #: Entry point name (what MODULE LOAD and --module take).
    entry_point: str
    state: ModuleState
    #: One-line reason for FAILED (and why it is DISABLED); empty otherwise.
    reason: str = ""
    #: Module name from its ModuleInfo, once it was read.
    name: str | None = None
    version: int | None = None
    dist_name: str | None = None
    dist_version: str | None = None
    path: str = ""
    args: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls, entry_point: str, candidate: ModuleCandidate | None, state: ModuleState, **kw: Any
    ) -> ModuleStatus:
        """A status row filled with what the candidate knows (distribution, path)."""
        if candidate is None:
            return cls(entry_point, state, **kw)
        return cls(
            entry_point,
            state,
            dist_name=candidate.dist_name,
            dist_version=candidate.dist_version,
            path=candidate.path,
            **kw,
        )


class RedisModuleManager:
    """Discovers, loads and unloads modules for one server state."""

    def __init__(self, state: ServerState, group: str = GROUP) -> None:
        self.state = state
        self.group = group
        self.pm = ModulePluginManager()
        #: Loaded modules by lower-cased module name, in load order.
        self._loaded: dict[str, LoadedModule] = {}
        #: Last failure or unload per entry point name.
        self._outcomes: dict[str, ModuleStatus] = {}

    @classmethod
    def attach(cls, state: ServerState) -> RedisModuleManager:
        """Install a manager on `state` (INFO modules included) and load the start-up modules.

        `loadmodule` settings (from `--module` or redis.conf) load exactly those modules;
        otherwise, with `autoload_modules`, every installed one. `disable_module` names are
        never loaded. Failures are logged and recorded; start-up goes on.
        """
        manager = cls.install(state)
        manager.load_startup_modules()
        return manager

    @classmethod
    def install(cls, state: ServerState) -> RedisModuleManager:
        """A manager on `state` (and INFO's modules section), without loading anything."""
        manager = state.subsystems.install(cls(state))
        state.hooks.register(_ManagerHooks(manager), name="modules")
        return manager

    @classmethod
    def of(cls, state: ServerState) -> RedisModuleManager | None:
        """The manager installed on `state`, if any."""
        return state.subsystems.get(cls)

    def load_startup_modules(self) -> None:
        """Load what the settings ask for at start-up; failures never stop the server."""
        settings = self.state.settings
        for name in settings.disable_module:
            self.pm.set_blocked(name)
        discovery = self.discover()
        requests: list[tuple[str, list[str]]]
        if settings.loadmodule:
            requests = [(entry[0], list(entry[1:])) for entry in settings.loadmodule]
        elif settings.autoload_modules:
            requests = [(name, []) for name in discovery.candidates if not self.pm.is_blocked(name)]
        else:
            requests = []
        for name, args in requests:
            prefix = f"{name.lower()}."
            configs = [(n, v) for n, v in settings.module_config if n.lower().startswith(prefix)]
            with contextlib.suppress(RedisModuleError):  # logged and recorded; start anyway
                self._load_from(discovery, name, args, configs)

    # -- queries ----------------------------------------------------------------------------

    def discover(self) -> Discovery:
        """Installed modules right now (never imports them)."""
        return discover(self.group)

    def loaded(self) -> list[LoadedModule]:
        """Loaded modules in load order (name, version, path, args, commands, types)."""
        return list(self._loaded.values())

    def get(self, name: str) -> LoadedModule | None:
        """A loaded module by module name (case-insensitive) or entry point name."""
        found = self._loaded.get(name.lower())
        if found is not None:
            return found
        return next((m for m in self._loaded.values() if m.entry_point == name), None)

    def hello_modules(self) -> list[dict[bytes, Any]]:
        """MODULE LIST's entries (HELLO's `modules` field): name, ver, path, args."""
        return [
            {
                b"name": loaded.name.encode(),
                b"ver": loaded.version,
                b"path": loaded.path.encode(),
                b"args": [arg.encode("utf-8", "surrogateescape") for arg in loaded.args],
            }
            for loaded in self._loaded.values()
        ]

    def info_section(self) -> list[tuple[str, object]]:
        """`INFO modules`: one `module:name=...,ver=...,api=...` line per loaded module."""
        return [
            (
                "module",
                f"name={m.name},ver={m.version},api={m.api_version},filters=0,usedby=[],using=[],options=[]",
            )
            for m in self._loaded.values()
        ]

    def statuses(self) -> list[ModuleStatus]:
        """Every installed module and every failure, with its state and reason, by name."""
        discovery = self.discover()
        rows: dict[str, ModuleStatus] = {}
        for candidate in discovery.candidates.values():
            rows[candidate.name] = self._status_of(candidate)
        for ignored, kept in discovery.duplicates:
            key = f"{ignored.name} ({ignored.distribution})"
            rows[key] = ModuleStatus.of(
                ignored.name,
                ignored,
                ModuleState.FAILED,
                reason=(
                    f"entry point name '{ignored.name}' is also provided by "
                    f"{kept.distribution}, which is used instead"
                ),
            )
        for name, outcome in self._outcomes.items():
            rows.setdefault(name, outcome)
        for loaded in self._loaded.values():
            rows.setdefault(loaded.entry_point, self._loaded_status(loaded))
        return [rows[key] for key in sorted(rows)]

    def _status_of(self, candidate: ModuleCandidate) -> ModuleStatus:
        loaded = next((m for m in self._loaded.values() if m.entry_point == candidate.name), None)
        if loaded is not None:
            return self._loaded_status(loaded)
        if self.pm.is_blocked(candidate.name):
            return ModuleStatus.of(
                candidate.name,
                candidate,
                ModuleState.DISABLED,
                reason="disabled by --disable-module",
            )
        outcome = self._outcomes.get(candidate.name)
        if outcome is not None:
            return outcome
        return ModuleStatus.of(candidate.name, candidate, ModuleState.REGISTERED)

    @staticmethod
    def _loaded_status(loaded: LoadedModule) -> ModuleStatus:
        return ModuleStatus.of(
            loaded.entry_point,
            loaded.candidate,
            ModuleState.LOADED,
            name=loaded.name,
            version=loaded.version,
            args=list(loaded.args),
        )

    # -- load / unload ----------------------------------------------------------------------

    def load(
        self, name: str, args: Iterable[str] = (), configs: Iterable[tuple[str, str]] = ()
    ) -> LoadedModule:
        """Load an installed module by entry point name (or MODULE LIST's `path` text).

        Raises a ModuleLoadError subclass whose `errmsg` is the one-line reason, which is
        also logged and kept in `statuses()`.
        """
        return self._load_from(self.discover(), name, [str(arg) for arg in args], list(configs))

    def load_object(
        self,
        plugin: object,
        name: str,
        args: Iterable[str] = (),
        configs: Iterable[tuple[str, str]] = (),
    ) -> LoadedModule:
        """Load a module object that is not installed (a test harness, an embedding host),
        through the same validation and all-or-nothing commit as an installed one."""
        entry_point = EntryPoint(name=name, value=f"<object {plugin!r}>", group=self.group)
        candidate = candidate_from(entry_point)
        if any(m.entry_point == name for m in self._loaded.values()):
            raise ModuleAlreadyLoadedError(f"a module is already loaded as '{name}'")
        loaded = load_module(
            candidate,
            [str(arg) for arg in args],
            pm=self.pm,
            state=self.state,
            busy=self._busy,
            configs=list(configs),
            plugin=plugin,
        )
        self._loaded[loaded.name.lower()] = loaded
        return loaded

    def _load_from(
        self, discovery: Discovery, name: str, arguments: list[str], configs: list[tuple[str, str]]
    ) -> LoadedModule:
        entry_name = self._entry_name(name)
        candidate = discovery.get(entry_name)
        try:
            loaded = self._load(entry_name, candidate, arguments, configs)
        except ModuleLoadError as exc:
            where = f" ({candidate.distribution})" if candidate is not None else ""
            log.warning("Module '%s'%s failed to load: %s", entry_name, where, exc.errmsg)
            self._outcomes[entry_name] = ModuleStatus.of(
                entry_name,
                candidate,
                ModuleState.FAILED,
                reason=exc.errmsg,
                args=arguments,
            )
            raise
        self._loaded[loaded.name.lower()] = loaded
        self._outcomes.pop(entry_name, None)
        log.info(
            "Module '%s' loaded from %s (%s)",
            loaded.name,
            loaded.path,
            loaded.candidate.distribution,
        )
        return loaded

    def _entry_name(self, name: str) -> str:
        """Accept MODULE LIST's path (`ferrite.modules:hello = ferrite_hello`) as a name."""
        prefix = f"{self.group}:"
        if name.startswith(prefix):
            return name[len(prefix) :].split("=", 1)[0].strip()
        return name

    def _load(
        self,
        name: str,
        candidate: ModuleCandidate | None,
        args: list[str],
        configs: list[tuple[str, str]],
    ) -> LoadedModule:
        if candidate is None:
            raise ModuleLoadError(
                f"no installed module has the entry point '{name}' (group '{self.group}'); "
                "pip install it, or run 'ferrite modules list' to see what is installed"
            )
        if self.pm.is_blocked(name):
            raise ModuleLoadError(f"module '{name}' is disabled (--disable-module {name})")
        already = next((m for m in self._loaded.values() if m.entry_point == name), None)
        if already is not None:
            raise ModuleAlreadyLoadedError(
                f"module '{already.name}' (entry point '{name}') is already loaded"
            )
        return load_module(
            candidate, args, pm=self.pm, state=self.state, busy=self._busy, configs=configs
        )

    def _busy(self, module_name: str) -> str | None:
        loaded = self._loaded.get(module_name.lower())
        return loaded.entry_point if loaded is not None else None

    def unload(self, name: str) -> None:
        """Unload by module name (case-insensitive) or entry point name.

        Raises NoSuchModuleError, ModuleExportsTypesError (keys of its types exist) or
        ModuleUnloadRefusedError (its on_unload returned Status.ERR). The Python code stays
        imported (Python cannot unload it); loading again calls `on_load` afresh.
        """
        loaded = self.get(name)
        if loaded is None:
            raise NoSuchModuleError()
        try:
            unload_module(loaded, pm=self.pm, state=self.state)
        except ModuleUnloadError as exc:
            why = f"{exc.errmsg} ({exc.detail})" if exc.detail else exc.errmsg
            log.warning("Module '%s' was not unloaded: %s", loaded.name, why)
            raise
        del self._loaded[loaded.name.lower()]
        self._outcomes[loaded.entry_point] = ModuleStatus.of(
            loaded.entry_point,
            loaded.candidate,
            ModuleState.UNLOADED,
            name=loaded.name,
            version=loaded.version,
        )
        log.info("Module %s unloaded", loaded.name)


__all__ = ["ModuleStatus", "RedisModuleManager"]


class _ManagerHooks:
    """The module manager's implementations of the server's broadcast hooks."""

    def __init__(self, manager: RedisModuleManager) -> None:
        self._manager = manager

    @hookimpl
    def ferrite_cron(self, state: ServerState) -> None:
        ModuleTimers.of(state).fire_due()

    @hookimpl
    def ferrite_info_sections(self, state: ServerState) -> Mapping[str, InfoProvider]:
        sections: dict[str, InfoProvider] = {"modules": self._manager.info_section}
        for loaded in self._manager.loaded():
            prefix = f"{loaded.module.name}_"
            for name, fields in loaded.module.info_sections.items():
                sections[name] = _prefixed(prefix, fields)
        return sections


def _prefixed(prefix: str, fields: Callable[[], list[tuple[str, object]]]) -> InfoProvider:
    """A module's INFO fields as Redis shows them: `<module>_<field>`."""

    def provide() -> list[tuple[str, object]]:
        return [(prefix + name, value) for name, value in fields()]

    return provide
