"""COMMAND and its subcommands, rendered from the one command table in Redis 7's shapes.

Built-in and module commands are rows of the same table, so everything here (INFO, DOCS,
LIST filters, GETKEYS) answers for module commands with no special casing beyond what Redis
itself does for them: group "module", a `module` doc field, no implicit ACL categories.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import COMMAND_NAMES, GETKEYS, arg, oneof
from ferrite_host.commands.help import help_reply
from ferrite_host.core.errors import SYNTAX, CommandError
from ferrite_host.core.spec import BUILTIN, CommandSpec, Family
from ferrite_host.keyspace import glob_match
from ferrite_host.protocol.replies import SetReply, SimpleString
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.table import CommandTable

family = Family("server")
command = family.command

#: COMMAND INFO prints flags in this order (Redis's addReplyFlagsForCommand).
FLAG_ORDER = (
    "write",
    "readonly",
    "denyoom",
    "module",
    "admin",
    "pubsub",
    "noscript",
    "blocking",
    "loading",
    "stale",
    "skip_monitor",
    "skip_slowlog",
    "asking",
    "fast",
    "no_auth",
    "may_replicate",
    "no_mandatory_keys",
    "no_async_loading",
    "no_multi",
    "movablekeys",
    "allow_busy",
)
#: ACL categories in Redis's table order.
ACL_ORDER = (
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
)
#: The category every command of a built-in group carries.
_GROUP_CATEGORY = {
    "generic": "keyspace",
    "string": "string",
    "list": "list",
    "set": "set",
    "sorted-set": "sortedset",
    "hash": "hash",
    "transactions": "transaction",
    "connection": "connection",
    "scripting": "scripting",
    "hyperloglog": "hyperloglog",
    "geo": "geo",
    "stream": "stream",
    "bitmap": "bitmap",
}
_KEY_FLAG_UPPER = frozenset({"RO", "RW", "OW", "RM"})


def is_module_command(spec: CommandSpec) -> bool:
    return spec.owner != BUILTIN


def command_flags(spec: CommandSpec) -> SetReply:
    flags = set(spec.flags)
    if is_module_command(spec):
        flags.add("module")
    return SetReply(SimpleString(flag) for flag in FLAG_ORDER if flag in flags)


def acl_categories(spec: CommandSpec) -> list[str]:
    """Explicit categories plus, for built-ins, the ones Redis derives from flags and group."""
    cats = {cat.lstrip("@").lower() for cat in spec.acl_categories}
    if spec.subcommands and spec.handler is None and not is_module_command(spec):
        return ["slow"]  # a container: Redis gives it no group category of its own
    # (a module's container has none at all in redis-server 7.0.15, like its other commands)
    if not is_module_command(spec):
        group = _GROUP_CATEGORY.get(spec.group)
        if group is not None:
            cats.add(group)
        flags = spec.flags
        if "write" in flags:
            cats.add("write")
        if "readonly" in flags and "scripting" not in cats:
            cats.add("read")
        if "admin" in flags:
            cats.update(("admin", "dangerous"))
        if "pubsub" in flags:
            cats.add("pubsub")
        if "fast" in flags:
            cats.add("fast")
        if "blocking" in flags:
            cats.add("blocking")
        if "fast" not in cats:
            cats.add("slow")
    # An explicit "-@category" drops one the group would imply (SORT is generic, not @keyspace).
    cats -= {cat[1:] for cat in cats if cat.startswith("-")} | {
        cat for cat in cats if cat.startswith("-")
    }
    known = [cat for cat in ACL_ORDER if cat in cats]
    return known + sorted(cats - set(ACL_ORDER))


def _key_spec_flag(flag: str) -> str:
    upper = flag.upper()
    return upper if upper in _KEY_FLAG_UPPER else flag.lower()


def _render_key_spec(key_spec: dict[str, Any]) -> dict[bytes, Any]:
    rendered: dict[bytes, Any] = {}
    if key_spec.get("notes"):
        rendered[b"notes"] = str(key_spec["notes"]).encode()
    rendered[b"flags"] = SetReply(
        SimpleString(_key_spec_flag(f)) for f in key_spec.get("flags", ())
    )
    for part in ("begin_search", "find_keys"):
        section = key_spec.get(part) or {"type": "unknown", "spec": {}}
        rendered[part.encode()] = {
            b"type": str(section.get("type", "unknown")).encode(),
            b"spec": {
                str(name).encode(): value.encode() if isinstance(value, str) else value
                for name, value in (section.get("spec") or {}).items()
            },
        }
    return rendered


def command_info(spec: CommandSpec) -> list[Any]:
    """The 10-element COMMAND INFO entry."""
    subcommands: Any = [command_info(sub) for sub in spec.subcommands.values()] or SetReply()
    return [
        spec.full_name.encode(),
        spec.arity,
        command_flags(spec),
        spec.first_key,
        spec.last_key,
        spec.key_step,
        SetReply(SimpleString("@" + cat) for cat in acl_categories(spec)),
        SetReply(tip.encode() for tip in spec.tips),
        SetReply(_render_key_spec(ks) for ks in spec.key_specs),
        subcommands,
    ]


def command_docs(spec: CommandSpec) -> dict[bytes, Any]:
    """The COMMAND DOCS map for one command, fields in Redis 7.2's order."""
    docs: dict[bytes, Any] = {}
    if spec.summary:
        docs[b"summary"] = spec.summary.encode()
    if spec.since:
        docs[b"since"] = spec.since.encode()
    docs[b"group"] = b"module" if is_module_command(spec) else spec.group.encode()
    if spec.complexity:
        docs[b"complexity"] = spec.complexity.encode()
    if is_module_command(spec):
        docs[b"module"] = spec.owner.encode()
    if spec.doc_flags:
        docs[b"doc_flags"] = SetReply(SimpleString(flag) for flag in spec.doc_flags)
    if spec.deprecated_since:
        docs[b"deprecated_since"] = spec.deprecated_since.encode()
    if spec.replaced_by:
        docs[b"replaced_by"] = spec.replaced_by.encode()
    if spec.doc_arguments:
        docs[b"arguments"] = render_arguments(spec.doc_arguments)
    if spec.subcommands:
        docs[b"subcommands"] = {
            sub.full_name.encode(): command_docs(sub) for sub in spec.subcommands.values()
        }
    return docs


#: Argument fields after `name` and `type`, in the order Redis's addReplyCommandArgList
#: writes them (`display_text` is written for every argument without sub-arguments).
_ARG_FIELD_ORDER = ("key_spec_index", "token", "summary", "since", "deprecated_since")
_ARG_FLAG_ORDER = ("optional", "multiple", "multiple_token")
_CONTAINER_ARG_TYPES = frozenset({"oneof", "block"})


def render_arguments(arguments: list[dict[str, Any]]) -> list[dict[bytes, Any]]:
    """Redis's `arguments` array: one map per argument, nested for oneof/block."""
    return [_render_argument(argument) for argument in arguments]


def _render_argument(argument: dict[str, Any]) -> dict[bytes, Any]:
    name = str(argument["name"])
    kind = str(argument.get("type", "string"))
    rendered: dict[bytes, Any] = {b"name": name.encode(), b"type": kind.encode()}
    nested = kind in _CONTAINER_ARG_TYPES
    if not nested and argument.get("display_text", name) is not None:  # None: Redis has none
        rendered[b"display_text"] = str(argument.get("display_text") or name).encode()
    for field_name in _ARG_FIELD_ORDER:
        value = argument.get(field_name)
        if value is None or value == "" or (field_name == "key_spec_index" and value < 0):
            continue
        rendered[field_name.encode()] = value if isinstance(value, int) else str(value).encode()
    flags = set(argument.get("flags", ()))
    if flags:
        rendered[b"flags"] = SetReply(SimpleString(f) for f in _ARG_FLAG_ORDER if f in flags)
    if nested:
        rendered[b"arguments"] = render_arguments(list(argument.get("arguments", ())))
    return rendered


def find_command(table: CommandTable, name: bytes) -> CommandSpec | None:
    """A command or `container|sub` by its full name, case-insensitively."""
    parts = name.split(b"|")
    spec = table.lookup(parts[0])
    if spec is None or len(parts) == 1:
        return spec
    if len(parts) > 2:
        return None
    return spec.subcommands.get(parts[1].decode("utf-8", "replace").lower())


def _with_subcommands(table: CommandTable) -> Iterator[CommandSpec]:
    for spec in table:
        yield spec
        yield from spec.subcommands.values()


# -- COMMAND ---------------------------------------------------------------------------------


def _all_info(session: Session) -> list[Any]:
    return [command_info(spec) for spec in session.state.commands]


def command_bare(session: Session, argv: list[bytes]) -> Any:
    """COMMAND with no subcommand: the info of every command."""
    return _all_info(session)


# COMMAND alone is a valid call although COMMAND has subcommands: the handler on the
# container answers it (the dispatcher resolves a subcommand only when one is given).
container = family.container(
    "command",
    summary="Returns detailed information about all commands.",
    since="2.8.13",
    flags="loading stale",
    arity=-1,
    complexity="O(N) where N is the total number of Redis commands",
    handler=command_bare,
    acl="connection",
    tips="nondeterministic_output_order",
)


@command(
    "count",
    2,
    "loading stale",
    parent=container,
    acl="connection",
    summary="Returns a count of commands.",
    since="2.8.13",
    arguments=[],
)
def command_count(session: Session, argv: list[bytes]) -> Any:
    return len(session.state.commands)


@command(
    "info",
    -2,
    "loading stale",
    parent=container,
    acl="connection",
    summary="Returns information about one, multiple or all commands.",
    since="2.8.13",
    complexity="O(N) where N is the number of commands to look up",
    arguments=COMMAND_NAMES,
    tips="nondeterministic_output_order",
)
def command_info_cmd(session: Session, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        return _all_info(session)
    table = session.state.commands
    return [_info_or_none(find_command(table, name)) for name in argv[2:]]


def _info_or_none(spec: CommandSpec | None) -> Any:
    return None if spec is None else command_info(spec)


@command(
    "docs",
    -2,
    "loading stale",
    parent=container,
    acl="connection",
    summary="Returns documentary information about one, multiple or all commands.",
    since="7.0.0",
    complexity="O(N) where N is the number of commands to look up",
    arguments=COMMAND_NAMES,
    tips="nondeterministic_output_order",
)
def command_docs_cmd(session: Session, argv: list[bytes]) -> Any:
    table = session.state.commands
    if len(argv) == 2:
        return {spec.full_name.encode(): command_docs(spec) for spec in table}
    docs: dict[bytes, Any] = {}
    for name in argv[2:]:
        spec = find_command(table, name)
        if spec is not None:
            docs[spec.full_name.encode()] = command_docs(spec)
    return docs


@command(
    "list",
    -2,
    "loading stale",
    parent=container,
    acl="connection",
    summary="Returns a list of command names.",
    since="7.0.0",
    complexity="O(N) where N is the total number of Redis commands",
    arguments=[
        oneof(
            "filterby",
            arg("module-name", token="MODULE"),
            arg("category", token="ACLCAT"),
            arg("pattern", "pattern", token="PATTERN"),
            token="FILTERBY",
            optional=True,
        )
    ],
    tips="nondeterministic_output_order",
)
def command_list(session: Session, argv: list[bytes]) -> Any:
    kind: bytes | None = None
    value = b""
    pos = 2
    while pos < len(argv):
        if argv[pos].lower() == b"filterby" and len(argv) - pos - 1 == 2:
            kind = argv[pos + 1].lower()
            if kind not in (b"module", b"aclcat", b"pattern"):
                raise CommandError(SYNTAX)
            value = argv[pos + 2]
            pos += 3
        else:
            raise CommandError(SYNTAX)
    specs = _with_subcommands(session.state.commands)
    return [spec.full_name.encode() for spec in specs if _list_filter(spec, kind, value)]


def _list_filter(spec: CommandSpec, kind: bytes | None, value: bytes) -> bool:
    if kind is None:
        return True
    if kind == b"module":
        return (
            is_module_command(spec)
            and spec.owner.lower() == value.decode("utf-8", "replace").lower()
        )
    if kind == b"aclcat":
        return value.decode("utf-8", "replace").lower() in acl_categories(spec)
    return glob_match(value, spec.full_name.encode(), nocase=True)


# -- GETKEYS ---------------------------------------------------------------------------------


class _BadArguments(Exception):
    pass


def keys_with_flags(spec: CommandSpec, argv: list[bytes]) -> list[tuple[int, list[str]]]:
    """(position, key spec flags) of every key in `argv`, following the key specs.

    Raises _BadArguments when the arguments cannot hold the keys the specs describe.
    """
    if spec.key_finder is not None:
        return [(pos, [_key_spec_flag(f) for f in flags]) for pos, flags in spec.key_finder(argv)]
    found: list[tuple[int, list[str]]] = []
    for key_spec in spec.key_specs:
        start = _begin_search(key_spec.get("begin_search") or {}, argv)
        if start is None:
            continue
        flags = [_key_spec_flag(f) for f in key_spec.get("flags", ())]
        found.extend(
            (pos, flags) for pos in _find_keys(key_spec.get("find_keys") or {}, argv, start)
        )
    return found


def _begin_search(section: dict[str, Any], argv: list[bytes]) -> int | None:
    spec = section.get("spec") or {}
    if section.get("type") == "index":
        return int(spec.get("index", 0))
    if section.get("type") == "keyword":
        keyword = str(spec.get("keyword", "")).encode().lower()
        startfrom = int(spec.get("startfrom", 1))
        if startfrom >= 0:
            positions: range = range(startfrom, len(argv))
        else:
            positions = range(len(argv) + startfrom, 0, -1)
        for pos in positions:
            if argv[pos].lower() == keyword:
                return pos + 1
    return None


def _find_keys(section: dict[str, Any], argv: list[bytes], start: int) -> list[int]:
    spec = section.get("spec") or {}
    argc = len(argv)
    if section.get("type") == "range":
        lastkey, step, limit = (
            int(spec.get("lastkey", 0)),
            max(int(spec.get("keystep", 1)), 1),
            int(spec.get("limit", 0)),
        )
        if lastkey >= 0:
            last = start + lastkey
        elif limit > 1 and lastkey == -1:
            last = start + (argc - 1 - start) // limit
        else:
            last = argc + lastkey
    elif section.get("type") == "keynum":
        numkeys = (
            parse_int(argv[start + int(spec.get("keynumidx", 0))])
            if start + int(spec.get("keynumidx", 0)) < argc
            else None
        )
        if numkeys is None or numkeys < 0:
            raise _BadArguments
        step = max(int(spec.get("keystep", 1)), 1)
        start += int(spec.get("firstkey", 1))
        last = start + (numkeys - 1) * step
        if numkeys == 0:
            return []
    else:
        return []
    if start >= argc or last >= argc or last < start:
        if start < argc and last < start:
            return []
        raise _BadArguments
    return list(range(start, last + 1, step))


def _keys_request(
    session: Session, argv: list[bytes]
) -> tuple[list[bytes], list[tuple[int, list[str]]]]:
    target = argv[2:]
    spec = session.state.commands.lookup(target[0])
    if spec is not None and spec.subcommands:
        sub = (
            spec.subcommands.get(target[1].decode("utf-8", "replace").lower())
            if len(target) > 1
            else None
        )
        spec = sub
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if not spec.key_specs and "movablekeys" not in spec.flags:
        raise CommandError("ERR The command has no key arguments")
    if not spec.arity_ok(len(target)):
        raise CommandError("ERR Invalid number of arguments specified for command")
    try:
        keys = keys_with_flags(spec, target)
    except _BadArguments:
        keys = []
    if not keys and "no_mandatory_keys" not in spec.flags:
        raise CommandError("ERR Invalid arguments specified for command")
    return target, keys


@command(
    "getkeys",
    -4,
    "loading stale",
    parent=container,
    acl="connection",
    summary="Extracts the key names from an arbitrary command.",
    since="2.8.13",
    complexity="O(N) where N is the number of arguments to the command",
    arguments=GETKEYS,
)
def command_getkeys(session: Session, argv: list[bytes]) -> Any:
    target, keys = _keys_request(session, argv)
    return [target[pos] for pos, _flags in keys]


@command(
    "getkeysandflags",
    -4,
    "loading stale",
    parent=container,
    acl="connection",
    summary="Extracts the key names and access flags for an arbitrary command.",
    since="7.0.0",
    complexity="O(N) where N is the number of arguments to the command",
    arguments=GETKEYS,
)
def command_getkeysandflags(session: Session, argv: list[bytes]) -> Any:
    target, keys = _keys_request(session, argv)
    return [[target[pos], SetReply(SimpleString(f) for f in flags)] for pos, flags in keys]


@command(
    "help",
    2,
    "loading stale",
    parent=container,
    acl="connection",
    summary="Returns helpful text about the different subcommands.",
    since="5.0.0",
    arguments=[],
)
def command_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "COMMAND",
        [
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
