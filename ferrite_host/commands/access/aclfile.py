"""The ACL file (`aclfile`): one `user <name> <rules...>` line per user, as ACL SAVE writes
and ACL LOAD reads it, with Redis's error texts; a file with any error changes nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ferrite_host.commands.access.rules import merge_selector_arguments
from ferrite_host.commands.access.user import UNKNOWN, AclRuleError, User

#: Builds a user from its name and rules (raises AclRuleError naming the first bad rule).
RuleSink = Callable[[User, str], None]
NewUser = Callable[[str], User]
_REFUSED = (
    "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
)


class AclFileError(Exception):
    """The file could not be read or holds errors; the message is Redis's (no `ERR`)."""


def read_users(path: str, new_user: NewUser, apply: RuleSink) -> dict[str, User]:
    """Every user of the file, or AclFileError listing every problem as Redis does."""
    try:
        text = Path(path).read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise AclFileError(f"Error loading ACLs, opening file '{path}': {exc.strerror}") from None
    return parse_users(text, path, new_user, apply)


def parse_users(text: str, source: str, new_user: NewUser, apply: RuleSink) -> dict[str, User]:
    users: dict[str, User] = {}
    errors: list[str] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(" \t\r\n")
        if not line:
            continue
        words = line.split(" ")
        if words[0] != "user" or len(words) < 2:
            errors.append(
                f"{source}:{number} should start with user keyword followed by the username. "
            )
            continue
        name = words[1]
        if name in users:
            errors.append(f"WARNING: Duplicate user '{name}' found on line {number}. ")
            continue
        user, problems = _build(name, [w.strip("\t\r\n") for w in words[2:]], new_user, apply)
        errors += [f"{source}:{number}: {problem}" for problem in problems]
        users[name] = user
    if errors:
        raise AclFileError("".join(errors) + _REFUSED)
    return users


def _build(
    name: str, rules: list[str], new_user: NewUser, apply: RuleSink
) -> tuple[User, list[str]]:
    """The user and Redis's reports: every unknown command, and the first other error."""
    user = new_user(name)
    try:
        merged = merge_selector_arguments(rules)
    except AclRuleError:
        return user, ["Unmatched parenthesis in selector definition."]
    problems: list[str] = []
    reported_other = False
    for rule in merged:
        try:
            apply(user, rule)
        except AclRuleError as exc:
            if str(exc) == UNKNOWN:
                problems.append(f"Error in applying operation '{rule}': {exc}. ")
            elif not reported_other:
                problems.append(f"{exc}. ")
                reported_other = True
    return user, problems


def write_users(path: str, lines: list[str]) -> None:
    """Replace the file atomically with these lines (a temporary file renamed over it)."""
    target = Path(path)
    temporary = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    temporary.write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8", "surrogateescape"))
    os.replace(temporary, target)
