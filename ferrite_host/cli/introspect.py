"""What each installed module registers, found without starting a server.

`ferrite modules list/info` need every module's commands and types, which only `on_load`
knows. This loads each discovered module with the module layer's own `load_module` into a
throwaway in-memory `ServerState` (no sockets, no files), in the order `ferrite serve`
would, so a module that could not load at start-up shows as broken here with the same
reason. A broken module never stops the listing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ferrite_host.redis_module.discovery import Discovery, ModuleCandidate, discover
from ferrite_host.redis_module.errors import RedisModuleError
from ferrite_host.redis_module.loading import (
    LoadedModule,
    ModulePluginManager,
    load_module,
    one_line,
)


@dataclass(frozen=True)
class CommandReport:
    name: str
    flags: list[str]
    first_key: int
    last_key: int
    key_step: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "flags": self.flags,
            "first_key": self.first_key,
            "last_key": self.last_key,
            "key_step": self.key_step,
        }


@dataclass(frozen=True)
class TypeReport:
    name: str
    encver: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "encver": self.encver}


@dataclass
class ModuleReport:
    """One installed module as `ferrite modules list/info` show it."""

    #: Entry point name: what `--module`, `MODULE LOAD` and `ferrite modules info` take.
    name: str
    entry_point: str
    distribution: str | None
    distribution_version: str | None
    module_name: str | None = None
    version: int | None = None
    api_version: int | None = None
    commands: list[CommandReport] = field(default_factory=list)
    types: list[TypeReport] = field(default_factory=list)
    status: str = "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def reason(self) -> str:
        return self.status.removeprefix("broken: ")

    def to_json(self, detailed: bool = False) -> dict[str, Any]:
        """Stable keys for scripts; `detailed` spells out each command and type."""
        return {
            "name": self.name,
            "module_name": self.module_name,
            "version": self.version,
            "api_version": self.api_version,
            "distribution": self.distribution,
            "distribution_version": self.distribution_version,
            "entry_point": self.entry_point,
            "commands": [c.to_json() if detailed else c.name for c in self.commands],
            "types": [t.to_json() if detailed else t.name for t in self.types],
            "status": self.status,
        }


def _report_for(candidate: ModuleCandidate) -> ModuleReport:
    return ModuleReport(
        name=candidate.name,
        entry_point=candidate.path,
        distribution=candidate.dist_name,
        distribution_version=candidate.dist_version,
    )


def _fill(report: ModuleReport, loaded: LoadedModule) -> None:
    report.module_name = loaded.name
    report.version = loaded.version
    report.api_version = loaded.api_version
    report.commands = [
        CommandReport(
            command.name,
            command.flags.tokens.split(),
            command.first_key,
            command.last_key,
            command.key_step,
        )
        for command in loaded.module.commands
    ]
    report.types = [TypeReport(handle.name, handle.encver) for handle in loaded.types]


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """Loading logs what a server would; the CLI reports problems itself."""
    logger = logging.getLogger("ferrite")
    saved = (logger.level, logger.propagate, logger.disabled)
    logger.disabled = True
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        logger.propagate, logger.disabled = saved[1], saved[2]


def inspect_modules(discovery: Discovery | None = None) -> list[ModuleReport]:
    """Every installed module, loaded as `ferrite serve` would load them; sorted by name."""
    from ferrite_host.assembly import build_state
    from ferrite_host.core.config import Settings

    found = discovery if discovery is not None else discover()
    state = build_state(Settings())
    pm = ModulePluginManager()
    names_in_use: dict[str, str] = {}
    reports: list[ModuleReport] = []
    with _quiet_logs():
        for candidate in found.candidates.values():
            report = _report_for(candidate)
            reports.append(report)
            try:
                loaded = load_module(
                    candidate,
                    [],
                    pm=pm,
                    state=state,
                    busy=lambda name: names_in_use.get(name.lower()),
                )
            except RedisModuleError as exc:
                report.status = f"broken: {exc.errmsg}"
                continue
            except Exception as exc:
                report.status = f"broken: {one_line(exc)}"
                continue
            names_in_use[loaded.name.lower()] = candidate.name
            _fill(report, loaded)
    for ignored, kept in found.duplicates:
        report = _report_for(ignored)
        report.status = (
            f"broken: entry point name '{ignored.name}' is also declared by "
            f"{kept.distribution}, which is used instead"
        )
        reports.append(report)
    return sorted(reports, key=lambda report: report.name)
