"""Configuration parameters that are not server settings: those a loaded module declares.

CONFIG GET and CONFIG SET see them beside the server's own settings; the module layer adds
a module's parameters when it loads and removes them when it unloads, so the core knows
nothing of modules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class Parameter(Protocol):
    """One CONFIG parameter: how it reads, and how a new value is checked and applied."""

    @property
    def name(self) -> str:
        """The lower-case parameter name, e.g. `acme.limit`."""

    @property
    def mutable(self) -> bool:
        """False for parameters only settable at load time (CONFIG SET refuses them)."""

    def render(self) -> str:
        """The current value as CONFIG GET shows it."""

    def parse(self, text: str) -> object:
        """The value `text` means; ValueError with Redis's reason when it is not valid."""

    def assign(self, value: object) -> None:
        """Apply a value `parse` returned (and tell whoever listens for changes)."""


class Parameters:
    """The extra parameters of one server, by lower-case name."""

    def __init__(self) -> None:
        self._by_name: dict[str, Parameter] = {}

    def add(self, parameter: Parameter) -> None:
        self._by_name[parameter.name.lower()] = parameter

    def remove(self, name: str) -> None:
        self._by_name.pop(name.lower(), None)

    def get(self, name: str) -> Parameter | None:
        return self._by_name.get(name.lower())

    def __iter__(self) -> Iterator[Parameter]:
        return iter(list(self._by_name.values()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name
