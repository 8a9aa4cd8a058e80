"""The server's ACL state: its users, authentication, and the permission check the
dispatcher runs before each command of a client whose user is restricted."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.access.aclfile import AclFileError, read_users, write_users
from ferrite_host.commands.access.log import AclLog, AclLogEntry, now
from ferrite_host.commands.access.rules import RuleApplier, merge_selector_arguments
from ferrite_host.commands.access.user import (
    AclRuleError,
    KeyPattern,
    Selector,
    User,
    command_names,
)
from ferrite_host.commands.clientinfo import client_line
from ferrite_host.commands.introspection import ACL_ORDER, acl_categories, keys_with_flags
from ferrite_host.core.errors import StartupError
from ferrite_host.keyspace import compile_glob
from ferrite_host.pubsub import PubSub

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
#: How Redis ranks refusals when no selector allows a command: the highest wins (then the
#: one at the later argument), so the reply names the most specific reason.
_RANK = {"command": 1, "key": 2, "channel": 4}

#: (reason, what was refused: command text, key or channel name, argument position)
Denial = tuple[str, str, int]


class AccessControl:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.rules = RuleApplier(
            self.commands,
            self.categories,
            lambda: state.settings.acl_pubsub_default == "allchannels",
        )
        self.users: dict[str, User] = {DEFAULT: self.fresh_default()}
        self.log = AclLog()
        self.use_requirepass()

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

    def fresh_default(self) -> User:
        default = User(name=DEFAULT, sanitize=None)
        for rule in ("on", "nopass", "allkeys", "allchannels", "allcommands"):
            self.rules.apply(default, rule)
        default.refresh()
        return default

    def new_user(self, name: str) -> User:
        """A user as ACL SETUSER creates it: off, no password, no commands, keys or channels."""
        user = User(name=name, sanitize=None)  # only `reset` sets sanitize-payload
        self.rules.apply(user, "nocommands")
        self.rules.default_channels(user)
        return user

    def set_user(self, name: str, rules: list[str]) -> None:
        """Apply all rules to a copy, then keep it: a bad rule changes nothing."""
        current = self.users.get(name)
        user = self.new_user(name) if current is None else copy.deepcopy(current)
        for rule in merge_selector_arguments(rules):
            try:
                self.rules.apply(user, rule)
            except AclRuleError as exc:
                raise AclRuleError(f"Error in ACL SETUSER modifier '{rule}': {exc}") from None
        self.rules.refresh_known(user)
        user.refresh()
        self.users[name] = user
        if name == DEFAULT:
            self._sync_default()
        self._disconnect_lost_subscribers(user)

    def _disconnect_lost_subscribers(self, user: User) -> None:
        """As Redis 7.0: a client of this user subscribed to a channel (or pattern) its new
        rules no longer allow is disconnected."""
        if any(selector.all_channels for selector in (user, *user.selectors)):
            return
        pubsub = self.state.subsystems.get(PubSub)
        if pubsub is None:
            return  # a server without pub/sub (a bare test state): nobody is subscribed
        for client in list(self.state.clients.values()):
            if client.user != user.name or client.closer is None:
                continue
            subs = pubsub.subscriptions_of(client)
            if subs is None:
                continue
            channels = [*subs.channels, *subs.shard_channels]
            if not all(_channel_allowed(user, c, False) for c in channels) or not all(
                _channel_allowed(user, p, True) for p in subs.patterns
            ):
                client.closer()

    def use_requirepass(self) -> None:
        """`requirepass` is the default user's only password ("" makes it nopass), as Redis
        applies it at start-up and on CONFIG SET."""
        password = self.state.settings.requirepass
        self.set_user(DEFAULT, ["resetpass", f">{password}" if password else "nopass"])

    def _sync_default(self) -> None:
        """Clients need AUTH while the default user is off or has passwords."""
        self.state.auth_required = not self.users[DEFAULT].open_login

    def replace_users(self, users: dict[str, User]) -> None:
        """Swap in a whole set of users (ACL LOAD, start-up): the default user from it or
        a fresh one; every client of another user is disconnected, as Redis does."""
        for user in users.values():
            self.rules.refresh_known(user)
            user.refresh()
        users.setdefault(DEFAULT, self.fresh_default())
        self.users = users
        self._sync_default()
        for client in list(self.state.clients.values()):
            if client.user != DEFAULT and client.closer is not None:
                client.closer()

    def load_at_startup(self) -> None:
        """Users from `aclfile` or from the config file's `user` lines (never both), once
        modules registered their commands; StartupError with Redis's reason otherwise."""
        settings = self.state.settings
        if settings.aclfile and settings.user:
            raise StartupError(
                "Configuring Redis with users defined in redis.conf and at the same setting an "
                "ACL file path is invalid. This setup is very likely to lead to configuration "
                "errors and security holes, please define either an ACL file or declare users "
                "directly in your redis.conf, but not both."
            )
        if settings.aclfile:
            try:
                self.load_file(settings.aclfile)
            except AclFileError as exc:
                raise StartupError(f"Aborting Redis startup because of ACL errors: {exc}") from None
        for name, *rules in settings.user:
            try:
                self.configure_user(name, rules)
            except AclRuleError as exc:
                raise StartupError(str(exc)) from None

    def configure_user(self, name: str, rules: list[str]) -> None:
        """One `user` line of the config file: the user is reset, then gets the rules."""
        current = self.users.get(name)
        if current is None:
            user = self.new_user(name)
        else:  # a user that exists (default) starts over
            user = copy.deepcopy(current)
            self.rules.apply(user, "reset")
        try:
            merged = merge_selector_arguments(rules)
        except AclRuleError as exc:
            raise AclRuleError(f"Error in user declaration '{name}': {exc}") from None
        for rule in merged:
            try:
                self.rules.apply(user, rule)
            except AclRuleError as exc:
                raise AclRuleError(
                    f"Error loading ACL rule '{rule}' for the user named '{name}': {exc}"
                ) from None
        self.rules.refresh_known(user)
        user.refresh()
        self.users[name] = user
        if name == DEFAULT:
            self._sync_default()

    def delete_user(self, name: str) -> bool:
        if self.users.pop(name, None) is None:
            return False
        for client in list(self.state.clients.values()):
            if client.user == name and client.closer is not None:
                client.closer()  # as Redis: its clients are disconnected
        return True

    def authenticate(self, name: str, password: bytes) -> User | None:
        user = self.users.get(name)
        if user is None or not user.enabled or not user.check_password(password):
            return None
        return user

    # -- the ACL file ----------------------------------------------------------------------

    def load_file(self, path: str) -> None:
        """ACL LOAD: every user of the file, or AclFileError and nothing changed."""
        self.replace_users(read_users(path, self.new_user, self.rules.apply))

    def save_file(self, path: str) -> None:
        write_users(path, [self.describe(self.users[name]) for name in sorted(self.users)])

    # -- checks -------------------------------------------------------------------------------

    def check(
        self, session: Session, spec: CommandSpec, argv: list[bytes], context: str | None = None
    ) -> str | None:
        """NOPERM text when the session's user may not run this, else None (and an ACL LOG
        entry in `context`: toplevel or multi unless the caller says, e.g. "module")."""
        user = self.users.get(session.user)
        if user is None or user.open_access or spec.no_auth:
            return None  # as Redis: AUTH, HELLO (the no-auth commands) are never refused
        denial = self.denial(user, spec, argv)
        if denial is None:
            return None
        kind, detail, _ = denial
        obj = spec.full_name if kind == "command" else detail
        # From a script or module the client line shows the caller's own command (EVAL);
        # a queued command checked again at EXEC shows exec.
        shown = {None: spec.full_name, "multi": "exec"}.get(context)
        self.record(session, kind, obj, shown, context)
        return "NOPERM " + {"key": NO_KEY, "channel": NO_CHANNEL}.get(kind, detail)

    def record(
        self,
        session: Session,
        reason: str,
        obj: str,
        command: str | None,
        context: str | None = None,
        username: str | None = None,
    ) -> None:
        """One ACL LOG entry for a refusal (`command` is what the client was running; a
        failed login names the user it tried)."""
        entry = AclLogEntry(
            reason,
            context or ("multi" if session.in_multi or session.in_exec else "toplevel"),
            obj,
            session.user if username is None else username,
            client_line(session, command),
            now(),
        )
        self.log.add(entry, self.state.settings.acllog_max_len)

    def denial(self, user: User, spec: CommandSpec, argv: list[bytes]) -> Denial | None:
        """The refusal Redis reports when none of the user's selectors allows the call."""
        worst: Denial | None = None
        for selector in (user, *user.selectors):
            denial = _selector_denial(selector, spec, argv)
            if denial is None:
                return None
            if worst is None or (_RANK[denial[0]], denial[2]) > (_RANK[worst[0]], worst[2]):
                worst = denial
        return worst

    # -- descriptions ------------------------------------------------------------------------

    def describe_commands(self, selector: Selector) -> str:
        """Redis's compact form: a base (+@all/-@all), the categories that cover most of
        what the user may (or may not) run, then single-command differences."""
        commands = self.commands()
        categories = self.categories()
        additive = not selector.all_commands
        model = set() if additive else set(commands)
        words = ["-@all" if additive else "+@all"]
        allowed = {name for name, spec in commands.items() if selector.may_run(spec)}
        # Redis's best fit: each category (in its order) whose commands are mostly allowed
        # (or, from +@all, mostly denied) among those no earlier category accounted for.
        unexplained = set(allowed)
        order = sorted(
            (c for c in ACL_ORDER if c in selector.mentioned),
            key=lambda c: -len(categories.get(c, set())),
        )
        for category in order:
            names = categories.get(category, set()) & set(commands)
            on = len(names & unexplained)
            off = len(names) - on
            if (additive and on > off) or (not additive and off > on):
                words.append(("+@" if additive else "-@") + category)
                model = model | names if additive else model - names
                unexplained = unexplained - names if additive else unexplained | names
        # Then single commands, as Redis adds them to its model: a container's own rule
        # (`+config`) covers its subcommands, which follow with their own differences.
        for spec in commands.values():
            if spec.parent is not None:
                continue
            for one in (spec, *spec.subcommands.values()):
                name = one.full_name
                if (name in allowed) != (name in model):
                    words.append(("+" if name in allowed else "-") + name)
                    covered = {name, *(sub.full_name for sub in one.subcommands.values())}
                    model = model | covered if name in allowed else model - covered
        for name, args in selector.first_args.items():
            words += [f"+{name}|{arg.decode('utf-8', 'surrogateescape')}" for arg in args]
        return " ".join(words)

    def describe_keys(self, selector: Selector) -> str:
        return " ".join(pattern.describe() for pattern in selector.keys)

    def describe_channels(self, selector: Selector) -> str:
        return " ".join("&" + c.decode("utf-8", "surrogateescape") for c in selector.channels)

    def flags(self, user: User) -> list[str]:
        flags = ["on" if user.enabled else "off"]
        if user.nopass:
            flags.append("nopass")
        if user.sanitize is not None:
            flags.append(user.sanitize)
        return flags

    def describe_selector(self, selector: Selector) -> str:
        """Keys, channels and commands as ACL LIST writes them."""
        parts = []
        if selector.keys:
            parts.append(self.describe_keys(selector))
        if not selector.all_channels:
            parts.append("resetchannels")
        if selector.channels:
            parts.append(self.describe_channels(selector))
        parts.append(self.describe_commands(selector))
        return " ".join(parts)

    def describe(self, user: User) -> str:
        """One ACL LIST line (and ACL file line)."""
        parts = [f"user {user.name}", *self.flags(user)]
        parts += [f"#{digest}" for digest in user.passwords]
        parts.append(self.describe_selector(user))
        parts += [f"({self.describe_selector(selector)})" for selector in user.selectors]
        return " ".join(parts)

    def getuser_reply(self, user: User) -> dict[bytes, Any]:
        return {
            b"flags": [flag.encode() for flag in self.flags(user)],
            b"passwords": [digest.encode() for digest in user.passwords],
            **self._selector_fields(user),
            b"selectors": [self._selector_fields(selector) for selector in user.selectors],
        }

    def _selector_fields(self, selector: Selector) -> dict[bytes, Any]:
        return {
            b"commands": self.describe_commands(selector).encode(),
            b"keys": self.describe_keys(selector).encode("utf-8", "surrogateescape"),
            b"channels": self.describe_channels(selector).encode("utf-8", "surrogateescape"),
        }


def _selector_denial(selector: Selector, spec: CommandSpec, argv: list[bytes]) -> Denial | None:
    """Why this one selector refuses the call, or None when it allows it."""
    if not selector.may_run_with(spec, argv):
        return "command", NO_COMMAND.format(spec.full_name), 0
    if not selector.all_keys:
        try:
            keys = keys_with_flags(spec, argv)
        except Exception:  # arguments too short for the key specs: nothing to check
            keys = []
        for pos, flags in keys:
            if "not_key" in flags or "NOT_KEY" in flags:
                continue  # a shard channel (SPUBLISH): channel rules decide
            if "variable_flags" in flags:
                flags = _actual_flags(spec, argv, flags)
            if not _key_allowed(selector.keys, argv[pos], flags):
                return "key", argv[pos].decode("utf-8", "surrogateescape"), pos
    return _denied_channel(selector, spec, argv)


def _actual_flags(spec: CommandSpec, argv: list[bytes], flags: list[str]) -> list[str]:
    """Flags that depend on the arguments: SET reads its key only with GET."""
    if spec.name == "set" and not any(arg.lower() == b"get" for arg in argv[3:]):
        return [flag for flag in flags if flag.lower() != "access"]
    return flags


def _key_allowed(patterns: list[KeyPattern], key: bytes, flags: list[str]) -> bool:
    """Redis's rule: a pattern counts when it grants every permission the key spec's flags
    need (ACCESS needs R; INSERT, DELETE, UPDATE need W; no flag needs neither)."""
    lowered = {flag.lower() for flag in flags}
    need_read = "access" in lowered
    need_write = bool(lowered & _WRITE_FLAGS)
    for pattern in patterns:
        if (need_read and not pattern.read) or (need_write and not pattern.write):
            continue
        if pattern.pattern == b"*" or compile_glob(pattern.pattern).match(key):
            return True
    return False


def _channel_allowed(user: User, channel: bytes, literal: bool) -> bool:
    for selector in (user, *user.selectors):
        if selector.all_channels:
            return True
        if literal and channel in selector.channels:
            return True
        if not literal and any(compile_glob(p).match(channel) for p in selector.channels):
            return True
    return False


def _denied_channel(selector: Selector, spec: CommandSpec, argv: list[bytes]) -> Denial | None:
    """The first channel argument the selector does not allow, as Redis 7.0 checks them: a
    channel must match one of its `&` patterns; a PSUBSCRIBE pattern must equal one."""
    where = _CHANNEL_ARGS.get(spec.full_name)
    if where is None or selector.all_channels:
        return None
    literal = spec.full_name == "psubscribe"
    start = where.start or 0
    for offset, channel in enumerate(argv[where]):
        if literal:
            allowed = channel in selector.channels
        else:
            allowed = any(compile_glob(pattern).match(channel) for pattern in selector.channels)
        if not allowed:
            return "channel", channel.decode("utf-8", "surrogateescape"), start + offset
    return None
