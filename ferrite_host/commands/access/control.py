"""The server's ACL state: its users, authentication, and the permission check the
dispatcher runs before each command of a client whose user is restricted."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ferrite_host.commands.access.log import AclLog, AclLogEntry, now
from ferrite_host.commands.access.rules import RuleApplier
from ferrite_host.commands.access.user import AclRuleError, KeyPattern, User, command_names
from ferrite_host.commands.clientinfo import client_line
from ferrite_host.commands.introspection import ACL_ORDER, acl_categories, keys_with_flags
from ferrite_host.keyspace import compile_glob

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState

DEFAULT = "default"
NO_COMMAND = "this user has no permissions to run the '{}' command"
NO_KEY = "this user has no permissions to access one of the keys used as arguments"
NO_CHANNEL = "this user has no permissions to access one of the channels used as arguments"

#: Commands whose arguments from position 1 on (or only argument 1) are channels.
_CHANNEL_ARGS = {
    "publish": slice(1, 2),
    "spublish": slice(1, 2),
    "subscribe": slice(1, None),
    "ssubscribe": slice(1, None),
    "psubscribe": slice(1, None),
}
_WRITE_FLAGS = frozenset({"insert", "delete", "update"})


class AccessControl:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.rules = RuleApplier(self.commands, self.categories)
        self.users: dict[str, User] = {}
        self.log = AclLog()
        default = User(DEFAULT, sanitize_payload=False)
        for rule in ("on", "nopass", "allkeys", "allchannels", "allcommands"):
            self.rules.apply(default, rule)
        default.refresh()
        self.users[DEFAULT] = default

    @classmethod
    def of(cls, state: ServerState) -> AccessControl:
        """The server's ACL state, created (and its check installed) on first use."""
        control = state.subsystems.get(cls)
        if control is None:
            control = state.subsystems.install(cls(state))
            state.access_check = control.check
        return control

    @classmethod
    def existing(cls, state: ServerState) -> AccessControl | None:
        """The ACL state if anything created it (no users but `default` otherwise)."""
        return state.subsystems.get(cls)

    # -- the command table as ACL rules see it ----------------------------------------------

    def commands(self) -> dict[str, CommandSpec]:
        return command_names(self.state.commands)

    def categories(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {name: set() for name in ACL_ORDER}
        everything = set()
        for name, spec in self.commands().items():
            everything.add(name)
            for category in acl_categories(spec):
                found.setdefault(category, set()).add(name)
        found["all"] = everything
        return found

    # -- users -------------------------------------------------------------------------------

    def set_user(self, name: str, rules: list[str]) -> None:
        """Apply all rules to a copy, then keep it: a bad rule changes nothing."""
        current = self.users.get(name)
        user = User(name) if current is None else _copy(current)
        if current is None:
            self.rules.apply(user, "nocommands")
        for rule in rules:
            try:
                self.rules.apply(user, rule)
            except AclRuleError as exc:
                raise AclRuleError(f"Error in ACL SETUSER modifier '{rule}': {exc}") from None
        user.refresh()
        self.users[name] = user

    def authenticate(self, name: str, password: bytes) -> User | None:
        user = self.users.get(name)
        if user is None or not user.enabled or not user.check_password(password):
            return None
        return user

    # -- checks -------------------------------------------------------------------------------

    def check(self, session: Session, spec: CommandSpec, argv: list[bytes]) -> str | None:
        """NOPERM text when the session's user may not run this, else None."""
        user = self.users.get(session.user)
        if user is None or user.open_access or spec.no_auth:
            return None  # as Redis: AUTH, HELLO (the no-auth commands) are never refused
        denial = self.denial(user, spec, argv)
        if denial is None:
            return None
        kind, detail = denial
        self.record(session, kind, spec.full_name if kind == "command" else detail, spec.full_name)
        return "NOPERM " + {"key": NO_KEY, "channel": NO_CHANNEL}.get(kind, detail)

    def record(self, session: Session, reason: str, obj: str, command: str) -> None:
        """One ACL LOG entry for a refusal (`command` is what the client was running)."""
        entry = AclLogEntry(
            reason,
            session.acl_log_context or ("multi" if session.in_multi else "toplevel"),
            obj,
            session.user if reason != "auth" else obj,
            client_line(session, command),
            now(),
        )
        if reason == "auth":
            entry.subject = "AUTH"
        self.log.add(entry, self.state.settings.acllog_max_len)

    def denial(self, user: User, spec: CommandSpec, argv: list[bytes]) -> tuple[str, str] | None:
        """("command", text) or ("key", key name) for the first thing refused."""
        if not user.may_run(spec):
            return "command", NO_COMMAND.format(spec.full_name)
        channel = _denied_channel(user, spec, argv)
        if channel is not None:
            return "channel", channel
        if user.all_keys:
            return None
        try:
            keys = keys_with_flags(spec, argv)
        except Exception:  # arguments too short for the key specs: nothing to check
            return None
        for pos, flags in keys:
            if "variable_flags" in flags:
                flags = _actual_flags(spec, argv, flags)
            if not _key_allowed(user.keys, argv[pos], flags):
                return "key", argv[pos].decode("utf-8", "replace")
        return None

    # -- descriptions ------------------------------------------------------------------------

    def describe_commands(self, user: User) -> str:
        """Redis's compact form: a base (+@all/-@all), the categories that cover most of
        what the user may (or may not) run, then single-command differences."""
        commands = self.commands()
        categories = self.categories()
        additive = not user.all_commands
        model = set() if additive else set(commands)
        words = ["-@all" if additive else "+@all"]
        allowed = {name for name, spec in commands.items() if user.may_run(spec)}
        for category in ACL_ORDER:
            if category not in user.mentioned:
                continue
            names = categories.get(category, set()) & set(commands)
            on = len(names & allowed)
            off = len(names) - on
            if (additive and on > off) or (not additive and off > on):
                words.append(("+@" if additive else "-@") + category)
                model = model | names if additive else model - names
        for name, spec in commands.items():
            if spec.parent is not None or (spec.subcommands and spec.handler is None):
                continue
            if (name in allowed) != (name in model):
                words.append(("+" if name in allowed else "-") + name)
        for name, spec in commands.items():
            if not spec.subcommands:
                continue
            subs = [sub.full_name for sub in spec.subcommands.values()]
            user_set = {s for s in subs if s in allowed}
            model_set = {s for s in subs if s in model}
            if user_set == model_set:
                continue
            if user_set == set(subs):
                words.append("+" + name)
            elif not user_set:
                words.append("-" + name)
            else:
                words += [
                    ("+" if s in user_set else "-") + s
                    for s in subs
                    if (s in user_set) != (s in model_set)
                ]
        return " ".join(words)

    def describe_keys(self, user: User) -> str:
        return " ".join(pattern.describe() for pattern in user.keys)

    def describe_channels(self, user: User) -> str:
        return " ".join("&" + c.decode("utf-8", "replace") for c in user.channels)

    def flags(self, user: User) -> list[str]:
        flags = ["on" if user.enabled else "off"]
        if user.nopass:
            flags.append("nopass")
        if user.sanitize_payload and user.name != DEFAULT:
            flags.append("sanitize-payload")
        return flags

    def describe(self, user: User) -> str:
        """One ACL LIST line."""
        parts = [f"user {user.name}", *self.flags(user)]
        parts += [f"#{digest}" for digest in user.passwords]
        if user.keys:
            parts.append(self.describe_keys(user))
        if not user.all_channels:
            parts.append("resetchannels")
        if user.channels:
            parts.append(self.describe_channels(user))
        parts.append(self.describe_commands(user))
        return " ".join(parts)


def _actual_flags(spec: CommandSpec, argv: list[bytes], flags: list[str]) -> list[str]:
    """Flags that depend on the arguments: SET reads its key only with GET."""
    if spec.name == "set" and not any(arg.lower() == b"get" for arg in argv[3:]):
        return [flag for flag in flags if flag.lower() != "access"]
    return flags


def _key_allowed(patterns: list[KeyPattern], key: bytes, flags: list[str]) -> bool:
    lowered = {flag.lower() for flag in flags}
    need_read = "access" in lowered
    need_write = bool(lowered & _WRITE_FLAGS)
    for pattern in patterns:
        if (need_read and not pattern.read) or (need_write and not pattern.write):
            continue
        if compile_glob(pattern.pattern).match(key) or pattern.pattern == b"*":
            return True
    return False


def _copy(user: User) -> User:
    """A deep copy SETUSER edits, so a rejected rule leaves the stored user untouched."""
    return replace(
        user,
        passwords=list(user.passwords),
        allowed=set(user.allowed),
        known=set(user.known),
        keys=[KeyPattern(k.pattern, k.read, k.write) for k in user.keys],
        channels=list(user.channels),
        mentioned=set(user.mentioned),
    )


def _denied_channel(user: User, spec: CommandSpec, argv: list[bytes]) -> str | None:
    """The first channel argument the user may not use, as Redis 7.0 checks them: a channel
    must match one of the user's `&` patterns; a PSUBSCRIBE pattern must equal one."""
    where = _CHANNEL_ARGS.get(spec.full_name)
    if where is None or user.all_channels:
        return None
    literal = spec.full_name == "psubscribe"
    for channel in argv[where]:
        if literal:
            allowed = channel in user.channels
        else:
            allowed = any(compile_glob(pattern).match(channel) for pattern in user.channels)
        if not allowed:
            return channel.decode("utf-8", "replace")
    return None
