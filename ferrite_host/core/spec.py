"""A command's description: the one shape every built-in and module command shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

Handler = Callable[["Session", list[bytes]], Any]

BUILTIN = "builtin"

#: Flags that let a command run before the client authenticated.
NO_AUTH = "no_auth"


@dataclass(frozen=True, eq=False)
class CommandSpec:
    """One command as declared: a frozen value every server's table may share.

    `flags` use the names COMMAND INFO shows (`write`, `readonly`, `denyoom`, `fast`, ...).
    Key positions follow Redis's (first, last, step) triple counted from the command name.
    Per-server counters are not here: each table keeps them in its `stats`. `subcommands`
    is filled while the container is declared (subcommands name their parent).
    """

    name: str
    handler: Handler | None
    arity: int
    flags: frozenset[str] = frozenset()
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    owner: str = BUILTIN
    group: str = "generic"
    summary: str = ""
    #: Empty unless set: COMMAND DOCS then leaves `since` out, as Redis does for modules.
    since: str = ""
    complexity: str = ""
    acl_categories: tuple[str, ...] = ()
    #: Empty: the one key spec Redis derives from the key triple (when there are keys).
    key_specs: list[dict[str, Any]] = field(default_factory=list)
    tips: tuple[str, ...] = ()
    subcommands: dict[str, CommandSpec] = field(default_factory=dict)
    parent: CommandSpec | None = None
    #: COMMAND DOCS arguments; None when the declaration gives none (rendered as none).
    doc_arguments: list[dict[str, Any]] | None = None
    #: COMMAND DOCS deprecation fields (`doc_flags` e.g. ("deprecated",)); empty = left out.
    doc_flags: tuple[str, ...] = ()
    deprecated_since: str = ""
    replaced_by: str = ""
    #: Arbitrary data the owner keeps with the command (module command objects).
    extra: Any = None
    #: `finder(argv) -> [(position, key spec flags)]` for commands that find their keys
    #: themselves (a module's getkeys-api); COMMAND GETKEYS and ACL key checks ask it.
    key_finder: Callable[[list[bytes]], list[tuple[int, list[str]]]] | None = None
    # Derived from the fields above, stored because the dispatcher reads them on every call.
    is_write: bool = field(init=False)
    no_auth: bool = field(init=False)
    is_admin: bool = field(init=False)
    #: `parent|sub` for subcommands, as COMMAND INFO and arity errors name them.
    full_name: str = field(init=False)

    def __post_init__(self) -> None:
        derived = object.__setattr__  # frozen: set once, here
        derived(self, "is_write", "write" in self.flags)
        derived(self, "no_auth", NO_AUTH in self.flags)
        derived(self, "is_admin", "admin" in self.flags)
        parent = self.parent
        derived(self, "full_name", f"{parent.name}|{self.name}" if parent else self.name)
        if not self.key_specs and self.first_key > 0:
            derived(self, "key_specs", [default_key_spec(self)])

    def arity_ok(self, argc: int) -> bool:
        arity = self.arity
        return argc == arity if arity >= 0 else argc >= -arity

    def add_subcommand(self, sub: CommandSpec) -> None:
        """Attach a subcommand declared with `parent=self` (and this command's owner)."""
        if sub.parent is not self or sub.owner != self.owner:
            raise ValueError(f"{sub.full_name} is not declared as a subcommand of {self.name}")
        self.subcommands[sub.name.lower()] = sub

    def keys_of(self, argv: list[bytes]) -> list[bytes]:
        """The key arguments of `argv` according to the key triple."""
        first, last, step = self.first_key, self.last_key, self.key_step
        if first <= 0 or first >= len(argv):
            return []
        last = len(argv) + last if last < 0 else min(last, len(argv) - 1)
        return argv[first : last + 1 : max(step, 1)]


def key_spec(flags: str, index: int = 1, last: int = 0, step: int = 1) -> dict[str, Any]:
    """One key spec in the shape COMMAND INFO renders (Redis's flags, e.g. "RW ACCESS")."""
    return {
        "flags": flags.split(),
        "begin_search": {"type": "index", "spec": {"index": index}},
        "find_keys": {"type": "range", "spec": {"lastkey": last, "keystep": step, "limit": 0}},
    }


def default_key_spec(spec: CommandSpec) -> dict[str, Any]:
    """The single key spec Redis derives from a (first, last, step) triple."""
    last = spec.last_key - spec.first_key if spec.last_key >= 0 else spec.last_key
    if spec.owner != BUILTIN:
        flags = "RW ACCESS UPDATE"  # what Redis generates for every module command
    elif spec.is_write:
        flags = "RW UPDATE"
    else:
        flags = "RO ACCESS"
    if "movablekeys" in spec.flags:
        flags += " VARIABLE_FLAGS"
    return key_spec(flags, spec.first_key, last, spec.key_step)


class Family:
    """Collects one file's built-in commands, to be registered like any module's."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.specs: list[CommandSpec] = []

    def command(
        self,
        name: str,
        arity: int,
        flags: str = "",
        keys: tuple[int, int, int] = (0, 0, 0),
        summary: str = "",
        since: str = "1.0.0",
        complexity: str = "O(1)",
        parent: CommandSpec | None = None,
        acl: str = "",
        key_specs: list[dict[str, Any]] | None = None,
        tips: str = "",
        arguments: list[dict[str, Any]] | None = None,
        doc_flags: tuple[str, ...] | None = None,
        deprecated_since: str = "",
        replaced_by: str = "",
        key_finder: Callable[[list[bytes]], list[tuple[int, list[str]]]] | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a command whole: what COMMAND INFO and COMMAND DOCS show comes from here.

        `key_specs` default to the one Redis derives from `keys`; `tips` are space-separated;
        `arguments` are COMMAND DOCS argument maps (see `commands.arguments`), None when not
        transcribed; a `deprecated_since` marks the command deprecated unless `doc_flags`
        say otherwise. A `key_finder` replaces the key specs for COMMAND GETKEYS and ACL key
        checks where the specs cannot say where the keys are (SORT's STORE).
        """

        def decorate(handler: Handler) -> Handler:
            spec = CommandSpec(
                name=name,
                handler=handler,
                arity=arity,
                flags=frozenset(flags.split()),
                first_key=keys[0],
                last_key=keys[1],
                key_step=keys[2],
                group=self.group,
                summary=summary,
                since=since,
                complexity=complexity,
                acl_categories=tuple(acl.split()),
                key_specs=list(key_specs) if key_specs is not None else [],
                tips=tuple(tips.split()),
                doc_arguments=arguments,
                doc_flags=_doc_flags(doc_flags, deprecated_since),
                deprecated_since=deprecated_since,
                replaced_by=replaced_by,
                parent=parent,
                owner=parent.owner if parent is not None else BUILTIN,
                key_finder=key_finder,
            )
            if parent is not None:
                parent.add_subcommand(spec)
            else:
                self.specs.append(spec)
            return handler

        return decorate

    def container(
        self,
        name: str,
        summary: str = "",
        since: str = "1.0.0",
        flags: str = "",
        arity: int = -2,
        complexity: str = "Depends on subcommand.",
        handler: Handler | None = None,
        acl: str = "",
        tips: str = "",
    ) -> CommandSpec:
        """A command like CONFIG or CLIENT whose real work is in its subcommands; `handler`
        answers the container alone (COMMAND), as Redis runs it when its arity allows."""
        spec = CommandSpec(
            name=name,
            handler=handler,
            arity=arity,
            flags=frozenset(flags.split()),
            group=self.group,
            summary=summary,
            since=since,
            complexity=complexity,
            acl_categories=tuple(acl.split()),
            doc_arguments=[],  # a container has none of its own, as in Redis
            tips=tuple(tips.split()),
        )
        self.specs.append(spec)
        return spec


def _doc_flags(declared: tuple[str, ...] | None, deprecated_since: str) -> tuple[str, ...]:
    if declared is not None:
        return declared
    return ("deprecated",) if deprecated_since else ()
