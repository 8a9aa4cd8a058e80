"""Built-in command families; each registers through the same table modules use."""

from __future__ import annotations

import importlib

from ferrite_host.commands.spec import CommandSpec

FAMILIES = (
    "connection",
    "strings",
    "keys",
    "databases",
    "server",
    "introspection",
    "transactions",
    "debug",
    "modules",
    "persistence",
)


def builtin_specs() -> list[CommandSpec]:
    specs: list[CommandSpec] = []
    for name in FAMILIES:
        try:
            module = importlib.import_module(f"ferrite_host.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"ferrite_host.commands.{name}":
                continue  # a family not written yet
            raise
        specs.extend(module.family.specs)
    return specs
