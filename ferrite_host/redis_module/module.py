"""The module object: its validated identity and what its `on_load` registered.

`on_load` receives a `RedisModule` that only *stages* registrations. The loader commits
them to the server's command table and type registry after `on_load` returned successfully,
which is how a failed load leaves nothing behind.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ferrite_host.core.loglevels import level_of
from ferrite_host.core.parameters import Parameter
from ferrite_host.redis_module.api import REDISMODULE_API_VERSION, ModuleOption, Status
from ferrite_host.redis_module.commands import (
    CommandCallback,
    CommandFlag,
    ModuleCommand,
    ModuleCommandRegistry,
)
from ferrite_host.redis_module.configs import ConfigRegistration
from ferrite_host.redis_module.errors import ModuleCommandError, ModuleTypeError
from ferrite_host.redis_module.types import ModuleTypeRegistry, RedisModuleType, RedisModuleTypeDef

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

log = logging.getLogger("ferrite")

_MODULE_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")


class ModuleInfo(BaseModel):
    """Who a module is; what its `module_info()` hook returns (or a mapping of the same).

    `name`: 1-64 characters of letters, digits, `_`, `-`, `.` (MODULE LIST, UNLOAD, and the
    owner shown by COMMAND DOCS). `version`: an integer >= 0. `api_version`: the Redis
    Module API version the module is written for; the host refuses versions it does not
    support.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: int = Field(ge=0)
    api_version: int = Field(default=REDISMODULE_API_VERSION, ge=0)

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        if not _MODULE_NAME_RE.fullmatch(name):
            raise ValueError("use 1 to 64 characters of letters, digits, '_', '-' and '.'")
        return name

    def __init__(self, *args: Any, **data: Any) -> None:
        """Also accepts the seed's positional form: `ModuleInfo("mymodule", 1, 1)`."""
        fields = ("name", "version", "api_version")
        if len(args) > len(fields):
            raise TypeError(f"ModuleInfo takes at most {len(fields)} positional arguments")
        for field, value in zip(fields, args, strict=False):
            if field in data:
                raise TypeError(f"ModuleInfo got {field!r} both positionally and by keyword")
            data[field] = value
        super().__init__(**data)


class ModuleState(str, enum.Enum):
    """Where a module is in its life; `str()` gives the lower-case word the CLI shows."""

    REGISTERED = "registered"
    LOADED = "loaded"
    UNLOADING = "unloading"
    UNLOADED = "unloaded"
    FAILED = "failed"
    DISABLED = "disabled"

    def __str__(self) -> str:
        return self.value


class ModuleHost(Protocol):
    """What a staging module may ask the server while `on_load` runs."""

    def command_owner(self, name: str) -> str | None:
        """Who already owns a command name ("builtin" or a module name), None if free."""

    def type_owner(self, name: str) -> str | None:
        """Which module already registered a type name, None if free."""


class RedisModule(ConfigRegistration):
    """A module as its `on_load(module, args)` hook sees it.

    Register commands with `register_command` (or `create_command`) and data types with
    `register_type`; both only work while `on_load` runs. Nothing reaches the server until
    the whole load succeeded.
    """

    def __init__(
        self,
        info: ModuleInfo,
        *,
        host: ModuleHost | None = None,
        args: list[str] | None = None,
        configs: list[tuple[str, str]] | None = None,
    ) -> None:
        self.info = info
        self.args: list[str] = list(args or [])
        #: `CONFIG name value` pairs given at load (MODULE LOADEX, `ferrite serve`).
        self.given_configs: list[tuple[str, str]] = list(configs or [])
        #: CONFIG parameters and INFO sections, committed with the commands.
        self.parameters: list[Parameter] = []
        self.info_sections: dict[str, Callable[[], list[tuple[str, object]]]] = {}
        #: (types, callback) keyspace-event subscriptions, committed with the commands.
        self.keyspace_subscriptions: list[tuple[int, Callable[..., Any]]] = []
        #: (event, callback) pairs from `subscribe_to_server_event`, committed at load.
        self.server_event_subscriptions: list[tuple[int, Callable[..., Any]]] = []
        self.state = ModuleState.REGISTERED
        self.commands = ModuleCommandRegistry()
        self.types = ModuleTypeRegistry(info.name)
        #: Registration failures that fail the load even if `on_load` ignored the ERR.
        self.problems: list[str] = []
        #: `set_module_options` flags (ModuleOption).
        self.options = ModuleOption(0)
        #: NO_IMPLICIT_PROPAGATION as a plain bool: read after every command of the module,
        #: where IntFlag arithmetic would cost more than the test itself.
        self.no_implicit_propagation = False
        self._host = host

    def set_module_options(self, options: int) -> None:
        """RM_SetModuleOptions: `ModuleOption` flags for the whole module (replacing the
        earlier ones)."""
        self.options = ModuleOption(options)
        self.no_implicit_propagation = bool(int(options) & ModuleOption.NO_IMPLICIT_PROPAGATION)

    def settle_propagation(self, session: Session) -> None:
        """After one of this module's commands: with NO_IMPLICIT_PROPAGATION, a command that
        asked for no propagation propagates nothing (Redis's rule for module commands)
        instead of itself verbatim (Ferrite's default rule)."""
        if self.no_implicit_propagation and session.propagation is None:
            session.propagation = []

    @property
    def name(self) -> str:
        """The validated module name (MODULE LIST, UNLOAD, command owner)."""
        return self.info.name

    @property
    def version(self) -> int:
        """The module's own version number (MODULE LIST `ver`)."""
        return self.info.version

    def __repr__(self) -> str:
        return (
            f"<RedisModule {self.name} v{self.version} {self.state} "
            f"commands={len(self.commands)} types={len(self.types)}>"
        )

    # -- registration -----------------------------------------------------------------------

    def register_command(self, command: ModuleCommand) -> Status:
        """Declare a command (RM_CreateCommand); `Status.OK` when it is registered.

        Raises ModuleCommandError, as `register_type` raises ModuleTypeError, when the name
        is taken (case-insensitively) by a built-in, another module or this module, or when
        called after `on_load`: a failed registration cannot be ignored by accident, and the
        load fails with the reason. A port's `if ... == Status.ERR: return Status.ERR`
        keeps working (it simply never triggers).
        """
        if self.state is not ModuleState.REGISTERED:
            raise ModuleCommandError(
                f"register_command({command.name!r}) called outside on_load; declare "
                "commands while the module loads"
            )
        clash = self._clash(command.name)
        if clash:
            problem = f"command name '{command.name}' {clash}"
            self.problems.append(problem)
            raise ModuleCommandError(problem)
        return self.commands.register(command)

    def _clash(self, name: str) -> str:
        """Why `name` cannot be registered ("" when it can)."""
        owner = self._host.command_owner(name) if self._host is not None else None
        if owner == "builtin":
            return "collides with a built-in command"
        if owner is not None:
            existing = f"'{owner}'" if owner != self.name else "(an earlier load)"
            return f"collides with a command of module {existing}"
        if name in self.commands:
            return "is registered twice by this module"
        return ""

    def create_command(
        self,
        name: str,
        callback: CommandCallback,
        flags: CommandFlag | str = "",
        first_key: int = 0,
        last_key: int = 0,
        key_step: int = 0,
    ) -> Status:
        """RM_CreateCommand's shape: name, callback, flag string, key triple."""
        return self.register_command(
            ModuleCommand(name, callback, flags).with_keys(first_key, last_key, key_step)
        )

    def register_type(self, typedef: RedisModuleTypeDef) -> RedisModuleType:
        """Declare a data type and get the handle to store its values with.

        Raises ModuleTypeError for a bad name or encver, a name any module already
        registered, or a call after `on_load`.
        """
        if self.state is not ModuleState.REGISTERED:
            raise ModuleTypeError(f"register_type({typedef.name!r}) called outside on_load")
        typedef.validate()
        owner = self._host.type_owner(typedef.name) if self._host is not None else None
        if owner is not None:
            raise ModuleTypeError(
                f"module type name '{typedef.name}' is already used by module '{owner}'"
            )
        return self.types.register(typedef)

    def stage_parameter(self, parameter: Parameter) -> None:
        """Declare a CONFIG parameter (RM_RegisterXxxConfig); visible once loaded."""
        self.parameters.append(parameter)

    def subscribe_to_keyspace_events(self, types: int, callback: Callable[..., Any]) -> Status:
        """From `on_load`: call `callback(ctx, type, event, key)` after every keyspace event
        of the NotifyFlag classes in `types` (`RedisModule_SubscribeToKeyspaceEvents`)."""
        if not callable(callback):
            raise TypeError("subscribe_to_keyspace_events needs a callable")
        self.keyspace_subscriptions.append((int(types), callback))
        return Status.OK

    def subscribe_to_server_event(self, event: int, callback: Callable[..., Any]) -> Status:
        """From `on_load`: call `callback(ctx, event, subevent, data)` on a server event
        (`ServerEvent.FLUSHDB`, `CLIENT_CHANGE`, ...), as RM_SubscribeToServerEvent."""
        if not callable(callback):
            raise TypeError("subscribe_to_server_event needs a callable")
        self.server_event_subscriptions.append((int(event), callback))
        return Status.OK

    def stage_info_section(self, name: str, fields: Callable[[], list[tuple[str, object]]]) -> None:
        """Declare an INFO section (`<module>_<name>`); rendered once loaded."""
        self.info_sections[name] = fields

    # -- seed-style accessors and state changes ---------------------------------------------

    def command_registry(self) -> ModuleCommandRegistry:
        """The commands staged so far (the seed's accessor)."""
        return self.commands

    def type_registry(self) -> ModuleTypeRegistry:
        """The data types staged so far (the seed's accessor)."""
        return self.types

    def mark_loaded(self) -> None:
        """Committed: registrations are closed from now on."""
        self.state = ModuleState.LOADED

    def begin_unload(self) -> None:
        """on_unload is being asked whether the module may go."""
        self.state = ModuleState.UNLOADING

    def finish_unload(self) -> None:
        """Its commands and types are gone from the server."""
        self.state = ModuleState.UNLOADED

    def mark_failed(self) -> None:
        """The load failed; nothing of it was committed."""
        self.state = ModuleState.FAILED

    def log(self, level: str, message: str) -> None:
        """Write `<module name> message` to the server log (levels as `ctx.log`)."""
        log.log(level_of(level), "<%s> %s", self.name, message)


__all__ = ["ModuleHost", "ModuleInfo", "ModuleState", "RedisModule"]
