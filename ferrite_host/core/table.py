"""The one command table: built-ins and module commands register here the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ferrite_host.core.command_stats import CommandStats
from ferrite_host.core.spec import CommandSpec


class CommandCollision(Exception):
    """A command name is already taken (names compare case-insensitively)."""


class CommandTable:
    """One server's commands by name, and its counters about them (`stats`); the specs
    themselves are frozen and may be shared by several servers."""

    def __init__(self) -> None:
        self._by_name: dict[bytes, CommandSpec] = {}
        self.stats = CommandStats()

    def register(self, spec: CommandSpec) -> None:
        key = spec.name.lower().encode()
        existing = self._by_name.get(key)
        if existing is not None:
            raise CommandCollision(
                f"command '{spec.name}' is already registered by {existing.owner}"
            )
        self._by_name[key] = spec

    def register_all(self, specs: list[CommandSpec]) -> None:
        """Register several commands, all or none."""
        seen: set[bytes] = set()
        for spec in specs:
            key = spec.name.lower().encode()
            if key in self._by_name or key in seen:
                owner = self._by_name[key].owner if key in self._by_name else "the same batch"
                raise CommandCollision(f"command '{spec.name}' is already registered by {owner}")
            seen.add(key)
        for spec in specs:
            self._by_name[spec.name.lower().encode()] = spec

    def unregister_owner(self, owner: str) -> list[CommandSpec]:
        removed = [spec for spec in self._by_name.values() if spec.owner == owner]
        for spec in removed:
            del self._by_name[spec.name.lower().encode()]
            self.stats.forget(spec)
        return removed

    def get(self, name: bytes) -> CommandSpec | None:
        """Look up by the lower-cased name as sent on the wire."""
        return self._by_name.get(name)

    def get_function(self) -> Callable[[bytes], CommandSpec | None]:
        """`get` without the method call, for the dispatcher's hot path."""
        return self._by_name.get

    def lookup(self, name: str | bytes) -> CommandSpec | None:
        raw = name.encode() if isinstance(name, str) else name
        return self._by_name.get(raw.lower())

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, (str, bytes)) and self.lookup(name) is not None
