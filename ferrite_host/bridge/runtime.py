"""The bridge's Python entry points, called by the C module inside redis-server.

Imported once, when the first `loadmodule` line starts the interpreter. `load` runs the
shared loader (discovery, ModuleInfo validation, API-version check, `on_load` on a staging
RedisModule: `ferrite_host.redis_module.loading.stage_module`, as `ferrite serve` does) and
tells the C side what to register with Redis: each command gets a C entry slot, bound to
its Python function once Redis accepted the module, and its calls run in C (src/call.c)
straight into the module's function. The `type_*` functions are the data types'
callbacks. Python's logging goes to Redis's log.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from ferrite_host.bridge import _native as native
from ferrite_host.bridge import callbacks, configs, replies
from ferrite_host.bridge.async_commands import start_async
from ferrite_host.bridge.context import BridgeCtx
from ferrite_host.bridge.naming import redis_type_name
from ferrite_host.bridge.pythonic import BridgeContext
from ferrite_host.bridge.registry import BridgeCommand, BridgeModule, Registry
from ferrite_host.core.errors import wrong_arity
from ferrite_host.core.loglevels import VERBOSE
from ferrite_host.keyspace import TypedValue
from ferrite_host.module.args import Args
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.replies import to_reply
from ferrite_host.protocol.replies import (
    BigNumber,
    Error,
    NullArray,
    SetReply,
    SimpleString,
    Verbatim,
)
from ferrite_host.redis_module.api import RedisModuleString, Status
from ferrite_host.redis_module.configs import ModuleConfig
from ferrite_host.redis_module.discovery import discover
from ferrite_host.redis_module.errors import ModuleLoadError
from ferrite_host.redis_module.loading import forget_module, stage_module
from ferrite_host.redis_module.module import RedisModule
from ferrite_host.redis_module.types import RedisModuleType
from ferrite_host.strconv import to_bytes

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
    (name, flags, first, last, step, C entry slot), types as (slot, Redis name, encver, has
    copy)).

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
    slots = [REGISTRY.command_slot(command.name) for command in staged.commands]
    REGISTRY.modules[entry_point] = staged
    types = []
    for handle in module.types:
        slot = REGISTRY.add_slot(handle)
        types.append((slot, redis_type_name(handle.name), handle.encver, handle.has_copy()))
    commands = [
        (
            command.name,
            command.flags.tokens,
            command.first_key,
            command.last_key,
            command.key_step,
            slot,
        )
        for command, slot in zip(staged.commands, slots, strict=True)
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
        entry = BridgeCommand(command, module)
        REGISTRY.commands[command.name.lower().encode()] = entry
        native.bind_command(
            REGISTRY.command_slot(command.name),
            command.callback,
            entry.pythonic,
            entry.name,
            module,
            entry.write,
            entry.arity,
            BridgeCtx,
            BridgeContext,
        )
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


# -- commands: run by the C side (src/call.c); these are its rare paths -------------------


def _failure(name: str, module: RedisModule | None, exc: BaseException) -> str:
    """A command's exception, logged with its traceback, as the error it answers."""
    owner = module.name if module is not None else "?"
    log.error("Module %s: command '%s' raised", owner, name, exc_info=exc)
    return f"ERR module command '{name}' raised {type(exc).__name__}: {exc}"


def _reply_error_message(exc: BaseException) -> str | None:
    """The error a Pythonic command's ReplyError answers (None: any other exception)."""
    return exc.message if isinstance(exc, ReplyError) else None


native.configure(
    {
        "status_ok": Status.OK,
        "redis_module_string": RedisModuleString,
        "args": Args,
        "to_reply": to_reply,
        "to_bytes": to_bytes,
        "line_bytes": replies.line_bytes,
        "warn_dropped": replies.warn_dropped,
        "warn_failed": replies.warn_failed,
        "failure": _failure,
        "reply_error_message": _reply_error_message,
        "wrong_arity": wrong_arity,
        "simple_string": SimpleString,
        "error": Error,
        "set_reply": SetReply,
        "verbatim": Verbatim,
        "big_number": BigNumber,
        "null_array": NullArray,
        "registry": REGISTRY,
        "start_async": start_async,
    }
)


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
