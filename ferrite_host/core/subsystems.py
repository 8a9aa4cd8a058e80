"""Typed slots for the subsystems a server is assembled from.

The core knows no subsystem (persistence, modules, pub/sub, scripting...), yet commands must
reach them. Each subsystem installs its own object here under its class and reads it back
with `Kind.of(state)`-style helpers, so every access is typed and the core holds no
dictionary of anything.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

T = TypeVar("T")


class Subsystems:
    def __init__(self) -> None:
        self._slots: dict[type[Any], Any] = {}

    def install(self, obj: T) -> T:
        """Store `obj` under its own class, replacing any earlier one."""
        self._slots[type(obj)] = obj
        return obj

    def get(self, kind: type[T]) -> T | None:
        return cast("T | None", self._slots.get(kind))

    def remove(self, kind: type[Any]) -> None:
        self._slots.pop(kind, None)
