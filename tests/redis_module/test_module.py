"""ModuleInfo validation and the staging RedisModule that on_load sees."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError
from redis_module_helpers import add_module

from ferrite_host.core.state import ServerState
from ferrite_host.redis_module import (
    ModuleCommandError,
    ModuleInfo,
    ModuleState,
    ModuleTypeError,
    RedisModule,
)
from ferrite_host.redis_module.api import REDISMODULE_API_VERSION, RedisModuleCtx, Status
from ferrite_host.redis_module.commands import CommandFlag, ModuleCommand
from ferrite_host.redis_module.loading import StateHost
from ferrite_host.redis_module.types import RedisModuleType, RedisModuleTypeDef


def ping(ctx: RedisModuleCtx, args: object) -> Status:
    return ctx.reply_with_simple_string("PONG")


def test_module_info_forms() -> None:
    seed = ModuleInfo(name="mymodule", version=1, api_version=REDISMODULE_API_VERSION)
    assert ModuleInfo("mymodule", 1, 1) == seed
    assert ModuleInfo("mymodule", 1) == seed  # api_version defaults to the host's
    assert ModuleInfo.model_validate({"name": "mymodule", "version": 1}) == seed
    with pytest.raises(TypeError, match="both positionally and by keyword"):
        ModuleInfo("a", name="b", version=1)
    with pytest.raises(TypeError, match="at most 3"):
        ModuleInfo("a", 1, 1, 4)
    with pytest.raises(ValidationError):
        seed.version = 2  # type: ignore[misc]


@pytest.mark.parametrize("name", ["a", "hello.world-2_x", "x" * 64])
def test_module_info_good_names(name: str) -> None:
    assert ModuleInfo(name=name, version=0).name == name


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "", "version": 1},
        {"name": "bad name", "version": 1},
        {"name": "x" * 65, "version": 1},
        {"name": "é", "version": 1},
        {"name": "ok", "version": -1},
        {"name": "ok", "version": 1.5},
        {"name": "ok"},
        {"name": "ok", "version": 1, "colour": "red"},
    ],
)
def test_module_info_rejects(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ModuleInfo(**fields)


def test_seed_lifecycle_and_counts() -> None:
    module = RedisModule(ModuleInfo(name="mymodule", version=1))
    assert module.state is ModuleState.REGISTERED
    assert (
        module.register_command(
            ModuleCommand("MYMOD.PING", ping, [CommandFlag.READONLY, CommandFlag.FAST])
        )
        == Status.OK
    )
    assert len(module.command_registry()) == 1
    handle = module.register_type(RedisModuleTypeDef("mytype", 1))
    assert isinstance(handle, RedisModuleType) and handle.module_name == "mymodule"
    assert len(module.type_registry()) == 1
    module.mark_loaded()
    assert module.state is ModuleState.LOADED
    module.begin_unload()
    assert module.state is ModuleState.UNLOADING
    module.finish_unload()
    assert module.state is ModuleState.UNLOADED
    module.mark_failed()
    assert str(module.state) == "failed"
    assert "mymodule" in repr(module) and "commands=1" in repr(module)
    assert (module.name, module.version) == ("mymodule", 1)


def test_registration_only_during_on_load() -> None:
    module = RedisModule(ModuleInfo(name="late", version=1))
    module.mark_loaded()
    with pytest.raises(ModuleCommandError, match=r"register_command\('late.cmd'\) called outside"):
        module.register_command(ModuleCommand("late.cmd", ping))
    with pytest.raises(ModuleTypeError, match="outside on_load"):
        module.register_type(RedisModuleTypeDef("t", 0))


def test_duplicate_command_in_the_same_module_is_a_problem() -> None:
    module = RedisModule(ModuleInfo(name="dup", version=1))
    assert module.create_command("a.cmd", ping) == Status.OK
    with pytest.raises(ModuleCommandError, match="registered twice"):
        module.create_command("A.CMD", ping)
    assert module.problems == ["command name 'A.CMD' is registered twice by this module"]


def test_collisions_with_the_server(state: ServerState) -> None:
    add_module(state, "owner", lambda m: m.create_command("owner.cmd", ping, "readonly", 0, 0, 0))
    add_module(state, "typed", lambda m: m.register_type(RedisModuleTypeDef("taken", 0)))
    module = RedisModule(ModuleInfo(name="newbie", version=1), host=StateHost(state))
    for name in ("GET", "Owner.CMD"):
        with pytest.raises(ModuleCommandError, match="collides"):
            module.create_command(name, ping)
    assert module.problems == [
        "command name 'GET' collides with a built-in command",
        "command name 'Owner.CMD' collides with a command of module 'owner'",
    ]
    with pytest.raises(ModuleTypeError, match="'taken' is already used by module 'typed'"):
        module.register_type(RedisModuleTypeDef("taken", 1))
    with pytest.raises(ModuleTypeError, match="invalid module type name"):
        module.register_type(RedisModuleTypeDef("much_too_long", 1))


def test_create_command_takes_redis_shape(state: ServerState) -> None:
    module = add_module(
        state, "shape", lambda m: m.create_command("shape.cmd", ping, "write deny-oom", 1, -1, 2)
    )
    command = module.commands.get("SHAPE.CMD")
    assert command is not None
    assert (command.first_key, command.last_key, command.key_step) == (1, -1, 2)
    assert command.flags == CommandFlag.WRITE | CommandFlag.DENY_OOM
    spec = state.commands.lookup("shape.cmd")
    assert spec is not None and spec.owner == "shape" and spec.extra is command


def test_module_log(caplog: pytest.LogCaptureFixture) -> None:
    module = RedisModule(ModuleInfo(name="talker", version=1), args=["a"])
    assert module.args == ["a"]
    with caplog.at_level(logging.INFO, logger="ferrite"):
        module.log("notice", "Module loaded with ARGV[0] = a")
    assert caplog.records[-1].getMessage() == "<talker> Module loaded with ARGV[0] = a"
