"""One ACL user and the SETUSER rules that shape it.

Command permissions are kept as the set of allowed command names (`get`, `config|get`),
computed against the command table when a rule is applied, as Redis keeps a bitmap; the
`allcommands` flag also lets in commands registered later (modules).

A user is its root selector (the rules outside parentheses) plus the selectors written in
`(...)`: a command is allowed when any one of them allows it, keys and channels included.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from ferrite_host.core.spec import CommandSpec

SYNTAX = "Syntax error"
UNKNOWN = "Unknown command or category name in ACL"


class AclRuleError(Exception):
    """A rule SETUSER refuses; the message is Redis's reason."""


def password_hash(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


@dataclass
class KeyPattern:
    pattern: bytes
    read: bool = True
    write: bool = True

    def describe(self) -> str:
        text = self.pattern.decode("utf-8", "surrogateescape")
        if self.read and self.write:
            return f"~{text}"
        return f"%{'R' if self.read else ''}{'W' if self.write else ''}~{text}"


@dataclass
class Selector:
    """Which commands, keys and channels one set of rules allows."""

    all_commands: bool = False
    allowed: set[str] = field(default_factory=set)
    #: Command names that existed when the rules last changed (others follow all_commands).
    known: set[str] = field(default_factory=set)
    keys: list[KeyPattern] = field(default_factory=list)
    channels: list[bytes] = field(default_factory=list)
    #: Categories named in the rules since the last reset: descriptions are built from them.
    mentioned: set[str] = field(default_factory=set)
    #: `+select|0` rules: a command not allowed as such runs with one of these first
    #: arguments (compared ignoring case; the spelling of the first rule is kept).
    first_args: dict[str, list[bytes]] = field(default_factory=dict)

    @property
    def all_keys(self) -> bool:
        return any(k.pattern == b"*" and k.read and k.write for k in self.keys)

    @property
    def all_channels(self) -> bool:
        return b"*" in self.channels

    @property
    def unrestricted(self) -> bool:
        return (
            self.all_commands and not self.allowed_missing and self.all_keys and self.all_channels
        )

    @property
    def allowed_missing(self) -> bool:
        return bool(self.known - self.allowed)

    def may_run(self, spec: CommandSpec) -> bool:
        name = spec.full_name
        if name in self.known:
            return name in self.allowed
        return self.all_commands

    def may_run_with(self, spec: CommandSpec, argv: list[bytes]) -> bool:
        """may_run, or a first-argument rule lets this call in."""
        if self.may_run(spec):
            return True
        allowed = self.first_args.get(spec.full_name)
        if not allowed or len(argv) < 2:
            return False
        first = argv[1].lower()
        return any(arg.lower() == first for arg in allowed)


@dataclass
class User(Selector):
    name: str = ""
    enabled: bool = False
    nopass: bool = False
    passwords: list[str] = field(default_factory=list)  # SHA-256 hex, in the order added
    #: "sanitize-payload", "skip-sanitize-payload" or None (neither: until a `reset`).
    sanitize: str | None = None
    #: The `(...)` selectors, in the order they were added.
    selectors: list[Selector] = field(default_factory=list)
    #: Every command on every key and channel: the check can be skipped (kept by refresh()).
    open_access: bool = False

    def refresh(self) -> None:
        self.open_access = self.unrestricted

    @property
    def sanitize_payload(self) -> bool:
        return self.sanitize != "skip-sanitize-payload"

    @property
    def open_login(self) -> bool:
        """Anyone may log in as this user without a password (Redis: nopass and on)."""
        return self.nopass and self.enabled

    def check_password(self, password: bytes) -> bool:
        if self.nopass:
            return True
        digest = password_hash(password)
        return any(secrets.compare_digest(digest, known) for known in self.passwords)


def command_names(specs: Iterable[CommandSpec]) -> dict[str, CommandSpec]:
    """Every command and subcommand by full name (containers included)."""
    names: dict[str, CommandSpec] = {}
    for spec in specs:
        names[spec.full_name] = spec
        for sub in spec.subcommands.values():
            names[sub.full_name] = sub
    return names
