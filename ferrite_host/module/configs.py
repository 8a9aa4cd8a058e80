"""Module configuration parameters: `module.config("acme.limit", default=10)`.

The name is the full CONFIG name and must start with the module's name and a dot, as Redis
names module configs. Values are read with `.value`; CONFIG GET/SET, MODULE LOADEX ...
CONFIG and `ferrite serve --acme.limit 20` set them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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
            low, high = self.minimum, self.maximum
            if (low is not None and number < low) or (high is not None and number > high):
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
