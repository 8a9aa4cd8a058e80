"""Built-in command families; each registers through the same table modules use."""

from __future__ import annotations

import importlib

from ferrite_host.core.spec import CommandSpec

FAMILIES = (
    "client_tracking",  # CLIENT subcommands: attached before `connection` registers CLIENT
    "blocking",  # CLIENT UNBLOCK too: attached before `connection` registers CLIENT
    "client_pause",  # CLIENT PAUSE / UNPAUSE: attached before `connection` registers CLIENT
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
    "streams",
    "sort",
    "slowlog",
    "latency",
    "monitor",
    "acl",
    "replication",
    "cluster",
)


def builtin_specs() -> list[CommandSpec]:
    """The built-in declarations: frozen values every server shares (counters are per table)."""
    specs: list[CommandSpec] = []
    for name in FAMILIES:
        module = importlib.import_module(f"ferrite_host.commands.{name}")
        specs.extend(module.family.specs)
    return specs
