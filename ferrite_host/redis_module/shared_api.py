"""RM_ExportSharedAPI / RM_GetSharedAPI: objects one module lends to others, by name.

A module that fetched another's API depends on it: the exporter cannot be unloaded while
the user is loaded (Redis's rule), and its exports go when it unloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState


@dataclass
class _Export:
    module_name: str
    api: Any
    users: set[str] = field(default_factory=set)


class SharedApis:
    """Every exported API of the loaded modules."""

    def __init__(self) -> None:
        self._exports: dict[str, _Export] = {}

    @classmethod
    def of(cls, state: ServerState) -> SharedApis:
        found: SharedApis | None = state.subsystems.get(cls)
        if found is None:
            found = state.subsystems.install(cls())
        return found

    def export(self, module_name: str, name: str, api: Any) -> Any:
        """Status.OK, or Status.ERR when `name` is already exported."""
        from ferrite_host.redis_module.api import Status

        if name in self._exports:
            return Status.ERR
        self._exports[name] = _Export(module_name, api)
        return Status.OK

    def exported(self, name: str) -> bool:
        """Whether some module exports `name`."""
        return name in self._exports

    def get(self, user: str, name: str) -> Any:
        """The API (recording `user` as depending on its exporter), or None."""
        found = self._exports.get(name)
        if found is None:
            return None
        if user != found.module_name:
            found.users.add(user)
        return found.api

    def users_of(self, module_name: str) -> set[str]:
        """Modules using an API `module_name` exported."""
        return {
            user
            for export in self._exports.values()
            if export.module_name == module_name
            for user in export.users
        }

    def forget(self, module_name: str) -> None:
        """MODULE UNLOAD: drop the module's exports and its uses of others'."""
        for name in [n for n, e in self._exports.items() if e.module_name == module_name]:
            del self._exports[name]
        for export in self._exports.values():
            export.users.discard(module_name)


__all__ = ["SharedApis"]
