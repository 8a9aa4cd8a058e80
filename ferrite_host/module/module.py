"""`Module`: a module declared in Python, which is itself its entry point's target.

    module = Module("acme", version=1)      # entry point: acme = "ferrite_acme:module"

It implements the loader's hooks (`module_info`, `on_load`, `on_unload`), so discovery,
ModuleInfo validation, the API-version check and all-or-nothing loading are the ones every
module goes through; declarations are turned into the Redis-shaped layer's commands and
types when `on_load` runs.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ferrite_host.module.args import Args
from ferrite_host.module.context import Context
from ferrite_host.module.datatypes import DataType
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.replies import to_reply
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module.api import REDISMODULE_API_VERSION, ModuleOption, Status
from ferrite_host.redis_module.blocked_clients import AsyncCommand
from ferrite_host.redis_module.commands import CommandFlag, CommandInfo, ModuleCommand
from ferrite_host.redis_module.configs import ModuleConfig
from ferrite_host.redis_module.errors import ModuleCommandError
from ferrite_host.redis_module.filters import FILTER_NOSELF, CommandFilterCtx
from ferrite_host.redis_module.module import ModuleInfo, RedisModule
from ferrite_host.redis_module.types import RedisModuleType
from ferrite_host.strconv import to_bytes

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

#: `callback(ctx, args) -> reply value`, or `async def callback(ctx, args)`
Command = Callable[[Context, Args], Any]
C = TypeVar("C", bound=Command)
T = TypeVar("T", bound=type)
InfoFields = Mapping[str, object] | Sequence[tuple[str, object]]


@dataclass
class _Declared:
    name: str
    function: Command
    flags: str
    keys: tuple[int, int, int]
    info: CommandInfo


class Module:
    """A Ferrite module written in Python: declare commands, data types, configs and INFO
    sections on it, and point the `ferrite.modules` entry point at it."""

    def __init__(
        self,
        name: str,
        version: int = 1,
        *,
        api_version: int = REDISMODULE_API_VERSION,
        implicit_propagation: bool = True,
        handle_io_errors: bool = False,
    ) -> None:
        """`implicit_propagation=False` is Redis's rule: a command propagates only what it
        replicates or calls with `flags="!"`, never itself verbatim. `handle_io_errors=True`
        is HANDLE_IO_ERRORS: typed loads report a bad field through `io.is_io_error()`."""
        self.info = ModuleInfo(name=name, version=version, api_version=api_version)
        self.implicit_propagation = implicit_propagation
        self.handle_io_errors = handle_io_errors
        self._commands: list[_Declared] = []
        self._types: dict[type, DataType] = {}
        self._configs: dict[str, ModuleConfig] = {}
        self._sections: dict[str, Callable[[], InfoFields]] = {}
        self._startup: list[Callable[[list[str]], None]] = []
        self._filters: list[tuple[Callable[[list[bytes]], Any], bool]] = []
        self._exports: dict[str, Any] = {}
        self._shutdown: list[Callable[[], None]] = []

    @property
    def name(self) -> str:
        return self.info.name

    def __repr__(self) -> str:
        return f"<Module {self.name} v{self.info.version} commands={len(self._commands)}>"

    # -- declarations -------------------------------------------------------------------

    def command(
        self,
        name: str,
        *,
        flags: str = "",
        keys: tuple[int, int, int] = (0, 0, 0),
        arity: int = -1,
        summary: str = "",
        since: str = "",
        complexity: str = "",
        acl_categories: str = "",
        arguments: Sequence[Mapping[str, Any]] = (),
        key_specs: Sequence[Mapping[str, Any]] = (),
    ) -> Callable[[C], C]:
        """Declare `callback(ctx, args)` as command `name`; its return value is the reply.

        `flags` are Redis's flag words ("write deny-oom", "readonly fast"); `keys` the
        (first, last, step) key positions; `arity` as Redis counts it (name included,
        negative for "at least"); `key_specs` exact key specs as COMMAND INFO shows them
        (see CommandInfo), which ACL key permissions follow.
        """
        CommandFlag.parse(flags)  # an unknown flag fails here, at import, naming it
        info = CommandInfo(
            arity=arity,
            summary=summary,
            since=since,
            complexity=complexity,
            acl_categories=tuple(acl_categories.split()),
            arguments=tuple(dict(argument) for argument in arguments),
            key_specs=tuple(dict(spec) for spec in key_specs),
        )

        def declare(function: C) -> C:
            self._commands.append(_Declared(name, function, flags, keys, info))
            return function

        return declare

    def data_type(
        self, name: str, encver: int = 0, *, typed_io: bool = False, aux_triggers: int = 0
    ) -> Callable[[T], T]:
        """Declare a class as a data type named `name` (what TYPE answers, 1-9 chars);
        `typed_io=True` for Redis's typed RDB stream (see datatypes.py)."""

        def declare(cls: T) -> T:
            self._types[cls] = DataType(name, encver, cls, typed_io, aux_triggers)
            return cls

        return declare

    def config(
        self,
        name: str,
        *,
        default: Any,
        type: type = int,
        choices: Sequence[str] = (),
        minimum: int | None = None,
        maximum: int | None = None,
        mutable: bool = True,
        on_change: Callable[[Any], None] | None = None,
    ) -> ModuleConfig:
        """Declare a CONFIG parameter; its name must start with "<module name>."."""
        if not name.lower().startswith(self.name.lower() + "."):
            raise ValueError(
                f"config name {name!r} must start with the module name and a dot "
                f"('{self.name}.'), as Redis names module configs"
            )
        kind = str if choices else type
        config = ModuleConfig(
            name,
            default,
            kind,
            choices=choices,
            minimum=minimum,
            maximum=maximum,
            mutable=mutable,
            on_change=on_change,
        )
        self._configs[config.name] = config
        return config

    def info_section(
        self, name: str
    ) -> Callable[[Callable[[], InfoFields]], Callable[[], InfoFields]]:
        """Declare `fn() -> {field: value}` as INFO section `<module>_<name>`."""

        def declare(function: Callable[[], InfoFields]) -> Callable[[], InfoFields]:
            self._sections[f"{self.name}_{name}".lower()] = function
            return function

        return declare

    def command_filter(
        self, *, noself: bool = False
    ) -> Callable[[Callable[[list[bytes]], Any]], Callable[[list[bytes]], Any]]:
        """Declare a command filter (RM_RegisterCommandFilter): `function(argv)` sees every
        command (name first) before it runs and returns the arguments to run instead, or
        None to leave them; `noself=True` skips this module's own `ctx.call`s."""

        def declare(function: Callable[[list[bytes]], Any]) -> Callable[[list[bytes]], Any]:
            self._filters.append((function, noself))
            return function

        return declare

    def export_api(self, name: str, api: Any) -> None:
        """Lend `api` to other modules as `name` (RM_ExportSharedAPI); they get it with
        `ctx.shared_api(name)`."""
        self._exports[name] = api

    def startup(self, function: Callable[[list[str]], None]) -> Callable[[list[str]], None]:
        """Run `function(args)` when the module loads, after its declarations; raising
        fails the load (nothing of the module stays)."""
        self._startup.append(function)
        return function

    def shutdown(self, function: Callable[[], None]) -> Callable[[], None]:
        """Run `function()` when the module unloads; raising refuses the unload."""
        self._shutdown.append(function)
        return function

    # -- runtime ------------------------------------------------------------------------

    def declared_type_name(self, kind: type) -> str:
        """The type name class `kind` was declared with; TypeError when it was not."""
        declared = self._types.get(kind)
        if declared is None:
            raise TypeError(
                f"{kind.__name__} is not a data type of module '{self.name}'; "
                "declare it with @module.data_type(...)"
            )
        return declared.name

    def type_handle(self, state: ServerState, kind: type) -> RedisModuleType:
        name = self.declared_type_name(kind)
        handle = state.module_types.get(name)
        if not isinstance(handle, RedisModuleType) or handle.module_name != self.name:
            raise ReplyError(f"ERR data type '{name}' is not loaded")
        return handle

    # -- the loader's hooks -------------------------------------------------------------

    def module_info(self) -> ModuleInfo:
        return self.info

    def on_load(self, module: RedisModule, args: list[str]) -> Status:
        options = ModuleOption.NONE
        if not self.implicit_propagation:
            options |= ModuleOption.NO_IMPLICIT_PROPAGATION
        if self.handle_io_errors:
            options |= ModuleOption.HANDLE_IO_ERRORS
        module.set_module_options(options)
        for declared in self._types.values():
            module.register_type(declared.typedef())
        for command in self._commands:
            module.register_command(self._module_command(command))  # raises on a clash
        for config in self._configs.values():
            config.reset()
            module.stage_parameter(config)
        for section, function in self._sections.items():
            module.stage_info_section(section, _fields_of(function))
        for name, text in module.given_configs:
            given = self._configs.get(name.lower())
            if given is not None:  # the loader refuses names no module declared
                given.assign(given.parse(text))
        for argv_filter, noself in self._filters:
            flags = FILTER_NOSELF if noself else 0
            module.register_command_filter(_argv_filter(argv_filter), flags)
        for name, api in self._exports.items():
            if module.export_shared_api(name, api) is not Status.OK:
                raise ModuleCommandError(f"shared API name '{name}' is already exported")
        for startup in self._startup:
            startup(list(args))
        return Status.OK

    def on_unload(self, module: RedisModule) -> Status:
        for function in self._shutdown:
            function()
        return Status.OK

    def _module_command(self, declared: _Declared) -> ModuleCommand:
        # The callback slot holds the Pythonic function; `_run` (the runner) calls it.
        command = ModuleCommand(declared.name, declared.function, declared.flags)  # type: ignore[arg-type]
        command.with_keys(*declared.keys).with_info(declared.info)
        command.runner = self._run
        return command

    def _run(
        self, command: ModuleCommand, staged: RedisModule, session: Session, argv: list[bytes]
    ) -> Any:
        """One call: a Context and Args, the callback, its return value as the reply."""
        ctx = Context(session, command.name, self, staged, argv)
        try:
            function: Command = command.callback  # type: ignore[assignment]
            result = function(ctx, Args(argv, command.name))
            if inspect.iscoroutine(result):
                return self._run_async(command.name, ctx, session, result)
            blocked = ctx._blocked()
            if blocked is not None:
                return blocked  # NO_REPLY (answered later) or Redis's refusal
            return to_reply(result)
        except Exception as exc:  # a bug in a module must not take the client down
            return self._error_reply(command.name, exc)
        finally:
            if not ctx._running_async:
                if ctx._keys is not None or ctx._redis is not None:  # most calls open no key
                    ctx._finish()
                if staged.no_implicit_propagation:
                    staged.settle_propagation(session)

    def _error_reply(self, command: str, exc: BaseException) -> Error:
        if isinstance(exc, ReplyError):
            return Error(exc.message)
        log.error("Module %s: command '%s' raised", self.name, command, exc_info=exc)
        return Error(f"ERR module command '{command}' raised {type(exc).__name__}: {exc}")

    def _run_async(
        self, command: str, ctx: Context, session: Session, coroutine: Coroutine[Any, Any, Any]
    ) -> Any:
        """An `async def` command (Ferrite's own): the client is blocked until the
        coroutine returns, and answered with its return value (or ReplyError)."""
        ctx._running_async = True
        redis_ctx = ctx._redis
        session.propagation = list(redis_ctx._propagation) if redis_ctx is not None else []
        if redis_ctx is not None:
            redis_ctx._propagation.clear()
        runner = AsyncCommand(
            session,
            self.name,
            coroutine,
            to_reply,
            lambda exc: self._error_reply(command, exc),
            ctx._finish,
        )
        return runner.start()


def _fields_of(function: Callable[[], InfoFields]) -> Callable[[], list[tuple[str, object]]]:
    def fields() -> list[tuple[str, object]]:
        produced = function()
        items = produced.items() if isinstance(produced, Mapping) else produced
        return [(str(name), value) for name, value in items]

    return fields


def _argv_filter(function: Callable[[list[bytes]], Any]) -> Callable[[CommandFilterCtx], None]:
    """A Pythonic filter (argv in, new argv or None out) as a Redis-shaped filter callback."""

    def apply(fctx: CommandFilterCtx) -> None:
        replaced = function(list(fctx.argv))
        if replaced is not None:
            fctx.argv[:] = [to_bytes(arg) for arg in replaced]

    return apply
