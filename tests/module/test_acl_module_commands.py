"""ACL rules for module commands: key patterns (`~`, `%R~`, `%W~`) are checked against the
command's key specs (declared, or derived from its key positions and flags), selectors
apply to them, a module's declared categories exist for `+@category`, and `ctx.call` with
the `C` flag refuses what the calling user may not run (ACL LOG context "module")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ferrite_host.core.spec import key_spec
from ferrite_host.module import Args, Context, Module, ReplyError
from ferrite_host.testing import Harness

module = Module("kp")


@module.command("kp.read", flags="readonly", keys=(1, 1, 1), arity=2, acl_categories="kp")
def read(ctx: Context, args: Args) -> Any:
    return ctx.call("GET", args.next_key())


@module.command("kp.write", flags="write", keys=(1, 1, 1), arity=3, acl_categories="kp")
def write(ctx: Context, args: Args) -> Any:
    return ctx.call("SET", args.next_key(), args.next_str())


@module.command(
    "kp.copy",
    flags="write",
    keys=(1, 2, 1),
    arity=3,
    key_specs=[key_spec("RO ACCESS", 1), key_spec("OW UPDATE", 2)],
)
def copy_value(ctx: Context, args: Args) -> Any:
    source, target = args.next_key(), args.next_key()
    return ctx.call("SET", target, ctx.call("GET", source) or b"")


@module.command("kp.callget", flags="readonly", keys=(1, 1, 1), arity=2)
def call_get(ctx: Context, args: Args) -> Any:
    return ctx.call("GET", args.next_key(), flags="C")


USER = ["reset", "on", "nopass", "+@all", "~app:*", "%R~ro:*", "%W~wo:*"]


@pytest.fixture
def harness() -> Iterator[Harness]:
    with Harness(module) as h:
        h.call("ACL", "SETUSER", "keys", *USER)
        yield h


DRYRUNS = [
    (["kp.read", "app:1"], b"OK"),
    (["kp.read", "ro:1"], b"OK"),
    (["kp.read", "wo:1"], b"This user has no permissions to access the 'wo:1' key"),
    (["kp.read", "other"], b"This user has no permissions to access the 'other' key"),
    (["kp.write", "wo:1", "v"], b"OK"),  # a write-only key spec (RW UPDATE) needs only W
    (["kp.write", "ro:1", "v"], b"This user has no permissions to access the 'ro:1' key"),
    (["kp.copy", "ro:1", "wo:1"], b"OK"),
    (["kp.copy", "app:1", "app:2"], b"OK"),
    (["kp.copy", "wo:1", "ro:1"], b"This user has no permissions to access the 'wo:1' key"),
    (["kp.copy", "ro:1", "ro:2"], b"This user has no permissions to access the 'ro:2' key"),
]


@pytest.mark.parametrize(("argv", "expected"), DRYRUNS, ids=[" ".join(a) for a, _ in DRYRUNS])
def test_key_permissions_follow_module_key_specs(
    harness: Harness, argv: list[str], expected: bytes
) -> None:
    assert harness.call("ACL", "DRYRUN", "keys", *argv) == expected


def test_a_restricted_user_cannot_reach_other_keys_through_a_module_command(
    harness: Harness,
) -> None:
    harness.call("SET", "other", "secret")
    harness.call("AUTH", "keys", "x")
    assert harness.call("kp.write", "wo:1", "v") == b"OK"
    assert harness.call("kp.read", "ro:1") is None
    for argv in (["kp.read", "other"], ["kp.write", "ro:1", "v"], ["kp.copy", "other", "wo:1"]):
        with pytest.raises(ReplyError, match=r"^NOPERM this user has no permissions to access"):
            harness.call(*argv)
    harness.call("AUTH", "default", "x")
    entries = harness.call("ACL", "LOG")
    fields = dict(zip(entries[0][::2], entries[0][1::2], strict=True))
    assert (fields[b"reason"], fields[b"object"], fields[b"context"]) == (
        b"key",
        b"other",
        b"toplevel",
    )


def test_selectors_and_declared_categories_apply_to_module_commands(harness: Harness) -> None:
    harness.call(
        "ACL", "SETUSER", "sel", "reset", "on", "nopass", "~a:*", "+@kp", "(~b:* +kp.copy)"
    )
    assert harness.call("ACL", "CAT", "kp") == [b"kp.read", b"kp.write"]
    assert harness.call("ACL", "DRYRUN", "sel", "kp.read", "a:1") == b"OK"
    assert harness.call("ACL", "DRYRUN", "sel", "kp.copy", "b:1", "b:2") == b"OK"
    assert harness.call("ACL", "DRYRUN", "sel", "kp.copy", "a:1", "a:2") == (
        b"This user has no permissions to access the 'a:1' key"
    )
    assert harness.call("ACL", "DRYRUN", "sel", "kp.callget", "a:1") == (
        b"This user has no permissions to run the 'kp.callget' command"
    )


def test_ctx_call_with_c_refuses_what_the_caller_may_not_run(harness: Harness) -> None:
    harness.call("SET", "ro:1", "r")
    harness.call("SET", "other", "secret")
    harness.call("ACL", "SETUSER", "keys", "%R~other", "-get")
    harness.call("ACL", "LOG", "RESET")
    harness.call("AUTH", "keys", "x")
    with pytest.raises(ReplyError) as refused:
        harness.call("kp.callget", "other")
    assert str(refused.value) == "NOPERM this user has no permissions to run the 'get' command"
    assert harness.call("kp.read", "ro:1") == b"r"  # without C: the module's own business
    harness.call("AUTH", "default", "x")
    entries = harness.call("ACL", "LOG")
    fields = dict(zip(entries[0][::2], entries[0][1::2], strict=True))
    assert (fields[b"reason"], fields[b"object"], fields[b"context"], fields[b"username"]) == (
        b"command",
        b"get",
        b"module",
        b"keys",
    )


def test_declared_key_specs_show_in_command_info(harness: Harness) -> None:
    info = harness.call("COMMAND", "INFO", "kp.copy")[0]
    specs = info[8]
    assert [dict(zip(s[::2], s[1::2], strict=True))[b"flags"] for s in specs] == [
        [b"RO", b"access"],
        [b"OW", b"update"],
    ]
