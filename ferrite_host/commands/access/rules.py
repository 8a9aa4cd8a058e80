"""Applying ACL SETUSER rules to a user or one of its selectors, with Redis's wording for
refused rules."""

from __future__ import annotations

from collections.abc import Callable

from ferrite_host.commands.access.user import (
    SYNTAX,
    UNKNOWN,
    AclRuleError,
    KeyPattern,
    Selector,
    User,
    password_hash,
)
from ferrite_host.core.spec import CommandSpec

#: Category name -> the command names in it (from the live command table).
Categories = Callable[[], dict[str, set[str]]]
_HEX = frozenset("0123456789abcdef")
_AFTER_ALL_KEYS = (
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
    "have any effect. Try 'resetkeys' to start with an empty list of patterns"
)
_AFTER_ALL_CHANNELS = (
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does "
    "not have any effect. Try 'resetchannels' to start with an empty list of channels"
)


def merge_selector_arguments(rules: list[str]) -> list[str]:
    """Rules with each `(...)` selector written over several arguments joined into one, as
    Redis merges `"(~a" "+get)"`; AclRuleError for a `(` that is never closed."""
    merged: list[str] = []
    opened: list[str] | None = None
    for rule in rules:
        if opened is not None:
            opened.append(rule)
            if rule.endswith(")"):
                merged.append(" ".join(opened))
                opened = None
        elif rule.startswith("(") and not rule.endswith(")"):
            opened = [rule]
        else:
            merged.append(rule)
    if opened is not None:
        raise AclRuleError(f"Unmatched parenthesis in acl selector starting at '{opened[0]}'.")
    return merged


class RuleApplier:
    def __init__(
        self,
        commands: Callable[[], dict[str, CommandSpec]],
        categories: Categories,
        all_channels_by_default: Callable[[], bool] = lambda: False,
    ):
        self._commands = commands
        self._categories = categories
        #: `acl-pubsub-default allchannels`: new users, selectors and `reset` get `&*`.
        self._all_channels_by_default = all_channels_by_default

    def default_channels(self, selector: Selector) -> None:
        selector.channels = [b"*"] if self._all_channels_by_default() else []

    def apply(self, user: User, rule: str) -> None:
        """One rule on the user: its own (on, passwords, selectors...) or its root selector's."""
        lowered = rule.lower()
        own = _USER_RULES.get(lowered)
        if own is not None:
            own(self, user)
        elif rule.startswith(">"):
            self._add_password(user, password_hash(rule[1:].encode("utf-8", "surrogateescape")))
        elif rule.startswith("<"):
            self._remove_password(user, password_hash(rule[1:].encode("utf-8", "surrogateescape")))
        elif rule.startswith("#"):
            self._add_password(user, self._hash(rule))
        elif rule.startswith("!"):
            self._remove_password(user, self._hash(rule))
        elif rule.startswith("(") and rule.endswith(")") and len(rule) > 1:
            user.selectors.append(self.selector(rule[1:-1]))
        else:
            self.apply_to_selector(user, rule)

    def selector(self, text: str) -> Selector:
        """A new selector from the rules inside one `(...)`."""
        selector = Selector()
        self.apply_to_selector(selector, "nocommands")
        self.default_channels(selector)
        for rule in text.split(" "):
            if rule:
                self.apply_to_selector(selector, rule)
        return selector

    def apply_to_selector(self, selector: Selector, rule: str) -> None:
        lowered = rule.lower()
        simple = _SELECTOR_RULES.get(lowered)
        if simple is not None:
            simple(self, selector)
        elif rule.startswith("~"):
            self._add_keys(selector, KeyPattern(rule[1:].encode("utf-8", "surrogateescape")))
        elif rule.startswith("%"):
            self._add_keys(selector, self._permission_pattern(rule))
        elif rule.startswith("&"):
            self._add_channel(selector, rule[1:].encode("utf-8", "surrogateescape"))
        elif rule[:1] in ("+", "-") and len(rule) > 1:
            self._command_rule(selector, rule[0] == "+", lowered[1:], rule[1:])
        else:
            raise AclRuleError(SYNTAX)

    # -- passwords and patterns ---------------------------------------------------------------

    @staticmethod
    def _hash(rule: str) -> str:
        digest = rule[1:].lower()
        if len(digest) != 64 or not set(digest) <= _HEX:
            raise AclRuleError(
                "The password hash must be exactly 64 characters and contain only lowercase "
                "hexadecimal characters"
            )
        return digest

    @staticmethod
    def _add_password(user: User, digest: str) -> None:
        if digest not in user.passwords:
            user.passwords.append(digest)
        user.nopass = False

    @staticmethod
    def _remove_password(user: User, digest: str) -> None:
        if digest not in user.passwords:
            raise AclRuleError("The password you are trying to remove from the user does not exist")
        user.passwords.remove(digest)

    @staticmethod
    def _add_keys(selector: Selector, pattern: KeyPattern) -> None:
        if pattern.pattern == b"*" and pattern.read and pattern.write:
            selector.keys = [pattern]  # `~*` is `allkeys`
            return
        if selector.all_keys:
            raise AclRuleError(_AFTER_ALL_KEYS)
        for existing in selector.keys:
            if existing.pattern == pattern.pattern:
                existing.read |= pattern.read
                existing.write |= pattern.write
                return
        selector.keys.append(pattern)

    @staticmethod
    def _add_channel(selector: Selector, channel: bytes) -> None:
        if channel == b"*":
            selector.channels = [channel]  # `&*` is `allchannels`
        elif selector.all_channels:
            raise AclRuleError(_AFTER_ALL_CHANNELS)
        elif channel not in selector.channels:
            selector.channels.append(channel)

    @staticmethod
    def _permission_pattern(rule: str) -> KeyPattern:
        marks, sep, pattern = rule[1:].partition("~")
        upper = marks.upper()
        if not sep or not upper or set(upper) - {"R", "W"}:
            raise AclRuleError(SYNTAX)
        return KeyPattern(pattern.encode("utf-8", "surrogateescape"), "R" in upper, "W" in upper)

    # -- commands ------------------------------------------------------------------------------

    def _command_rule(
        self, selector: Selector, allow: bool, target: str, spelled: str = ""
    ) -> None:
        self._refresh_known(selector)
        if target.startswith("@"):
            names = self._categories().get(target[1:])
            if names is None:
                raise AclRuleError(UNKNOWN)
            if target == "@all":
                selector.all_commands = allow
                selector.mentioned.clear()
                selector.first_args.clear()
            else:
                selector.mentioned.add(target[1:])
        else:
            commands = self._commands()
            spec = commands.get(target)
            if spec is None:
                self._first_arg_rule(selector, allow, spelled or target, commands)
                return
            names = {target, *(sub.full_name for sub in spec.subcommands.values())}
        for name in names:
            selector.first_args.pop(name, None)
        if allow:
            selector.allowed |= names
        else:
            selector.allowed -= names

    def _first_arg_rule(
        self, selector: Selector, allow: bool, target: str, commands: dict[str, CommandSpec]
    ) -> None:
        """`+select|0`: Redis's (deprecated) rule allowing a command with one first argument
        only; refused for `-`, for commands with subcommands and beyond a subcommand."""
        name, _, first = target.partition("|")
        name = name.lower()
        parent = commands.get(name)
        if parent is None or not first:
            raise AclRuleError(UNKNOWN if parent is None or "|" not in target else SYNTAX)
        if parent.subcommands:
            sub = commands.get(f"{name}|{first.partition('|')[0].lower()}")
            if sub is not None and "|" in first and allow:
                raise AclRuleError("Allowing first-arg of a subcommand is not supported")
            raise AclRuleError(UNKNOWN)
        if not allow:
            raise AclRuleError(UNKNOWN)
        if selector.may_run(parent):
            return  # already allowed whatever the argument
        allowed = selector.first_args.setdefault(name, [])
        wanted = first.encode("utf-8", "surrogateescape")
        if all(arg.lower() != wanted.lower() for arg in allowed):
            allowed.append(wanted)

    def _refresh_known(self, selector: Selector) -> None:
        """Commands added since the last rule follow the allcommands flag from now on."""
        current = set(self._commands())
        for name in current - selector.known:
            if selector.all_commands:
                selector.allowed.add(name)
        selector.known = current
        selector.allowed &= current

    def refresh_known(self, user: User) -> None:
        for selector in (user, *user.selectors):
            self._refresh_known(selector)

    def _reset(self, user: User) -> None:
        user.first_args.clear()
        user.enabled = False
        user.nopass = False
        user.passwords.clear()
        user.keys.clear()
        self.default_channels(user)
        user.selectors.clear()
        user.sanitize = "sanitize-payload"
        self._command_rule(user, False, "@all")


def _on(applier: RuleApplier, user: User) -> None:
    user.enabled = True


def _off(applier: RuleApplier, user: User) -> None:
    user.enabled = False


def _nopass(applier: RuleApplier, user: User) -> None:
    user.nopass = True
    user.passwords.clear()


def _resetpass(applier: RuleApplier, user: User) -> None:
    user.nopass = False
    user.passwords.clear()


def _clearselectors(applier: RuleApplier, user: User) -> None:
    user.selectors.clear()


def _sanitize(applier: RuleApplier, user: User) -> None:
    user.sanitize = "sanitize-payload"


def _skip_sanitize(applier: RuleApplier, user: User) -> None:
    user.sanitize = "skip-sanitize-payload"


def _allkeys(applier: RuleApplier, selector: Selector) -> None:
    selector.keys = [KeyPattern(b"*")]


def _resetkeys(applier: RuleApplier, selector: Selector) -> None:
    selector.keys = []


def _allchannels(applier: RuleApplier, selector: Selector) -> None:
    selector.channels = [b"*"]


def _resetchannels(applier: RuleApplier, selector: Selector) -> None:
    selector.channels = []


def _allcommands(applier: RuleApplier, selector: Selector) -> None:
    applier._command_rule(selector, True, "@all")


def _nocommands(applier: RuleApplier, selector: Selector) -> None:
    applier._command_rule(selector, False, "@all")


#: Rules only the user itself takes (inside `(...)` they are a syntax error, as in Redis).
_USER_RULES: dict[str, Callable[[RuleApplier, User], None]] = {
    "on": _on,
    "off": _off,
    "nopass": _nopass,
    "resetpass": _resetpass,
    "reset": lambda applier, user: applier._reset(user),
    "clearselectors": _clearselectors,
    "sanitize-payload": _sanitize,
    "skip-sanitize-payload": _skip_sanitize,
}

_SELECTOR_RULES: dict[str, Callable[[RuleApplier, Selector], None]] = {
    "allkeys": _allkeys,
    "resetkeys": _resetkeys,
    "allchannels": _allchannels,
    "resetchannels": _resetchannels,
    "allcommands": _allcommands,
    "nocommands": _nocommands,
}
