"""MODULE LIST / LOAD / LOADEX / UNLOAD / HELP, answering exactly as Redis 7 does.

Load failures all answer Redis's generic "Error loading the extension" (the reason is in the
server log and in `ferrite modules list`); unload failures carry Redis's specific texts.
LOAD, LOADEX and UNLOAD are guarded by `enable-module-command` like Redis's protected
commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, block
from ferrite_host.commands.help import help_reply
from ferrite_host.core.errors import CommandError
from ferrite_host.core.peers import is_local_addr
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK
from ferrite_host.redis_module.errors import RedisModuleError
from ferrite_host.redis_module.manager import RedisModuleManager

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")
command = family.command

LOAD_FAILED = "ERR Error loading the extension. Please check the server logs."
UNLOAD_FAILED = "ERR Error unloading module: "
NOT_ALLOWED = (
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", '
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server."
)
_HELP = (
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and "
    "optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
)

module = family.container("module", summary="A container for module commands.", since="4.0.0")


def is_local_client(session: Session) -> bool:
    """Loopback TCP clients (as Redis's islocalClient) and in-process callers without an
    address count as local."""
    return is_local_addr(session.addr)


def check_allowed(session: Session) -> None:
    """Refuse LOAD/LOADEX/UNLOAD as Redis refuses protected commands."""
    setting = session.state.settings.enable_module_command
    if setting == "yes" or (setting == "local" and is_local_client(session)):
        return
    raise CommandError(NOT_ALLOWED)


def _manager(session: Session) -> RedisModuleManager:
    manager = RedisModuleManager.of(session.state)
    if manager is None:  # an embedded server without modules can still MODULE LOAD
        manager = RedisModuleManager.install(session.state)
    return manager


def _text(arg: bytes) -> str:
    return arg.decode("utf-8", "surrogateescape")


@command(
    "help",
    2,
    "loading stale",
    parent=module,
    since="5.0.0",
    summary="Returns helpful text about the different subcommands.",
    acl="slow",
    arguments=[],
)
def module_help(session: Session, argv: list[bytes]) -> Any:
    """MODULE HELP: Redis's help lines, as status replies."""
    return help_reply("MODULE", list(_HELP))


@command(
    "list",
    2,
    "admin noscript",
    parent=module,
    since="4.0.0",
    summary="Returns all loaded modules.",
    complexity="O(N) where N is the number of loaded modules.",
    acl="admin slow dangerous",
    arguments=[],
)
def module_list(session: Session, argv: list[bytes]) -> Any:
    """MODULE LIST: one name/ver/path/args map per loaded module, in load order."""
    manager = RedisModuleManager.of(session.state)
    return manager.hello_modules() if manager is not None else []


@command(
    "load",
    -3,
    "admin noscript no_async_loading",
    parent=module,
    since="4.0.0",
    summary="Loads a module.",
    acl="admin slow dangerous",
    arguments=[arg("path"), arg("arg", optional=True, multiple=True)],
)
def module_load(session: Session, argv: list[bytes]) -> Any:
    """MODULE LOAD name [arg ...]: load an installed module by entry point name."""
    check_allowed(session)
    return _load(session, _text(argv[2]), [_text(a) for a in argv[3:]], [])


@command(
    "loadex",
    -3,
    "admin noscript no_async_loading",
    parent=module,
    since="7.0.0",
    summary="Loads a module using extended parameters.",
    acl="admin slow dangerous",
    arguments=[
        arg("path"),
        block(
            "configs",
            arg("name"),
            arg("value"),
            token="CONFIG",
            optional=True,
            multiple=True,
            multiple_token=True,
        ),
        arg("args", token="ARGS", optional=True, multiple=True),
    ],
)
def module_loadex(session: Session, argv: list[bytes]) -> Any:
    """MODULE LOADEX name [CONFIG n v ...] [ARGS ...]: LOAD with Redis 7's syntax."""
    check_allowed(session)
    parsed = parse_loadex(argv[3:])
    if parsed is None:
        raise CommandError(LOAD_FAILED)
    configs, args = parsed
    return _load(session, _text(argv[2]), args, configs)


def parse_loadex(rest: list[bytes]) -> tuple[list[tuple[str, str]], list[str]] | None:
    """`[CONFIG name value ...] [ARGS arg ...]` -> (configs, args); None on a syntax error."""
    configs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(rest):
        word = rest[pos].lower()
        if word == b"config" and pos + 2 < len(rest):
            configs.append((_text(rest[pos + 1]), _text(rest[pos + 2])))
            pos += 3
        elif word == b"args":
            return configs, [_text(a) for a in rest[pos + 1 :]]
        else:
            return None
    return configs, []


def _load(session: Session, name: str, args: list[str], configs: list[tuple[str, str]]) -> Any:
    try:
        _manager(session).load(name, args, configs)
    except RedisModuleError:
        raise CommandError(LOAD_FAILED) from None
    return OK


@command(
    "unload",
    3,
    "admin noscript no_async_loading",
    parent=module,
    since="4.0.0",
    summary="Unloads a module.",
    acl="admin slow dangerous",
    arguments=[arg("name")],
)
def module_unload(session: Session, argv: list[bytes]) -> Any:
    """MODULE UNLOAD name: remove a module's commands and types."""
    check_allowed(session)
    try:
        _manager(session).unload(_text(argv[2]))
    except RedisModuleError as exc:
        raise CommandError(UNLOAD_FAILED + exc.errmsg) from None
    return OK


__all__ = [
    "LOAD_FAILED",
    "NOT_ALLOWED",
    "UNLOAD_FAILED",
    "family",
    "is_local_client",
    "parse_loadex",
]
