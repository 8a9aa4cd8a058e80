"""Command flags, declarations, per-module registries and command-table rows."""

from __future__ import annotations

from typing import Any

import pytest

from ferrite_host.core.session import Session
from ferrite_host.core.spec import CommandSpec
from ferrite_host.redis_module import ModuleCommandError, ModuleInfo, RedisModule
from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString, Status
from ferrite_host.redis_module.commands import (
    CommandFlag,
    ModuleCommand,
    ModuleCommandRegistry,
    check_command_name,
    command_spec,
)


def ping(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    return ctx.reply_with_simple_string("PONG")


ALL_TOKENS = (
    "write readonly admin deny-oom deny-script allow-loading pubsub random allow-stale no-monitor "
    "no-slowlog fast getkeys-api no-cluster no-auth may-replicate no-mandatory-keys blocking "
    "allow-busy getchannels-api"
)


def test_parse_every_redis_flag_word() -> None:
    flags = CommandFlag.parse(ALL_TOKENS)
    assert flags.members == list(CommandFlag)
    assert flags.tokens == ALL_TOKENS
    assert CommandFlag.parse("WRITE Deny-OOM") == CommandFlag.WRITE | CommandFlag.DENY_OOM
    assert CommandFlag.parse("") == CommandFlag(0)


@pytest.mark.parametrize("text", ["write loading", "write  fast", " write", "write ", "bogus"])
def test_parse_rejects_unknown_and_empty_words(text: str) -> None:
    with pytest.raises(ValueError, match="unknown command flag"):
        CommandFlag.parse(text)


def test_command_info_names() -> None:
    names = CommandFlag.parse(ALL_TOKENS).info_names
    assert names == {
        "write",
        "readonly",
        "admin",
        "denyoom",
        "noscript",
        "loading",
        "pubsub",
        "stale",
        "skip_monitor",
        "skip_slowlog",
        "fast",
        "movablekeys",
        "no_auth",
        "no_mandatory_keys",
        "blocking",
        "allow_busy",
    }
    assert CommandFlag.DENY_OOM.token == "deny-oom"


def test_module_command_keeps_declared_case_and_flag_forms() -> None:
    by_list = ModuleCommand("MYMOD.Set", ping, [CommandFlag.WRITE, CommandFlag.DENY_OOM])
    by_flag = ModuleCommand("x", ping, CommandFlag.WRITE | CommandFlag.DENY_OOM)
    by_text = ModuleCommand("x", ping, "write deny-oom")
    assert by_list.name == "MYMOD.Set"
    assert by_list.flags == by_flag.flags == by_text.flags
    assert ModuleCommand(b"bytes.name", ping).name == "bytes.name"  # type: ignore[arg-type]
    assert ModuleCommand("none", ping).flags == CommandFlag(0)
    assert by_list.is_write() and not by_list.is_readonly()
    assert ModuleCommand("r", ping, "readonly").is_readonly()
    assert "MYMOD.Set" in repr(by_list) and "write deny-oom" in repr(by_list)


def test_module_command_validation() -> None:
    for bad in ("", "has space", "a|b", "a@b", "a=b", "a,b", "a\nb"):
        with pytest.raises(ValueError):
            ModuleCommand(bad, ping)
    with pytest.raises(TypeError, match="not callable"):
        ModuleCommand("x", "not a function")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown command flag"):
        ModuleCommand("x", ping, "write loading")
    with pytest.raises(TypeError, match="CommandFlag"):
        ModuleCommand("x", ping, ["write"])  # type: ignore[list-item]
    check_command_name("fine.name")


def test_with_keys() -> None:
    command = ModuleCommand("x", ping)
    assert (command.first_key, command.last_key, command.key_step) == (0, 0, 0)
    assert command.with_keys(1, -1, 2) is command
    assert (command.first_key, command.last_key, command.key_step) == (1, -1, 2)
    with pytest.raises(ValueError):
        command.with_keys(-1, 0, 0)
    with pytest.raises(ValueError):
        command.with_keys(1, 1, -1)


def test_execute_calls_the_callback(session: Session) -> None:
    seen: list[Any] = []
    command = ModuleCommand("x", lambda ctx, args: seen.append(args) or Status.OK)
    ctx = RedisModuleCtx(session, "x")
    assert command.execute(ctx, [RedisModuleString(b"a")]) == Status.OK
    assert seen == [[b"a"]]


def test_registry(session: Session) -> None:
    registry = ModuleCommandRegistry()
    assert registry.register(ModuleCommand("MYMOD.PING", ping, "readonly fast")) == Status.OK
    assert registry.register(ModuleCommand("mymod.ping", ping)) == Status.ERR
    assert len(registry) == 1 and "MyMod.Ping" in registry and 5 not in registry
    assert registry.get("mymod.PING") is not None
    ctx = RedisModuleCtx(session, "MYMOD.PING")
    registry.execute("mymod.ping", ctx, [])
    assert ctx.take_replies() == ["PONG"]
    with pytest.raises(ModuleCommandError, match="module command not found: nope"):
        registry.execute("nope", ctx, [])
    registry.register(ModuleCommand("B.CMD", ping))
    registry.register(ModuleCommand("A.CMD", ping))
    assert registry.command_names() == ["A.CMD", "B.CMD", "MYMOD.PING"]
    assert [c.name for c in registry] == ["MYMOD.PING", "B.CMD", "A.CMD"]
    assert registry.unregister("Mymod.Ping") == Status.OK
    assert registry.unregister("mymod.ping") == Status.ERR


def test_command_spec_row() -> None:
    module = RedisModule(ModuleInfo(name="mymodule", version=1))
    command = ModuleCommand("MYMOD.SET", ping, "write deny-oom may-replicate").with_keys(1, 1, 1)
    spec = command_spec(command, module)
    assert isinstance(spec, CommandSpec)
    assert (spec.name, spec.arity, spec.owner, spec.group) == (
        "MYMOD.SET",
        -1,
        "mymodule",
        "module",
    )
    assert spec.flags == {"write", "denyoom", "module"}
    assert (spec.first_key, spec.last_key, spec.key_step) == (1, 1, 1)
    assert spec.extra is command
    assert spec.summary == "" and spec.acl_categories == ()
    assert spec.is_write and not spec.no_auth
    assert spec.key_specs == [
        {
            "flags": ["RW", "ACCESS", "UPDATE"],
            "begin_search": {"type": "index", "spec": {"index": 1}},
            "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
        }
    ]


def test_command_spec_keyless_movable_and_no_auth() -> None:
    module = RedisModule(ModuleInfo(name="m", version=1))
    keyless = command_spec(ModuleCommand("hello.simple", ping, "readonly"), module)
    assert keyless.flags == {"readonly", "module"} and keyless.key_specs == []
    movable = command_spec(
        ModuleCommand("k", ping, "getkeys-api no-auth").with_keys(1, -1, 2), module
    )
    assert movable.flags == {"movablekeys", "no_auth", "module"}
    assert movable.no_auth
    assert movable.key_specs[0]["flags"] == ["RW", "ACCESS", "UPDATE", "VARIABLE_FLAGS"]
    assert movable.key_specs[0]["find_keys"]["spec"] == {"lastkey": -1, "keystep": 2, "limit": 0}
    assert command_spec(ModuleCommand("e", ping, ""), module).flags == {"module"}
