"""Module commands: flags, the command declaration, and how one runs inside the server.

A `ModuleCommand` is what a module declares (`RedisModule_CreateCommand`); once its module
loads, it becomes an ordinary `CommandSpec` in the one command table, owned by the module,
so COMMAND INFO/DOCS, the dispatcher's checks and MODULE UNLOAD treat it like any other.
"""

from __future__ import annotations

import enum
import functools
import inspect
import logging
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ferrite_host.core.spec import CommandSpec, key_spec
from ferrite_host.protocol.replies import NO_REPLY, Error
from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString, Status
from ferrite_host.redis_module.blocked_clients import AsyncCommand, one_reply
from ferrite_host.redis_module.errors import ModuleCommandError

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState
    from ferrite_host.redis_module.module import RedisModule

log = logging.getLogger("ferrite")

#: `callback(ctx, args) -> Status`; `args` are the arguments after the command name. None
#: declares a container whose work is in its subcommands (RM_CreateCommand with NULL).
CommandCallback = Callable[[RedisModuleCtx, "list[RedisModuleString]"], Any]


def _container(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """What a container without a subcommand would run (the dispatcher answers first)."""
    return ctx.wrong_arity()


#: Characters Redis refuses in command names (subcommand, ACL, INFO and CLIENT LIST syntax).
FORBIDDEN_NAME_CHARS = frozenset(" \r\n|@=,")


class CommandFlag(enum.Flag):
    """Redis's module command flags; combine with `|` or parse Redis's flag string."""

    WRITE = enum.auto()
    READONLY = enum.auto()
    ADMIN = enum.auto()
    DENY_OOM = enum.auto()
    DENY_SCRIPT = enum.auto()
    ALLOW_LOADING = enum.auto()
    PUBSUB = enum.auto()
    RANDOM = enum.auto()
    ALLOW_STALE = enum.auto()
    NO_MONITOR = enum.auto()
    NO_SLOWLOG = enum.auto()
    FAST = enum.auto()
    GETKEYS_API = enum.auto()
    NO_CLUSTER = enum.auto()
    NO_AUTH = enum.auto()
    MAY_REPLICATE = enum.auto()
    NO_MANDATORY_KEYS = enum.auto()
    BLOCKING = enum.auto()
    ALLOW_BUSY = enum.auto()
    GETCHANNELS_API = enum.auto()

    @classmethod
    def parse(cls, text: str) -> CommandFlag:
        """Flags from Redis's space-separated string, e.g. "write deny-oom".

        Words compare case-insensitively; an unknown word (or an empty one from a doubled
        or leading space) raises ValueError naming it, as RM_CreateCommand fails on it.
        """
        flags = cls(0)
        if not text:
            return flags
        for word in text.split(" "):
            member = _BY_TOKEN.get(word.lower())
            if member is None:
                known = ", ".join(sorted(_BY_TOKEN))
                raise ValueError(f"unknown command flag {word!r}; known flags: {known}")
            flags |= member
        return flags

    @property
    def members(self) -> list[CommandFlag]:
        """The single flags set in this combination, in declaration order."""
        return [member for member in type(self) if member in self]

    @property
    def token(self) -> str:
        """Redis's flag word ("deny-oom") of a single flag."""
        return _TOKENS[self][0]

    @property
    def tokens(self) -> str:
        """The flag string RM_CreateCommand would take for this combination."""
        return " ".join(member.token for member in self.members)

    @property
    def info_names(self) -> frozenset[str]:
        """The names COMMAND INFO shows for these flags (hidden ones left out)."""
        return frozenset(name for member in self.members if (name := _TOKENS[member][1]))


#: flag -> (Redis flag word, COMMAND INFO name or "" when Redis does not show it)
_TOKENS: dict[CommandFlag, tuple[str, str]] = {
    CommandFlag.WRITE: ("write", "write"),
    CommandFlag.READONLY: ("readonly", "readonly"),
    CommandFlag.ADMIN: ("admin", "admin"),
    CommandFlag.DENY_OOM: ("deny-oom", "denyoom"),
    CommandFlag.DENY_SCRIPT: ("deny-script", "noscript"),
    CommandFlag.ALLOW_LOADING: ("allow-loading", "loading"),
    CommandFlag.PUBSUB: ("pubsub", "pubsub"),
    CommandFlag.RANDOM: ("random", ""),  # deprecated in Redis 7, silently ignored
    CommandFlag.ALLOW_STALE: ("allow-stale", "stale"),
    CommandFlag.NO_MONITOR: ("no-monitor", "skip_monitor"),
    CommandFlag.NO_SLOWLOG: ("no-slowlog", "skip_slowlog"),
    CommandFlag.FAST: ("fast", "fast"),
    CommandFlag.GETKEYS_API: ("getkeys-api", "movablekeys"),
    CommandFlag.NO_CLUSTER: ("no-cluster", ""),
    CommandFlag.NO_AUTH: ("no-auth", "no_auth"),
    CommandFlag.MAY_REPLICATE: ("may-replicate", ""),  # hidden from COMMAND INFO by Redis
    CommandFlag.NO_MANDATORY_KEYS: ("no-mandatory-keys", "no_mandatory_keys"),
    CommandFlag.BLOCKING: ("blocking", "blocking"),
    CommandFlag.ALLOW_BUSY: ("allow-busy", "allow_busy"),
    CommandFlag.GETCHANNELS_API: ("getchannels-api", ""),
}
_BY_TOKEN = {token: flag for flag, (token, _) in _TOKENS.items()}


def _coerce_flags(flags: CommandFlag | Iterable[CommandFlag] | str | None) -> CommandFlag:
    if flags is None:
        return CommandFlag(0)
    if isinstance(flags, CommandFlag):
        return flags
    if isinstance(flags, str):
        return CommandFlag.parse(flags)
    combined = CommandFlag(0)
    for flag in flags:
        if not isinstance(flag, CommandFlag):
            raise TypeError(f"command flags must be CommandFlag members, got {flag!r}")
        combined |= flag
    return combined


def check_command_name(name: str) -> None:
    """ValueError for names Redis refuses: empty, or with a space, CR, LF, |, @, = or ,."""
    if not name:
        raise ValueError("a command name cannot be empty")
    bad = sorted(set(name) & FORBIDDEN_NAME_CHARS)
    if bad:
        raise ValueError(f"command name {name!r} contains forbidden characters {bad!r}")


@dataclass(frozen=True)
class CommandInfo:
    """What COMMAND INFO and COMMAND DOCS show about a module command (RM_SetCommandInfo).

    `arity` as Redis counts it (negative: at least that many, the name included);
    `acl_categories` are category names without `@` (a category Redis lacks is created for
    the module); `arguments` are COMMAND DOCS argument maps; `key_specs` are key specs as
    COMMAND INFO shows them (`{"flags": ["RO", "ACCESS"], "begin_search": {"type": "index",
    "spec": {"index": 1}}, "find_keys": {"type": "range", "spec": {"lastkey": 0,
    "keystep": 1, "limit": 0}}}`): they replace the one Redis derives from the key
    positions, and ACL `%R~` / `%W~` patterns are checked against their flags.
    """

    arity: int = -1
    summary: str = ""
    since: str = ""
    complexity: str = ""
    acl_categories: tuple[str, ...] = ()
    arguments: tuple[dict[str, Any], ...] = ()
    key_specs: tuple[dict[str, Any], ...] = ()


#: `runner(command, module, session, argv) -> reply`: how a command runs in the server;
#: the Pythonic API (ferrite_host.module) brings its own, the default is `run_module_command`.
CommandRunner = Callable[["ModuleCommand", "RedisModule", "Session", "list[bytes]"], Any]


class ModuleCommand:
    """A command a module declares: `ModuleCommand("MYMOD.SET", callback, [CommandFlag.WRITE])`.

    `callback(ctx, args)` gets the arguments after the command name. `flags` is a
    CommandFlag combination, a list of them, or Redis's flag string ("write deny-oom").
    The declared case of `name` is kept (COMMAND INFO shows it); lookups ignore case. Key
    positions default to none (0, 0, 0); declare them with `with_keys`.
    """

    def __init__(
        self,
        name: str,
        callback: CommandCallback | None,
        flags: CommandFlag | Iterable[CommandFlag] | str | None = None,
    ) -> None:
        if isinstance(name, bytes):
            name = name.decode("utf-8")
        check_command_name(name)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback of command {name!r} is not callable")
        self.name = name
        #: None declared a container (RM_CreateCommand with a NULL callback).
        self.is_container = callback is None
        self.callback: CommandCallback = _container if callback is None else callback
        self.flags = _coerce_flags(flags)
        self.first_key = 0
        self.last_key = 0
        self.key_step = 0
        self.info = CommandInfo()
        self.runner: CommandRunner | None = None
        #: RM_CreateSubcommand's children, by lower-cased name.
        self.subcommands: dict[str, ModuleCommand] = {}
        self.parent: ModuleCommand | None = None

    @property
    def full_name(self) -> str:
        """`parent|sub` for a subcommand (COMMAND INFO's name, arity errors), else the name."""
        return self.name if self.parent is None else f"{self.parent.name}|{self.name}"

    def add_subcommand(self, sub: ModuleCommand) -> Status:
        """Attach a subcommand; ERR for a taken name or when this is a subcommand itself."""
        if self.parent is not None or sub.name.lower() in self.subcommands:
            return Status.ERR
        sub.parent = self
        self.subcommands[sub.name.lower()] = sub
        return Status.OK

    def with_info(self, info: CommandInfo) -> ModuleCommand:
        """Declare arity, docs and ACL categories (Redis's RM_SetCommandInfo)."""
        if info.arity == 0:
            raise ValueError(f"arity 0 is not valid for {self.name!r}: use -1 for any")
        self.info = info
        return self

    def with_keys(self, first: int, last: int, step: int) -> ModuleCommand:
        """Key positions as Redis counts them: 1 = first argument after the name; a
        negative `last` counts from the end (-1 = last argument); 0, 0, 0 = no keys."""
        if first < 0 or step < 0:
            raise ValueError(f"invalid key positions ({first}, {last}, {step}) for {self.name!r}")
        self.first_key, self.last_key, self.key_step = first, last, step
        return self

    def execute(self, ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Any:
        """Call the callback directly (tests, or one command delegating to another)."""
        return self.callback(ctx, args)

    def is_write(self) -> bool:
        """Declared with the `write` flag (propagated verbatim by default)."""
        return CommandFlag.WRITE in self.flags

    def is_readonly(self) -> bool:
        """Declared with the `readonly` flag."""
        return CommandFlag.READONLY in self.flags

    @property
    def info_flags(self) -> frozenset[str]:
        """COMMAND INFO flags, `module` included."""
        return self.flags.info_names | {"module"}

    def __repr__(self) -> str:
        keys = (self.first_key, self.last_key, self.key_step)
        return f"<ModuleCommand {self.name} flags={self.flags.tokens!r} keys={keys}>"


class ModuleCommandRegistry:
    """The commands one module declared; names compare case-insensitively."""

    def __init__(self) -> None:
        self._commands: dict[str, ModuleCommand] = {}

    def register(self, command: ModuleCommand) -> Status:
        """Add a command; ERR if this registry already has one by that name."""
        key = command.name.lower()
        if key in self._commands:
            return Status.ERR
        self._commands[key] = command
        return Status.OK

    def unregister(self, name: str) -> Status:
        """Remove a command by name; ERR if there is none."""
        return Status.OK if self._commands.pop(name.lower(), None) is not None else Status.ERR

    def get(self, name: str) -> ModuleCommand | None:
        """The command called `name` (any case), or None."""
        return self._commands.get(name.lower())

    def execute(self, name: str, ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Any:
        """Run a command's callback by name; ModuleCommandError if there is none."""
        command = self.get(name)
        if command is None:
            raise ModuleCommandError(f"module command not found: {name}")
        return command.execute(ctx, args)

    def command_names(self) -> list[str]:
        """Declared names, sorted."""
        return sorted(command.name for command in self._commands.values())

    def __len__(self) -> int:
        return len(self._commands)

    def __iter__(self) -> Iterator[ModuleCommand]:
        return iter(list(self._commands.values()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._commands


# -- running a module command inside the server ---------------------------------------------


#: argv items are already bytes: wrap them without RedisModuleString's conversions.
_module_string = functools.partial(bytes.__new__, RedisModuleString)


def run_module_command(
    command: ModuleCommand, module: RedisModule | None, session: Session, argv: list[bytes]
) -> Any:
    """Call a module command for a client and turn what it replied into one reply value.

    A callback that raises answers `-ERR` naming the exception (traceback in the log); one
    that replies nothing, or more than once, answers `-ERR` saying so. The client and the
    server carry on either way.
    """
    ctx = RedisModuleCtx(session, command.full_name, module, argv)
    args = list(map(_module_string, argv[1:]))
    try:
        result = command.callback(ctx, args)
    except Exception as exc:
        ctx.release()
        if module is not None and module.no_implicit_propagation:
            module.settle_propagation(session)
        owner = module.name if module is not None else "?"
        log.error("Module %s: command '%s' raised", owner, command.name, exc_info=True)
        return Error(f"ERR module command '{command.name}' raised {type(exc).__name__}: {exc}")
    if inspect.iscoroutine(result):
        return _run_async(command, module, session, ctx, result)
    ctx.release()
    if module is not None:
        module.settle_propagation(session)
    handle = ctx.blocking_handle
    if handle is not None and handle.waiting:
        return NO_REPLY  # answered later, when the module unblocks it
    replies = ctx.finish_replies()
    if len(replies) == 1:
        return replies[0]
    if not replies:
        return Error(f"ERR module command '{command.name}' returned without replying")
    log.warning(
        "Module command '%s' replied %d times; only one reply is allowed",
        command.name,
        len(replies),
    )
    return Error(
        f"ERR module command '{command.name}' replied {len(replies)} times instead of once"
    )


def _run_async(
    command: ModuleCommand,
    module: RedisModule | None,
    session: Session,
    ctx: RedisModuleCtx,
    coroutine: Coroutine[Any, Any, Any],
) -> Any:
    """An `async def` callback (Ferrite's own): the client is blocked until the coroutine
    returns; it answers with what the coroutine replied through `ctx`."""
    session.propagation = list(ctx._propagation)  # asked so far; later asks go later
    ctx._propagation.clear()

    def fail(exc: BaseException) -> Any:
        owner = module.name if module is not None else "?"
        log.error("Module %s: command '%s' raised", owner, command.name, exc_info=exc)
        return Error(f"ERR module command '{command.name}' raised {type(exc).__name__}: {exc}")

    def finish(_: Any) -> Any:
        return one_reply(ctx.finish_replies(), command.name)

    owner = module.name if module is not None else "?"
    return AsyncCommand(session, owner, coroutine, finish, fail, ctx.release).start()


def command_spec(
    command: ModuleCommand,
    module: RedisModule,
    state: ServerState | None = None,
    parent: CommandSpec | None = None,
) -> CommandSpec:
    """The command-table row for a module command (owner = module name, group "module"),
    its subcommands attached; with `state`, a getkeys-api command finds its keys itself."""
    info = command.info
    runner = command.runner or run_module_command
    arity = info.arity
    if (command.is_container or command.parent is not None) and arity == -1:
        arity = -2  # a container and its subcommands count the subcommand, as Redis declares
    if info.key_specs:  # exact ones the module declared
        key_specs = [dict(declared) for declared in info.key_specs]
    elif command.first_key > 0 and command.runner is not None:
        key_specs = [_declared_key_spec(command)]
    else:
        key_specs = []  # the spec derives Redis's RW ACCESS UPDATE from the key positions
    finder = None
    if state is not None and CommandFlag.GETKEYS_API in command.flags:
        finder = functools.partial(find_keys_via_api, state, command, module)
    spec = CommandSpec(
        name=command.name,
        # partial, not a closure: one Python frame less on every module command.
        handler=None if command.is_container else functools.partial(runner, command, module),
        arity=arity,
        flags=command.info_flags,
        first_key=command.first_key,
        last_key=command.last_key,
        key_step=command.key_step,
        owner=module.name,
        group="module",
        summary=info.summary,
        since=info.since,
        complexity=info.complexity,
        acl_categories=info.acl_categories,
        doc_arguments=[dict(argument) for argument in info.arguments],
        key_specs=key_specs,
        parent=parent,
        extra=command,
        key_finder=finder,
    )
    for sub in command.subcommands.values():
        spec.add_subcommand(command_spec(sub, module, state, spec))
    return spec


def find_keys_via_api(
    state: ServerState, command: ModuleCommand, module: RedisModule, argv: list[bytes]
) -> list[tuple[int, list[str]]]:
    """A getkeys-api command's keys: its callback, asked with `is_keys_position_request()`
    True, reports them with `ctx.key_at_pos` (Redis's moduleGetCommandKeysViaAPI)."""
    session = state.new_session(kind="module")
    session.authenticated = True
    ctx = RedisModuleCtx(session, command.full_name, module, argv)
    ctx._key_positions = []
    try:
        command.callback(ctx, [RedisModuleString(arg) for arg in argv[1:]])
    except Exception:
        log.exception("Module command '%s' failed answering a keys-position request", command.name)
    finally:
        ctx.release()
        state.drop_session(session)
    return ctx._key_positions


def _declared_key_spec(command: ModuleCommand) -> dict[str, Any]:
    """Read-only or read-write from the flags, as a C module would declare with key specs."""
    if CommandFlag.READONLY in command.flags:
        flags = "RO ACCESS"
    elif CommandFlag.WRITE in command.flags:
        flags = "RW UPDATE"
    else:
        flags = "RW ACCESS UPDATE"
    last = command.last_key - command.first_key if command.last_key >= 0 else command.last_key
    return key_spec(flags, command.first_key, last, command.key_step)


#: The public surface for module authors; `command_spec` and `run_module_command` are the
#: server's side of the seam and deliberately not part of it.
__all__ = [
    "CommandCallback",
    "CommandFlag",
    "CommandInfo",
    "ModuleCommand",
    "ModuleCommandRegistry",
]
