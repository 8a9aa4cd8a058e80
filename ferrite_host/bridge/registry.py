"""What the bridge has loaded into this redis-server: modules, commands, type slots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ferrite_host.bridge import _native as native
from ferrite_host.module.module import Module
from ferrite_host.redis_module.api import Status
from ferrite_host.redis_module.errors import ModuleLoadError
from ferrite_host.redis_module.loading import ModulePluginManager

if TYPE_CHECKING:
    from ferrite_host.bridge.context import BridgeCtx
    from ferrite_host.redis_module.commands import ModuleCommand
    from ferrite_host.redis_module.module import RedisModule
    from ferrite_host.redis_module.notifications import NotificationCallback
    from ferrite_host.redis_module.types import RedisModuleType

#: The C module's entry points per kind (keyspace subscriptions; modules, for their server
#: events and INFO function): Redis tells those callbacks nothing about whom they serve.
MAX_SLOTS = 32
#: The C module's command entry points (one per command: Redis 7.0 tells a command
#: callback nothing about which command it serves).
MAX_COMMANDS = 512


@dataclass
class BridgeModule:
    """A module staged (and, once Redis accepted it, committed) through the bridge."""

    entry_point: str
    module: RedisModule
    committed: bool = False
    commands: list[ModuleCommand] = field(default_factory=list)
    #: Its C entry points' index (server events, INFO), given when Redis accepted it.
    slot: int = -1
    #: RM_SubscribeToServerEvent callbacks, by event id (one per event, as in Redis).
    server_events: dict[int, Callable[..., Any]] = field(default_factory=dict)


class BridgeCommand:
    """A committed command with what every call needs worked out once (the hot path)."""

    __slots__ = ("arity", "command", "module", "name", "pythonic", "write")

    def __init__(self, command: ModuleCommand, module: RedisModule) -> None:
        self.command = command
        self.module = module
        self.name = command.name
        self.arity = command.info.arity
        self.write = command.is_write()
        #: The Pythonic `Module` whose runner calls the callback, or None (Redis-shaped).
        owner = getattr(command.runner, "__self__", None)
        self.pythonic = owner if isinstance(owner, Module) else None

    def arity_ok(self, argc: int) -> bool:
        arity = self.arity
        return argc == arity if arity > 0 else argc >= -arity


class Registry:
    """The bridge's one table of modules, commands (by lower-case name) and type slots."""

    def __init__(self) -> None:
        self.pm = ModulePluginManager()
        self.modules: dict[str, BridgeModule] = {}
        self.commands: dict[bytes, BridgeCommand] = {}
        self._slots: list[RedisModuleType] = []
        #: Each command's C entry point (src/call.c), by lower-case name, kept for good.
        self._command_slots: dict[str, int] = {}
        self._write_commands: dict[bytes, bool] = {}
        #: Modules by C slot, and keyspace subscriptions (module, callback) by C slot.
        self.loaded: list[BridgeModule] = []
        self.keyspace: list[tuple[RedisModule | None, NotificationCallback]] = []

    # -- modules, keyspace and server event subscriptions -----------------------------------

    def add_module(self, staged: BridgeModule) -> int:
        """A C slot for a module Redis is accepting; ModuleLoadError when none is left."""
        if len(self.loaded) >= MAX_SLOTS:
            raise ModuleLoadError(
                f"the Ferrite bridge serves at most {MAX_SLOTS} modules per redis-server"
            )
        self.loaded.append(staged)
        staged.slot = len(self.loaded) - 1
        return staged.slot

    def bridge_module(self, module: RedisModule | None) -> BridgeModule | None:
        for staged in self.loaded:
            if staged.module is module:
                return staged
        return None

    def subscribe_keyspace(
        self, addr: int, module: RedisModule | None, types: int, callback: NotificationCallback
    ) -> Status:
        """RM_SubscribeToKeyspaceEvents through a free C entry point."""
        if len(self.keyspace) >= MAX_SLOTS:
            raise RuntimeError(
                f"the Ferrite bridge holds at most {MAX_SLOTS} keyspace-event subscriptions"
            )
        slot = len(self.keyspace)
        if native.subscribe_keyspace(addr, slot, int(types)) != 0:
            return Status.ERR
        self.keyspace.append((module, callback))
        return Status.OK

    def subscribe_server_event(
        self,
        addr: int,
        module: RedisModule | None,
        event: int,
        callback: Callable[..., Any] | None,
    ) -> Status:
        """RM_SubscribeToServerEvent (None unsubscribes) through the module's entry point."""
        staged = self.bridge_module(module)
        if staged is None:
            return Status.ERR
        if native.subscribe_server_event(addr, staged.slot, int(event), callback is not None):
            return Status.ERR
        if callback is None:
            staged.server_events.pop(int(event), None)
        else:
            staged.server_events[int(event)] = callback
        return Status.OK

    # -- the ModuleHost protocol for staging modules ----------------------------------------

    def command_owner(self, name: str) -> str | None:
        """The bridge module owning `name`; Redis's own names are checked by Redis."""
        entry = self.commands.get(name.lower().encode())
        return entry.module.name if entry is not None else None

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

    def command_slot(self, name: str) -> int:
        """The C entry point serving command `name` (the same one if it is loaded again after
        a failed load); ModuleLoadError when the C side has none left."""
        key = name.lower()
        slot = self._command_slots.get(key)
        if slot is None:
            if len(self._command_slots) >= MAX_COMMANDS:
                raise ModuleLoadError(
                    f"the Ferrite bridge serves at most {MAX_COMMANDS} commands per redis-server"
                )
            slot = self._command_slots[key] = len(self._command_slots)
        return slot

    def is_write_command(self, call: BridgeCtx, name: bytes) -> bool:
        """Whether `name` is a write command (COMMAND INFO asked once per name)."""
        key = name.lower()
        known = self._write_commands.get(key)
        if known is None:
            known = self._ask_write_flag(call, key)
            self._write_commands[key] = known
        return known

    def _ask_write_flag(self, call: BridgeCtx, name: bytes) -> bool:
        entry = self.commands.get(name)
        if entry is not None:
            return entry.write
        info = native.call(call.addr, [b"COMMAND", b"INFO", name], "")
        if type(info) is list and info and type(info[0]) is list and len(info[0]) > 2:
            return b"write" in info[0][2]
        return False
