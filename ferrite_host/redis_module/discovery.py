"""Finding installed modules: entry points of group `ferrite.modules`, never imported here.

Discovery only reads distribution metadata, so a module that fails to import can still be
listed, disabled or uninstalled; importing is the loader's job, one module at a time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

GROUP = "ferrite.modules"


@dataclass(frozen=True)
class ModuleCandidate:
    """One installed module: its entry point and the distribution that provides it."""

    #: Entry point name: what `MODULE LOAD`, `--module` and `--disable-module` take.
    name: str
    #: Entry point value: `package.module` or `package.module:object`.
    value: str
    dist_name: str | None
    dist_version: str | None
    entry_point: EntryPoint = field(compare=False, repr=False)

    @property
    def path(self) -> str:
        """What MODULE LIST shows as `path`: `ferrite.modules:<name> = <object>`."""
        return f"{self.entry_point.group or GROUP}:{self.name} = {self.value}"

    @property
    def distribution(self) -> str:
        """`dist-name 1.2.3`, for log lines and the CLI."""
        if self.dist_name is None:
            return "unknown distribution"
        return f"{self.dist_name} {self.dist_version}" if self.dist_version else self.dist_name


@dataclass(frozen=True)
class Discovery:
    """Every module found, by entry point name, plus entry points shadowed by a duplicate."""

    candidates: dict[str, ModuleCandidate]
    #: (ignored candidate, the candidate that kept the name)
    duplicates: list[tuple[ModuleCandidate, ModuleCandidate]]

    def get(self, name: str) -> ModuleCandidate | None:
        """The candidate with entry point name `name`, or None."""
        return self.candidates.get(name)


def candidate_from(entry_point: EntryPoint) -> ModuleCandidate:
    """A candidate from an entry point, reading its distribution's metadata only."""
    dist = getattr(entry_point, "dist", None)
    return ModuleCandidate(
        name=entry_point.name,
        value=entry_point.value,
        dist_name=dist.name if dist is not None else None,
        dist_version=dist.version if dist is not None else None,
        entry_point=entry_point,
    )


def discover(group: str = GROUP) -> Discovery:
    """Every installed module, sorted by name (the order start-up loads them in).

    Reads `sys.path` as it is now, so modules installed while the server runs are found.
    When two distributions declare the same entry point name, the first one found keeps it.
    """
    importlib.invalidate_caches()
    found: dict[str, ModuleCandidate] = {}
    duplicates: list[tuple[ModuleCandidate, ModuleCandidate]] = []
    for entry_point in entry_points(group=group):
        candidate = candidate_from(entry_point)
        kept = found.get(candidate.name)
        if kept is None:
            found[candidate.name] = candidate
        elif kept.value != candidate.value or kept.dist_name != candidate.dist_name:
            duplicates.append((candidate, kept))
    return Discovery(dict(sorted(found.items())), duplicates)


__all__ = ["GROUP", "Discovery", "ModuleCandidate", "candidate_from", "discover"]
