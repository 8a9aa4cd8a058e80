"""What the bridge has loaded into this redis-server: modules, commands, type slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ferrite_host.bridge import _native as native
from ferrite_host.redis_module.loading import ModulePluginManager

if TYPE_CHECKING:
    from ferrite_host.bridge.context import CallState
    from ferrite_host.redis_module.commands import ModuleCommand
    from ferrite_host.redis_module.module import RedisModule
    from ferrite_host.redis_module.types import RedisModuleType


@dataclass
class BridgeModule:
    """A module staged (and, once Redis accepted it, committed) through the bridge."""

    entry_point: str
    module: RedisModule
    committed: bool = False
    commands: list[ModuleCommand] = field(default_factory=list)


class Registry:
    """The bridge's one table of modules, commands (by lower-case name) and type slots."""

    def __init__(self) -> None:
        self.pm = ModulePluginManager()
        self.modules: dict[str, BridgeModule] = {}
        self.commands: dict[bytes, tuple[ModuleCommand, RedisModule]] = {}
        self._slots: list[RedisModuleType] = []
        self._write_commands: dict[bytes, bool] = {}

    # -- the ModuleHost protocol for staging modules ----------------------------------------

    def command_owner(self, name: str) -> str | None:
        """The bridge module owning `name`; Redis's own names are checked by Redis."""
        entry = self.commands.get(name.lower().encode())
        return entry[1].name if entry is not None else None

    def type_owner(self, name: str) -> str | None:
        for handle in self._slots:
            if handle.name == name:
                return handle.module_name
        return None

    def busy(self, module_name: str) -> str | None:
        for loaded in self.modules.values():
            if loaded.committed and loaded.module.name.lower() == module_name.lower():
                return loaded.entry_point
        return None

    # -- type slots (one C rdb_load entry point each) ---------------------------------------

    def add_slot(self, handle: RedisModuleType) -> int:
        self._slots.append(handle)
        return len(self._slots) - 1

    def slot_of(self, handle: RedisModuleType) -> int:
        for slot, known in enumerate(self._slots):
            if known is handle:
                return slot
        raise ValueError(f"data type '{handle.name}' is not registered with Redis")

    def handle_at(self, slot: int) -> RedisModuleType:
        return self._slots[slot]

    def handle_named(self, module: RedisModule, name: str) -> RedisModuleType | None:
        for handle in self._slots:
            if handle.name == name and handle.module_name == module.name:
                return handle
        return None

    # -- commands ---------------------------------------------------------------------------

    def is_write_command(self, call: CallState, name: bytes) -> bool:
        """Whether `name` is a write command (COMMAND INFO asked once per name)."""
        key = name.lower()
        known = self._write_commands.get(key)
        if known is None:
            known = self._ask_write_flag(call, key)
            self._write_commands[key] = known
        return known

    def _ask_write_flag(self, call: CallState, name: bytes) -> bool:
        entry = self.commands.get(name)
        if entry is not None:
            return entry[0].is_write()
        info = native.call(call.addr, [b"COMMAND", b"INFO", name], "")
        if type(info) is list and info and type(info[0]) is list and len(info[0]) > 2:
            return b"write" in info[0][2]
        return False
