"""Module configuration parameters: `module.config("acme.limit", default=10)` in the
Pythonic API, `module.register_numeric_config("limit", ...)` and its siblings in the
Redis-shaped one (RedisModule_Register{Numeric,String,Bool,Enum}Config + LoadConfigs).

The name is the full CONFIG name and must start with the module's name and a dot, as Redis
names module configs. Values are read with `.value`; CONFIG GET/SET, MODULE LOADEX ...
CONFIG and `ferrite serve --acme.limit 20` set them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ferrite_host.strconv import LLONG_MAX, LLONG_MIN


class ConfigFlag(enum.IntFlag):
    """REDISMODULE_CONFIG_*, with Redis's bit values. IMMUTABLE is honoured (CONFIG SET
    refuses the parameter); the others are accepted and change nothing on Ferrite."""

    DEFAULT = 0
    IMMUTABLE = 1 << 0
    SENSITIVE = 1 << 1
    HIDDEN = 1 << 4
    PROTECTED = 1 << 5
    DENY_LOADING = 1 << 6
    MEMORY = 1 << 7
    BITFLAGS = 1 << 8


_TRUE = {"yes": True, "no": False}


class ModuleConfig:
    """One parameter of type int, bool, str or enum (a str limited to `choices`)."""

    def __init__(
        self,
        name: str,
        default: Any,
        kind: type,
        *,
        choices: Sequence[str] = (),
        minimum: int | None = None,
        maximum: int | None = None,
        mutable: bool = True,
        on_change: Callable[[Any], None] | None = None,
    ) -> None:
        if kind not in (int, bool, str):
            raise TypeError(f"config {name!r}: type must be int, bool or str, got {kind!r}")
        self._name = name.lower()
        self.kind = kind
        self.choices = tuple(c.lower() for c in choices)
        self.minimum = minimum
        self.maximum = maximum
        self._mutable = mutable
        self.on_change = on_change
        self.default = default
        self.value: Any = default

    @property
    def name(self) -> str:
        return self._name

    @property
    def mutable(self) -> bool:
        return self._mutable

    def render(self) -> str:
        if self.kind is bool:
            return "yes" if self.value else "no"
        return str(self.value)

    def parse(self, text: str) -> Any:
        """The value `text` means; ValueError with Redis's wording when it is invalid."""
        if self.kind is bool:
            if text.lower() not in _TRUE:
                raise ValueError("argument must be 'yes' or 'no'")
            return _TRUE[text.lower()]
        if self.kind is int:
            try:
                number = int(text)
            except ValueError:
                raise ValueError("argument couldn't be parsed into an integer") from None
            low = LLONG_MIN if self.minimum is None else self.minimum
            high = LLONG_MAX if self.maximum is None else self.maximum
            if not low <= number <= high:
                raise ValueError(f"argument must be between {low} and {high} inclusive")
            return number
        if self.choices and text.lower() not in self.choices:
            raise ValueError("argument(s) must be one of the following: " + ", ".join(self.choices))
        return text.lower() if self.choices else text

    def assign(self, value: Any) -> None:
        self.value = value
        if self.on_change is not None:
            self.on_change(value)

    def reset(self) -> None:
        """Back to the default (the module unloaded)."""
        self.value = self.default

    def __repr__(self) -> str:
        return f"<ModuleConfig {self._name}={self.render()}>"


#: `on_set(name, value)`: told each new value; raising refuses it (CONFIG SET shows why).
ConfigSetter = Callable[[str, Any], None]


class ConfigRegistration:
    """The Redis-shaped config calls of a staging `RedisModule` (needs `name`,
    `given_configs` and `stage_parameter`). `name` is the part after `<module>.`."""

    if TYPE_CHECKING:  # provided by RedisModule

        @property
        def name(self) -> str: ...

        given_configs: list[tuple[str, str]]
        parameters: list[Any]
        problems: list[str]

        def stage_parameter(self, parameter: Any) -> None: ...

    def _register(self, name: str, default: Any, kind: type, flags: int, **options: Any) -> Any:
        setter: ConfigSetter | None = options.pop("on_set", None)
        full = f"{self.name}.{name}"
        config = ModuleConfig(
            full,
            default,
            kind,
            mutable=not flags & ConfigFlag.IMMUTABLE,
            on_change=None if setter is None else lambda value: setter(full.lower(), value),
            **options,
        )
        self.stage_parameter(config)
        return config

    def register_numeric_config(
        self,
        name: str,
        default: int,
        flags: int = ConfigFlag.DEFAULT,
        minimum: int = LLONG_MIN,
        maximum: int = LLONG_MAX,
        on_set: ConfigSetter | None = None,
    ) -> ModuleConfig:
        """RM_RegisterNumericConfig: an integer CONFIG parameter `<module>.<name>`."""
        return self._register(  # type: ignore[no-any-return]
            name, default, int, flags, minimum=minimum, maximum=maximum, on_set=on_set
        )

    def register_string_config(
        self,
        name: str,
        default: str,
        flags: int = ConfigFlag.DEFAULT,
        on_set: ConfigSetter | None = None,
    ) -> ModuleConfig:
        """RM_RegisterStringConfig."""
        return self._register(name, default, str, flags, on_set=on_set)  # type: ignore[no-any-return]

    def register_bool_config(
        self,
        name: str,
        default: bool,
        flags: int = ConfigFlag.DEFAULT,
        on_set: ConfigSetter | None = None,
    ) -> ModuleConfig:
        """RM_RegisterBoolConfig (CONFIG takes yes/no)."""
        return self._register(name, default, bool, flags, on_set=on_set)  # type: ignore[no-any-return]

    def register_enum_config(
        self,
        name: str,
        default: str,
        choices: Sequence[str],
        flags: int = ConfigFlag.DEFAULT,
        on_set: ConfigSetter | None = None,
    ) -> ModuleConfig:
        """RM_RegisterEnumConfig: one of `choices` (by name, as CONFIG shows it)."""
        return self._register(  # type: ignore[no-any-return]
            name, default, str, flags, choices=choices, on_set=on_set
        )

    def load_configs(self) -> int:
        """RM_LoadConfigs: apply the values given at load (`MODULE LOADEX ... CONFIG`,
        `ferrite serve --<module>.<name> v`) to the configs registered so far; 0 (OK), or
        1 (ERR, and the load fails with the reason) when a value is invalid."""
        staged = {parameter.name: parameter for parameter in self.parameters}
        for name, text in self.given_configs:
            config = staged.get(name.lower())
            if config is None:
                continue  # the loader refuses names no module declared, with the reason
            try:
                config.assign(config.parse(text))
            except ValueError as exc:
                self.problems.append(f"invalid value {text!r} for config '{name}': {exc}")
                return 1
        return 0
