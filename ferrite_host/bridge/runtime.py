"""The bridge's Python entry points, called by the C module inside redis-server.

Imported once, when the first `loadmodule` line starts the interpreter. `load` runs the
shared loader (discovery, ModuleInfo validation, API-version check, `on_load` on a staging
RedisModule: `ferrite_host.redis_module.loading.stage_module`, as `ferrite serve` does) and
tells the C side what to register with Redis; `dispatch` runs one command; the `type_*`
functions are the data types' callbacks. Python's logging goes to Redis's log.
"""

from __future__ import annotations

import inspect
import logging
import sys
from typing import Any

from ferrite_host.bridge import _native as native
from ferrite_host.bridge import callbacks, configs
from ferrite_host.bridge.async_commands import pythonic_answer, redis_shaped_answer, run_async
from ferrite_host.bridge.context import BridgeCtx, CallState
from ferrite_host.bridge.naming import redis_type_name
from ferrite_host.bridge.pythonic import BridgeContext
from ferrite_host.bridge.registry import BridgeCommand, BridgeModule, Registry
from ferrite_host.core.errors import wrong_arity
from ferrite_host.core.loglevels import VERBOSE
from ferrite_host.keyspace import TypedValue
from ferrite_host.module.args import Args
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.module import Module
from ferrite_host.module.replies import to_reply
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module.api import RedisModuleString, Status
from ferrite_host.redis_module.commands import ModuleCommand
from ferrite_host.redis_module.configs import ModuleConfig
from ferrite_host.redis_module.discovery import discover
from ferrite_host.redis_module.errors import ModuleLoadError
from ferrite_host.redis_module.loading import forget_module, stage_module
from ferrite_host.redis_module.module import RedisModule
from ferrite_host.redis_module.types import RedisModuleType

log = logging.getLogger("ferrite")
REGISTRY = Registry()


class RedisLogHandler(logging.Handler):
    """Python's log records as Redis log lines (Redis applies its own `loglevel`)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.levelno >= logging.WARNING:
                level = "warning"
            elif record.levelno >= logging.INFO:
                level = "notice"
            elif record.levelno >= VERBOSE:
                level = "verbose"
            else:
                level = "debug"
            native.log(level, self.format(record))
        except Exception:
            self.handleError(record)


def _install_logging() -> None:
    root = logging.getLogger()
    if not any(isinstance(handler, RedisLogHandler) for handler in root.handlers):
        handler = RedisLogHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)


_install_logging()


# -- loading --------------------------------------------------------------------------------


def load(
    entry_point: str, args: list[str], paths: list[str] | None = None
) -> tuple[str, int, list[Any], list[Any]]:
    """Stage module `entry_point`; what Redis must register: (name, version, commands as
    (name, flags, first, last, step), types as (slot, Redis name, encver, has copy)).

    `paths` (the line's `path=` options) go in front of sys.path first. Raises
    ModuleLoadError (the reason Redis logs) when the module cannot load.
    """
    for path in reversed(paths or []):
        if path not in sys.path:
            sys.path.insert(0, path)
    candidate = discover().get(entry_point)
    if candidate is None:
        installed = ", ".join(discover().candidates) or "none"
        raise ModuleLoadError(
            f"no installed module has the entry point '{entry_point}' in group "
            f"ferrite.modules (installed: {installed})"
        )
    if entry_point in REGISTRY.modules:
        raise ModuleLoadError(f"module entry point '{entry_point}' is already loaded")
    module, _plugin = stage_module(
        candidate, list(args), pm=REGISTRY.pm, host=REGISTRY, busy=REGISTRY.busy
    )
    staged = BridgeModule(entry_point, module, commands=list(module.commands))
    REGISTRY.modules[entry_point] = staged
    types = []
    for handle in module.types:
        slot = REGISTRY.add_slot(handle)
        types.append((slot, redis_type_name(handle.name), handle.encver, handle.has_copy()))
    commands = [
        (command.name, command.flags.tokens, command.first_key, command.last_key, command.key_step)
        for command in staged.commands
    ]
    return module.name, module.version, commands, types


def committed(entry_point: str, addr: int) -> None:
    """Redis accepted every command and type: register the rest in OnLoad's context `addr`
    (configs, INFO, keyspace and server events); then the module is live."""
    staged = REGISTRY.modules[entry_point]
    module = staged.module
    REGISTRY.add_module(staged)
    configs.register_configs(addr, module)
    if module.info_sections and native.register_info(addr, staged.slot) != 0:
        raise ModuleLoadError("Redis refused the module's INFO function")
    for types, callback in module.keyspace_subscriptions:
        if REGISTRY.subscribe_keyspace(addr, module, types, callback) is not Status.OK:
            raise ModuleLoadError("Redis refused a keyspace-event subscription")
    for event, callback in module.server_event_subscriptions:
        if REGISTRY.subscribe_server_event(addr, module, event, callback) is not Status.OK:
            raise ModuleLoadError(
                f"Redis refused the subscription to server event {event} (not an event "
                "this Redis version has?)"
            )
    staged.committed = True
    staged.module.mark_loaded()
    for command in staged.commands:
        REGISTRY.commands[command.name.lower().encode()] = BridgeCommand(command, module)
    log.info(
        "Module '%s' loaded through the Ferrite bridge (%d commands)",
        staged.module.name,
        len(staged.commands),
    )


def forget(entry_point: str) -> None:
    """Redis refused something of a staged module: nothing of it stays."""
    staged = REGISTRY.modules.pop(entry_point, None)
    if staged is not None:
        forget_module(REGISTRY.pm, staged.module, entry_point)


# -- commands -------------------------------------------------------------------------------


def dispatch(addr: int, argv: list[bytes]) -> None:
    """Run the command `argv[0]` names for the client behind context `addr`."""
    entry = REGISTRY.commands.get(argv[0].lower())
    if entry is None:
        native.reply_error(addr, b"ERR ferrite bridge: this command is not loaded")
        return
    call = CallState(addr, entry.name, entry.module, argv, REGISTRY, entry.write)
    if not entry.arity_ok(len(argv)):
        call.stream.value(Error(wrong_arity(entry.name)))
        call.finish()
    elif entry.pythonic is not None:
        _run_pythonic(call, entry.command, entry.pythonic)
    else:
        _run_redis_shaped(call, entry.command)


def _failure(command: ModuleCommand, module: RedisModule | None, exc: Exception) -> str:
    owner = module.name if module is not None else "?"
    log.error("Module %s: command '%s' raised", owner, command.name, exc_info=True)
    return f"ERR module command '{command.name}' raised {type(exc).__name__}: {exc}"


def _run_redis_shaped(call: CallState, command: ModuleCommand) -> None:
    argv = call.argv
    new_string = bytes.__new__
    args = [new_string(RedisModuleString, arg) for arg in argv[1:]] if len(argv) > 1 else []
    failure = None
    try:
        result = command.callback(BridgeCtx(call), args)  # type: ignore[arg-type]
        if inspect.iscoroutine(result):
            return run_async(call, result, redis_shaped_answer(command, call.module))
    except Exception as exc:
        failure = _failure(command, call.module, exc)
    call.finish(failure)


def _run_pythonic(call: CallState, command: ModuleCommand, module: Module) -> None:
    failure = None
    try:
        function: Any = command.callback
        result = function(BridgeContext(call, module), Args(call.argv, command.name))
        if inspect.iscoroutine(result):
            return run_async(call, result, pythonic_answer(command, call.module))
        reply = to_reply(result)
    except ReplyError as exc:
        reply = Error(exc.message)
    except Exception as exc:
        failure = _failure(command, call.module, exc)
    blocked = call.blocking is not None and call.blocking.took_reply()
    if failure is None and not blocked:  # a blocked client is answered later
        call.stream.value(reply)
    call.finish(failure)


# -- data type callbacks (the stored value is a TypedValue: handle and module value) ---------


def type_save(stored: TypedValue) -> bytes:
    handle: RedisModuleType = stored.type  # type: ignore[assignment]
    return handle.save(stored.value)


def type_load(slot: int, data: bytes, encver: int) -> TypedValue:
    handle = REGISTRY.handle_at(slot)
    return TypedValue(handle, handle.load(data, encver))


def type_aof(stored: TypedValue, key: bytes) -> list[list[bytes]]:
    handle: RedisModuleType = stored.type  # type: ignore[assignment]
    return handle.aof_rewrite(stored.value, key) or []


def type_mem_usage(stored: TypedValue) -> int:
    handle: RedisModuleType = stored.type  # type: ignore[assignment]
    return handle.mem_usage(stored.value)


def type_digest(stored: TypedValue) -> bytes:
    handle: RedisModuleType = stored.type  # type: ignore[assignment]
    return handle.digest(stored.value)


def type_free(stored: TypedValue) -> None:
    handle: RedisModuleType = stored.type  # type: ignore[assignment]
    handle.release(stored.value)


def type_copy(stored: TypedValue) -> TypedValue:
    handle: RedisModuleType = stored.type  # type: ignore[assignment]
    return TypedValue(handle, handle.copy(stored.value))


# -- outside commands: timers, keyspace and server events, INFO, configs ---------------------


def timer_fired(addr: int, payload: tuple[Any, Any, Any]) -> None:
    callbacks.timer_fired(REGISTRY, addr, payload)


def keyspace_event(slot: int, addr: int, kind: int, event: str, key: bytes) -> None:
    callbacks.keyspace_event(REGISTRY, slot, addr, kind, event, key)


def server_event(slot: int, addr: int, event: int, subevent: int, data: object) -> None:
    callbacks.server_event(REGISTRY, slot, addr, event, subevent, data)


def info_sections(slot: int) -> list[tuple[str, list[tuple[str, object]]]]:
    return callbacks.info_sections(REGISTRY, slot)


def config_get(config: ModuleConfig) -> object:
    return configs.config_get(config)


def config_set(config: ModuleConfig, value: object) -> str | None:
    return configs.config_set(config, value)
