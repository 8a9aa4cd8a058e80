"""ACL: users, their passwords and what they may run (SETUSER, GETUSER, LIST, DRYRUN...)."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.access import AccessControl, AclRuleError
from ferrite_host.commands.access.aclfile import AclFileError
from ferrite_host.commands.access.control import DEFAULT
from ferrite_host.commands.access.log import now as log_now
from ferrite_host.commands.arguments import arg, integer, oneof
from ferrite_host.commands.help import help_reply
from ferrite_host.commands.introspection import ACL_ORDER
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK, Error
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

log = logging.getLogger("ferrite.acl")
family = Family("server")
command = family.command

acl = family.container("acl", summary="A container for Access List Control commands", since="6.0.0")
_FLAGS = "admin noscript loading stale"
_NAME_CHARS = frozenset(b" ")


def _control(session: Session) -> AccessControl:
    return AccessControl.of(session.state)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


@command(
    "setuser",
    -3,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="Modify or create the rules for a specific ACL user",
    complexity="O(N). Where N is the number of rules provided.",
    arguments=[arg("username"), arg("rule", optional=True, multiple=True)],
)
def acl_setuser(session: Session, argv: list[bytes]) -> Any:
    name = _text(argv[2])
    if any(c in _NAME_CHARS for c in argv[2]):
        raise CommandError("ERR Usernames can't contain spaces or null characters")
    try:
        _control(session).set_user(name, [_text(rule) for rule in argv[3:]])
    except AclRuleError as exc:  # Redis's reason, prefixed with the rule when one was bad
        raise CommandError(f"ERR {exc}") from None
    return OK


@command(
    "getuser",
    3,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="Get the rules for a specific ACL user",
    complexity=(
        "O(N). Where N is the number of password, command and pattern rules that the user has."
    ),
    arguments=[arg("username")],
)
def acl_getuser(session: Session, argv: list[bytes]) -> Any:
    control = _control(session)
    user = control.users.get(_text(argv[2]))
    if user is None:
        return None
    return control.getuser_reply(user)


@command(
    "deluser",
    -3,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="Remove the specified ACL users and the associated rules",
    complexity="O(1) amortized time considering the typical user.",
    arguments=[arg("username", multiple=True)],
)
def acl_deluser(session: Session, argv: list[bytes]) -> Any:
    control = _control(session)
    names = [_text(arg) for arg in argv[2:]]
    if DEFAULT in names:
        raise CommandError("ERR The 'default' user cannot be removed")
    return sum(control.delete_user(name) for name in dict.fromkeys(names))


@command(
    "list",
    2,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="List the current ACL rules in ACL config file format",
    complexity="O(N). Where N is the number of configured users.",
    arguments=[],
)
def acl_list(session: Session, argv: list[bytes]) -> Any:
    control = _control(session)
    return [control.describe(control.users[name]).encode() for name in sorted(control.users)]


@command(
    "users",
    2,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="List the username of all the configured ACL rules",
    complexity="O(N). Where N is the number of configured users.",
    arguments=[],
)
def acl_users(session: Session, argv: list[bytes]) -> Any:
    return [name.encode() for name in sorted(_control(session).users)]


@command(
    "whoami",
    2,
    "noscript loading stale",
    parent=acl,
    since="6.0.0",
    summary="Return the name of the user associated to the current connection",
    arguments=[],
)
def acl_whoami(session: Session, argv: list[bytes]) -> Any:
    return session.user.encode()


@command(
    "cat",
    -2,
    "noscript loading stale",
    parent=acl,
    since="6.0.0",
    summary="List the ACL categories or the commands inside a category",
    complexity="O(1) since the categories and commands are a fixed set.",
    arguments=[arg("category", optional=True)],
)
def acl_cat(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(
            "ERR unknown subcommand or wrong number of arguments for "
            f"'{_text(argv[1])}'. Try ACL HELP."
        )
    categories = _control(session).categories()
    if len(argv) == 2:
        # Categories modules declared that Redis lacks come after Redis's own (as 7.2's
        # RM_AddACLCategory adds them; an extension over 7.0).
        added = [name for name in categories if name not in ACL_ORDER and name != "all"]
        return [name.encode() for name in [*ACL_ORDER, *added]]
    wanted = _text(argv[2]).lower()
    names = categories.get(wanted) if wanted != "all" else None
    if names is None:
        raise CommandError(f"ERR Unknown category '{_text(argv[2])}'")
    return [name.encode() for name in sorted(names)]


@command(
    "genpass",
    -2,
    "noscript loading stale",
    parent=acl,
    since="6.0.0",
    summary="Generate a pseudorandom secure password to use for ACL users",
    arguments=[integer("bits", optional=True)],
)
def acl_genpass(session: Session, argv: list[bytes]) -> Any:
    bits = 256
    if len(argv) > 2:
        parsed = parse_int(argv[2])
        if parsed is None:
            raise CommandError(errors.NOT_INTEGER)
        if not 0 < parsed <= 4096:
            raise CommandError(
                "ERR ACL GENPASS argument must be the number of bits for the output password, "
                "a positive number up to 4096"
            )
        bits = parsed
    chars = (bits + 3) // 4
    return secrets.token_hex((chars + 1) // 2)[:chars].encode()


@command(
    "dryrun",
    -4,
    _FLAGS,
    parent=acl,
    since="7.0.0",
    summary="Returns whether the user can execute the given command without executing the command.",
    complexity="O(1).",
    arguments=[arg("username"), arg("command"), arg("arg", optional=True, multiple=True)],
)
def acl_dryrun(session: Session, argv: list[bytes]) -> Any:
    control = _control(session)
    name = _text(argv[2])
    user = control.users.get(name)
    if user is None:
        raise CommandError(f"ERR User '{name}' not found")
    resolved = session.state.dispatcher.resolve(argv[3:])
    if isinstance(resolved, Error):
        if resolved.startswith("ERR wrong number"):
            raise CommandError(resolved)
        raise CommandError(f"ERR Command '{_text(argv[3])}' not found")
    denial = control.denial(user, resolved, argv[3:])
    if denial is None:
        return OK
    if denial[0] == "key":
        return f"This user has no permissions to access the '{denial[1]}' key".encode()
    if denial[0] == "channel":
        return f"This user has no permissions to access the '{denial[1]}' channel".encode()
    return ("This user " + denial[1].removeprefix("this user ")).encode()


@command(
    "log",
    -2,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="List latest events denied because of ACLs in place",
    complexity="O(N) with N being the number of entries shown.",
    arguments=[
        oneof(
            "operation", integer("count"), arg("reset", "pure-token", token="RESET"), optional=True
        )
    ],
)
def acl_log(session: Session, argv: list[bytes]) -> Any:
    control = _control(session)
    count = 10
    if len(argv) > 3:
        raise CommandError(
            "ERR unknown subcommand or wrong number of arguments for "
            f"'{_text(argv[1])}'. Try ACL HELP."
        )
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            control.log.reset()
            return OK
        parsed = parse_int(argv[2])
        if parsed is None:
            raise CommandError("ERR value is not an integer or out of range")
        count = max(parsed, 0)
    now = log_now()
    return [entry.reply(now) for entry in control.log.newest(count)]


_NO_ACL_FILE = (
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration."
)


@command(
    "save",
    2,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="Save the current ACL rules in the configured ACL file",
    complexity="O(N). Where N is the number of configured users.",
    arguments=[],
)
def acl_save(session: Session, argv: list[bytes]) -> Any:
    path = session.state.settings.aclfile
    if not path:
        raise CommandError(_NO_ACL_FILE)
    try:
        _control(session).save_file(path)
    except OSError as exc:
        log.warning("Saving the ACL file %s failed: %s", path, exc)
        raise CommandError(
            "ERR There was an error trying to save the ACLs. Please check the server logs for "
            "more information"
        ) from None
    return OK


@command(
    "load",
    2,
    _FLAGS,
    parent=acl,
    since="6.0.0",
    summary="Reload the ACLs from the configured ACL file",
    complexity="O(N). Where N is the number of configured users.",
    arguments=[],
)
def acl_load(session: Session, argv: list[bytes]) -> Any:
    path = session.state.settings.aclfile
    if not path:
        raise CommandError(_NO_ACL_FILE)
    try:
        _control(session).load_file(path)
    except AclFileError as exc:
        raise CommandError(f"ERR {exc}") from None
    return OK


@command(
    "help",
    2,
    "loading stale",
    parent=acl,
    since="6.0.0",
    summary="Show helpful text about the different subcommands",
    arguments=[],
)
def acl_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "ACL",
        [
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the"
            " command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    )
