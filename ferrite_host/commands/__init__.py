"""Built-in command families; each registers through the same table modules use."""

from __future__ import annotations

import copy
import importlib

from ferrite_host.core.spec import CommandSpec

FAMILIES = (
    "client_tracking",  # CLIENT subcommands: attached before `connection` registers CLIENT
    "blocking",  # CLIENT UNBLOCK too: attached before `connection` registers CLIENT
    "connection",
    "strings",
    "lists",
    "hashes",
    "keys",
    "databases",
    "info",
    "config",
    "clock",
    "memory",
    "shutdown",
    "lolwut",
    "introspection",
    "transactions",
    "debug",
    "modules",
    "persistence",
    "pubsub",
    "scripting",
    "functions",
    "serialization",
    "bitmaps",
    "hyperloglog",
    "geo",
    "sets",
    "zsets",
    "sort",
    "slowlog",
    "latency",
    "monitor",
    "acl",
    "replication",
)


def builtin_specs() -> list[CommandSpec]:
    specs: list[CommandSpec] = []
    for name in FAMILIES:
        module = importlib.import_module(f"ferrite_host.commands.{name}")
        specs.extend(_fresh(spec) for spec in module.family.specs)
    return specs


def _fresh(spec: CommandSpec) -> CommandSpec:
    """A private copy of a family's spec, so each server's statistics are its own."""
    clone = copy.copy(spec)
    clone.calls = clone.usec = clone.failed_calls = clone.rejected_calls = 0
    clone.subcommands = {}
    for name, sub in spec.subcommands.items():
        sub_clone = _fresh(sub)
        sub_clone.parent = clone
        clone.subcommands[name] = sub_clone
    return clone
