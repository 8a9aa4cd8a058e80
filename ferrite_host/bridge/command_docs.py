"""What COMMAND INFO and COMMAND DOCS show of a module command on Redis (RM_SetCommandInfo).

`command_info` describes a staged command for bridge_command_info.c, in the plain tuples it
reads: Redis's documented enum values and flag bits instead of the JSON words Ferrite's
CommandInfo holds. A Pythonic command with key positions gets the key spec Ferrite declares
for it (RO ACCESS for readonly, RW UPDATE for write), so both hosts answer alike.
"""

from __future__ import annotations

from typing import Any

from ferrite_host.bridge.runtime import REGISTRY
from ferrite_host.redis_module.commands import CommandInfo, ModuleCommand, _declared_key_spec

#: REDISMODULE_ARG_TYPE_*, REDISMODULE_CMD_ARG_*, REDISMODULE_CMD_KEY_* and the key specs'
#: begin-search / find-keys kinds, by the names COMMAND DOCS and COMMAND INFO show.
_ARG_TYPE_NAMES = "string integer double key pattern unix-time pure-token oneof block"
ARG_TYPES = {name: code for code, name in enumerate(_ARG_TYPE_NAMES.split())}
ARG_FLAGS = {"optional": 1 << 0, "multiple": 1 << 1, "multiple_token": 1 << 2}
_KEY_FLAG_NAMES = "RO RW OW RM ACCESS UPDATE INSERT DELETE NOT_KEY INCOMPLETE VARIABLE_FLAGS"
KEY_FLAGS = {name: 1 << bit for bit, name in enumerate(_KEY_FLAG_NAMES.split())}
BEGIN_SEARCH = {"unknown": 1, "index": 2, "keyword": 3}
FIND_KEYS = {"unknown": 1, "range": 2, "keynum": 3}

Described = tuple[str | None, str | None, str | None, int, list[Any], list[Any]]


def _or_none(text: object) -> str | None:
    return str(text) if text else None


def _argument(arg: dict[str, Any]) -> tuple[Any, ...]:
    kind = str(arg.get("type", "string"))
    if kind not in ARG_TYPES:
        raise ValueError(f"unknown argument type {kind!r} in COMMAND DOCS metadata")
    flags = 0
    for flag in arg.get("flags", ()):
        flags |= ARG_FLAGS[str(flag)]
    return (
        str(arg["name"]),
        ARG_TYPES[kind],
        int(arg.get("key_spec_index", -1)),
        _or_none(arg.get("token")),
        _or_none(arg.get("summary")),
        _or_none(arg.get("since")),
        flags,
        _or_none(arg.get("deprecated_since")),
        _or_none(arg.get("display_text")),
        [_argument(sub) for sub in arg.get("arguments", ())],
    )


def _key_spec(spec: dict[str, Any]) -> tuple[Any, ...]:
    flags = 0
    for flag in spec.get("flags", ()):
        flags |= KEY_FLAGS[str(flag).upper()]
    begin = spec.get("begin_search", {})
    begin_kind, begin_spec = str(begin.get("type", "unknown")), begin.get("spec", {})
    found = spec.get("find_keys", {})
    find_kind, find_spec = str(found.get("type", "unknown")), found.get("spec", {})
    if begin_kind == "keyword":
        start: Any = str(begin_spec["keyword"])
        startfrom = int(begin_spec.get("startfrom", 1))
    else:
        start, startfrom = int(begin_spec.get("index", 0)), 0
    if find_kind == "keynum":
        numbers = (find_spec["keynumidx"], find_spec["firstkey"], find_spec["keystep"])
    else:
        numbers = (
            find_spec.get("lastkey", 0),
            find_spec.get("keystep", 0),
            find_spec.get("limit", 0),
        )
    return (
        _or_none(spec.get("notes")),
        flags,
        BEGIN_SEARCH[begin_kind],
        start,
        startfrom,
        FIND_KEYS[find_kind],
        *(int(number) for number in numbers),
    )


def describe(command: ModuleCommand) -> Described | None:
    """The metadata to send for `command`, or None when Redis's own derivation is Ferrite's."""
    info = command.info
    specs = [dict(spec) for spec in info.key_specs]
    if not specs and command.first_key > 0 and command.runner is not None:
        specs = [_declared_key_spec(command)]
    if info == CommandInfo() and not specs:
        return None
    return (
        _or_none(info.summary),
        _or_none(info.complexity),
        _or_none(info.since),
        info.arity,
        [_key_spec(spec) for spec in specs],
        [_argument(dict(arg)) for arg in info.arguments],
    )


def command_info(entry_point: str, name: str) -> Described | None:
    """Called by the C module in OnLoad, after RM_CreateCommand of `name`."""
    staged = REGISTRY.modules[entry_point]
    for command in staged.commands:
        if command.name == name:
            return describe(command)
    return None
