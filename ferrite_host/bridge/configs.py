"""Module configs on Redis: each `ModuleConfig` a module staged (`module.config(...)`, or the
Redis-shaped `register_*_config`) becomes a RedisModule_Register*Config parameter.

Redis names a module config `<module name>.<name>` and keeps it in its CONFIG table:
CONFIG GET/SET, redis.conf lines and `MODULE LOADEX ... CONFIG` reach it, and Redis checks
numeric bounds, booleans and enum choices itself. The getter and setter below are the only
path between Redis and the Python value, so `config.value` reads what CONFIG SET wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.bridge import _native as native
from ferrite_host.redis_module.configs import ModuleConfig
from ferrite_host.redis_module.errors import ModuleLoadError
from ferrite_host.strconv import LLONG_MAX, LLONG_MIN

if TYPE_CHECKING:
    from ferrite_host.redis_module.module import RedisModule

NUMERIC, STRING, BOOL, ENUM = 0, 1, 2, 3
#: REDISMODULE_CONFIG_IMMUTABLE: settable at load only.
IMMUTABLE = 1 << 0


def _kind(config: ModuleConfig) -> int:
    if config.kind is bool:
        return BOOL
    if config.kind is int:
        return NUMERIC
    return ENUM if config.choices else STRING


def _default(config: ModuleConfig, kind: int) -> object:
    if kind == ENUM:
        return config.choices.index(str(config.default).lower())
    if kind == STRING:
        return str(config.default)
    return bool(config.default) if kind == BOOL else int(config.default)


def register_configs(addr: int, module: RedisModule) -> None:
    """Register the module's configs in OnLoad, then RM_LoadConfigs (the values redis.conf
    or MODULE LOADEX gave); ModuleLoadError with the reason when Redis refuses one."""
    prefix = module.name.lower() + "."
    for parameter in module.parameters:
        if not isinstance(parameter, ModuleConfig) or not parameter.name.startswith(prefix):
            raise ModuleLoadError(
                f"config '{parameter.name}' cannot be registered with Redis: Redis names "
                f"module configs '{prefix}<name>'"
            )
        kind = _kind(parameter)
        low = LLONG_MIN if parameter.minimum is None else parameter.minimum
        high = LLONG_MAX if parameter.maximum is None else parameter.maximum
        flags = 0 if parameter.mutable else IMMUTABLE
        name = parameter.name[len(prefix) :]
        args = (_default(parameter, kind), flags, low, high, list(parameter.choices), parameter)
        if native.register_config(addr, kind, name, *args) != 0:
            raise ModuleLoadError(
                f"Redis refused module config '{parameter.name}' (a config name takes "
                "letters, digits, '-' and '_'; see the server log)"
            )
    if module.parameters and native.load_configs(addr) != 0:
        raise ModuleLoadError("Redis refused a value given for the module's configs")


def config_get(config: ModuleConfig) -> object:
    """The value as the C getter hands it to Redis (an enum by its choice's index)."""
    kind = _kind(config)
    if kind == ENUM:
        return config.choices.index(str(config.value).lower())
    if kind == STRING:
        return str(config.value)
    return int(config.value)


def config_set(config: ModuleConfig, value: object) -> str | None:
    """Apply what Redis parsed; None, or the reason the value is refused (CONFIG SET shows
    it)."""
    kind = _kind(config)
    try:
        if kind == ENUM:
            config.assign(config.choices[int(value)])  # type: ignore[call-overload]
        elif kind == BOOL:
            config.assign(bool(value))
        elif kind == NUMERIC:
            config.assign(int(value))  # type: ignore[call-overload]
        else:
            config.assign(config.parse(str(value)))
    except Exception as exc:  # a module's on_change refusing, or a bad value
        return str(exc) or type(exc).__name__
    return None
