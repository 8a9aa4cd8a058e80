"""Applying ACL SETUSER rules to a user, with Redis's wording for refused rules."""

from __future__ import annotations

from collections.abc import Callable

from ferrite_host.commands.access.user import (
    SYNTAX,
    UNKNOWN,
    AclRuleError,
    KeyPattern,
    User,
    password_hash,
)
from ferrite_host.core.spec import CommandSpec

#: Category name -> the command names in it (from the live command table).
Categories = Callable[[], dict[str, set[str]]]
_HEX = frozenset("0123456789abcdef")


class RuleApplier:
    def __init__(self, commands: Callable[[], dict[str, CommandSpec]], categories: Categories):
        self._commands = commands
        self._categories = categories

    def apply(self, user: User, rule: str) -> None:
        lowered = rule.lower()
        simple = _SIMPLE.get(lowered)
        if simple is not None:
            simple(self, user)
        elif rule.startswith(">"):
            digest = password_hash(rule[1:].encode("utf-8", "surrogateescape"))
            if digest not in user.passwords:
                user.passwords.append(digest)
            user.nopass = False
        elif rule.startswith("<"):
            self._remove_password(user, password_hash(rule[1:].encode("utf-8", "surrogateescape")))
        elif rule.startswith("#"):
            digest = self._hash(rule)
            if digest not in user.passwords:
                user.passwords.append(digest)
            user.nopass = False
        elif rule.startswith("!"):
            self._remove_password(user, self._hash(rule))
        elif rule.startswith("~"):
            self._add_keys(user, KeyPattern(rule[1:].encode("utf-8", "surrogateescape")))
        elif rule.startswith("%"):
            self._add_keys(user, self._permission_pattern(rule))
        elif rule.startswith("&"):
            channel = rule[1:].encode("utf-8", "surrogateescape")
            if channel not in user.channels:
                user.channels.append(channel)
        elif rule[:1] in ("+", "-") and len(rule) > 1:
            self._command_rule(user, rule[0] == "+", lowered[1:])
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
    def _remove_password(user: User, digest: str) -> None:
        if digest not in user.passwords:
            raise AclRuleError("The password you are trying to remove from the user does not exist")
        user.passwords.remove(digest)

    @staticmethod
    def _add_keys(user: User, pattern: KeyPattern) -> None:
        if user.all_keys and pattern.pattern != b"*":
            raise AclRuleError(
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
                "does not have any effect. Try 'resetkeys' to start with an empty list of "
                "patterns"
            )
        for existing in user.keys:
            if existing.pattern == pattern.pattern:
                existing.read |= pattern.read
                existing.write |= pattern.write
                return
        user.keys.append(pattern)

    @staticmethod
    def _permission_pattern(rule: str) -> KeyPattern:
        marks, sep, pattern = rule[1:].partition("~")
        upper = marks.upper()
        if not sep or not upper or set(upper) - {"R", "W"}:
            raise AclRuleError(SYNTAX)
        return KeyPattern(pattern.encode("utf-8", "surrogateescape"), "R" in upper, "W" in upper)

    # -- commands ------------------------------------------------------------------------------

    def _command_rule(self, user: User, allow: bool, target: str) -> None:
        self._refresh_known(user)
        if target.startswith("@"):
            names = self._categories().get(target[1:])
            if names is None:
                raise AclRuleError(UNKNOWN)
            if target == "@all":
                user.all_commands = allow
                user.mentioned.clear()
            else:
                user.mentioned.add(target[1:])
        else:
            commands = self._commands()
            spec = commands.get(target)
            if spec is None:
                parent = commands.get(target.partition("|")[0])
                if "|" in target and parent is not None and not parent.subcommands and allow:
                    return  # Redis's deprecated first-argument rule: accepted, not enforced
                raise AclRuleError(UNKNOWN)
            names = {target, *(sub.full_name for sub in spec.subcommands.values())}
        if allow:
            user.allowed |= names
        else:
            user.allowed -= names

    def _refresh_known(self, user: User) -> None:
        """Commands added since the last rule follow the allcommands flag from now on."""
        current = set(self._commands())
        for name in current - user.known:
            if user.all_commands:
                user.allowed.add(name)
        user.known = current
        user.allowed &= current

    def _all(self, user: User, allow: bool) -> None:
        self._command_rule(user, allow, "@all")

    def _reset(self, user: User) -> None:
        user.enabled = False
        user.nopass = False
        user.passwords.clear()
        user.keys.clear()
        user.channels.clear()
        user.sanitize_payload = True
        self._all(user, False)


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


def _allkeys(applier: RuleApplier, user: User) -> None:
    user.keys = [KeyPattern(b"*")]


def _resetkeys(applier: RuleApplier, user: User) -> None:
    user.keys = []


def _allchannels(applier: RuleApplier, user: User) -> None:
    user.channels = [b"*"]


def _resetchannels(applier: RuleApplier, user: User) -> None:
    user.channels = []


def _sanitize(applier: RuleApplier, user: User) -> None:
    user.sanitize_payload = True


def _skip_sanitize(applier: RuleApplier, user: User) -> None:
    user.sanitize_payload = False


_SIMPLE: dict[str, Callable[[RuleApplier, User], None]] = {
    "on": _on,
    "off": _off,
    "nopass": _nopass,
    "resetpass": _resetpass,
    "allkeys": _allkeys,
    "resetkeys": _resetkeys,
    "allchannels": _allchannels,
    "resetchannels": _resetchannels,
    "allcommands": lambda applier, user: applier._all(user, True),
    "nocommands": lambda applier, user: applier._all(user, False),
    "reset": lambda applier, user: applier._reset(user),
    "sanitize-payload": _sanitize,
    "skip-sanitize-payload": _skip_sanitize,
}
