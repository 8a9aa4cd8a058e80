"""The manager in-process: start-up selection, each broken kind, load/unload/reload, records."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from redis_module_helpers import BROKEN, GOOD

from ferrite_host.assembly import build_state
from ferrite_host.commands.info import registered_sections
from ferrite_host.core.config import Settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue
from ferrite_host.redis_module import (
    ModuleAlreadyLoadedError,
    ModuleExportsTypesError,
    ModuleLoadError,
    ModuleState,
    ModuleUnloadRefusedError,
    NoSuchModuleError,
    RedisModuleManager,
)

REASONS = {
    "fx_broken_import": "import of 'fx_broken_import' failed: ModuleNotFoundError: "
    "No module named 'fx_missing_dependency_frobnicate' (at fx_broken_import.py:3)",
    "fx_bad_info": "invalid ModuleInfo: name: use 1 to 64 characters of letters, digits, '_', "
    "'-' and '.' (got 'bad name!'); version: Input should be greater than or equal to 0 (got -1)",
    "fx_future_api": "module 'fx_future_api' requires Redis Module API version 2, but this host "
    "supports API version 1; upgrade ferrite-host or install a release of the module written for "
    "this API",
    "fx_onload_raises": "on_load raised RuntimeError: on_load exploded on purpose "
    "(at fx_onload_raises.py:22)",
    "fx_onload_err": "on_load returned Status.ERR",
    "fx_builtin_clash": "command name 'Get' collides with a built-in command",
    "fx_module_clash": "command name 'mymod.Set' collides with a command of module 'fx_good'",
}
#: What each broken module registered before failing: none of it may remain.
LEFTOVERS = ("fx.raises.ok", "fx.err.ok", "fx.builtin.ok", "fx.clash.ok")


def attach(settings: Settings) -> ServerState:
    state = build_state(settings)
    RedisModuleManager.attach(state)
    return state


def module_commands(state: ServerState) -> set[str]:
    return {spec.name for spec in state.commands if spec.group == "module"}


def test_attach_installs_manager_and_info_section(
    mstate: ServerState, manager: RedisModuleManager
) -> None:
    assert RedisModuleManager.of(mstate) is manager
    assert registered_sections(mstate)["modules"]() == []
    assert manager.loaded() == []


def test_loadmodule_loads_exactly_those_with_args(fx_path: Path) -> None:
    state = attach(Settings(loadmodule=[["fx_good", "alpha", "beta"], ["fx_custom_type"]]))
    assert RedisModuleManager.of(state) is not None
    loaded = RedisModuleManager.of(state).loaded()
    assert [(m.name, m.version, m.args) for m in loaded] == [
        ("fx_good", 3, ["alpha", "beta"]),
        ("fx_custom_type", 7, []),
    ]
    assert loaded[0].path == "ferrite.modules:fx_good = fx_good"
    assert loaded[0].entry_point == "fx_good"
    assert loaded[0].api_version == 1
    assert "MYMOD.SET" in loaded[0].commands
    assert [t.name for t in loaded[1].types] == ["fxcounter"]
    assert RedisModuleManager.of(state).get("FX_GOOD") is loaded[0]
    assert set(state.module_types) == {"mytype", "fxcounter"}


def test_autoload_loads_every_installed_module_and_survives_the_broken(
    fx_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ferrite"):
        state = attach(Settings())
    assert RedisModuleManager.of(state) is not None
    names = {m.name for m in RedisModuleManager.of(state).loaded()}
    assert set(GOOD) <= names
    assert not names & set(BROKEN)
    for name in BROKEN:
        lines = [
            r.getMessage() for r in caplog.records if r.getMessage().startswith(f"Module '{name}' ")
        ]
        dist = name.replace("_", "-")
        assert lines == [f"Module '{name}' ({dist} 0.1.0) failed to load: {REASONS[name]}"]
    assert not module_commands(state) & set(LEFTOVERS)
    assert "fxraises" not in state.module_types
    statuses = {s.entry_point: s for s in RedisModuleManager.of(state).statuses()}
    for name in BROKEN:
        assert statuses[name].state is ModuleState.FAILED
        assert statuses[name].reason == REASONS[name]
        assert statuses[name].dist_name == name.replace("_", "-")
    for name in GOOD:
        assert statuses[name].state is ModuleState.LOADED and statuses[name].reason == ""


def test_no_autoload(fx_path: Path) -> None:
    state = attach(Settings(autoload_modules=False))
    assert RedisModuleManager.of(state) is not None and RedisModuleManager.of(state).loaded() == []
    statuses = {s.entry_point: s for s in RedisModuleManager.of(state).statuses()}
    assert statuses["fx_good"].state is ModuleState.REGISTERED
    assert statuses["fx_good"].path == "ferrite.modules:fx_good = fx_good"


def test_disable_module_blocks_autoload_and_explicit_load(fx_path: Path) -> None:
    state = attach(
        Settings(
            disable_module=["fx_good", "fx_module_clash"],
            loadmodule=[["fx_good"], ["fx_custom_type"]],
        )
    )
    manager = RedisModuleManager.of(state)
    assert manager is not None
    assert [m.name for m in manager.loaded()] == ["fx_custom_type"]
    assert manager.pm.is_blocked("fx_good")
    with pytest.raises(ModuleLoadError, match=r"disabled \(--disable-module fx_good\)"):
        manager.load("fx_good")
    statuses = {s.entry_point: s for s in manager.statuses()}
    assert statuses["fx_module_clash"].state is ModuleState.DISABLED
    auto = attach(Settings(disable_module=["fx_good"]))
    assert RedisModuleManager.of(auto) is not None
    names = {m.name for m in RedisModuleManager.of(auto).loaded()}
    assert "fx_good" not in names and "fx_custom_type" in names
    assert "fx_module_clash" in names  # nothing to collide with once fx_good is disabled


@pytest.mark.parametrize("name", BROKEN)
def test_each_broken_kind_fails_alone_with_its_reason(
    manager: RedisModuleManager, mstate: ServerState, name: str
) -> None:
    if name == "fx_module_clash":
        manager.load("fx_good")
    before_commands = {spec.name for spec in mstate.commands}
    before_types = dict(mstate.module_types)
    with pytest.raises(ModuleLoadError) as info:
        manager.load(name)
    assert info.value.errmsg == REASONS[name]
    assert {spec.name for spec in mstate.commands} == before_commands
    assert mstate.module_types == before_types
    assert not manager.pm.has_plugin(name)
    assert manager.get(name) is None
    manager.load("fx_custom_type")  # other modules still load afterwards


def test_unknown_module(manager: RedisModuleManager) -> None:
    with pytest.raises(ModuleLoadError, match="no installed module has the entry point 'nope'"):
        manager.load("nope")
    (status,) = [s for s in manager.statuses() if s.entry_point == "nope"]
    assert status.state is ModuleState.FAILED and status.dist_name is None


def test_load_twice_and_same_name(manager: RedisModuleManager) -> None:
    manager.load("fx_good")
    with pytest.raises(ModuleAlreadyLoadedError, match="already loaded"):
        manager.load("fx_good")
    assert [m.name for m in manager.loaded()] == ["fx_good"]


def test_load_accepts_module_list_path(manager: RedisModuleManager) -> None:
    loaded = manager.load("ferrite.modules:fx_good = fx_good", ["x"])
    assert loaded.name == "fx_good" and loaded.args == ["x"]


def test_loadex_configs_are_refused(manager: RedisModuleManager) -> None:
    with pytest.raises(ModuleLoadError, match="module configuration 'size' given"):
        manager.load("fx_good", [], [("size", "10")])
    assert manager.loaded() == []


def test_unload_and_reload(
    manager: RedisModuleManager, mstate: ServerState, mrun: Callable[..., Any]
) -> None:
    manager.load("fx_good", ["first"])
    assert mrun("MYMOD.SET", "k", "v") == "OK"
    manager.unload("FX_GOOD")
    assert mrun("MYMOD.SET", "k", "v").startswith("ERR unknown command 'MYMOD.SET'")
    assert "mytype" not in mstate.module_types
    assert not manager.pm.has_plugin("fx_good")
    (status,) = [s for s in manager.statuses() if s.entry_point == "fx_good"]
    assert status.state is ModuleState.UNLOADED
    manager.load("fx_good", ["second"])
    assert mrun("fx.args") == [b"second"]
    assert mrun("MYMOD.GET", "k") == b"v"


def test_unload_by_entry_point_name(manager: RedisModuleManager) -> None:
    manager.load("fx_custom_type")
    manager.unload("fx_custom_type")
    assert manager.loaded() == []


def test_unload_unknown(manager: RedisModuleManager) -> None:
    with pytest.raises(NoSuchModuleError) as info:
        manager.unload("nope")
    assert info.value.errmsg == "no such module with that name"


def test_unload_refused_while_keys_of_its_types_exist(
    manager: RedisModuleManager,
    mstate: ServerState,
    mrun: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager.load("fx_custom_type")
    mrun("SELECT", "7")
    assert mrun("fxc.incr", "counter", "a") == 1
    with (
        caplog.at_level(logging.WARNING, logger="ferrite"),
        pytest.raises(ModuleExportsTypesError) as info,
    ):
        manager.unload("fx_custom_type")
    assert (
        info.value.errmsg == "the module exports one or more module-side data types, can't unload"
    )
    assert "Module 'fx_custom_type' was not unloaded: the module exports" in caplog.text
    assert mrun("fxc.get", "counter", "a") == 1
    mrun("FLUSHALL")
    manager.unload("fx_custom_type")


def test_unload_allowed_once_only_expired_keys_remain(
    manager: RedisModuleManager, mstate: ServerState
) -> None:
    manager.load("fx_custom_type")
    handle = mstate.module_types["fxcounter"]
    mstate.keyspace[0].put(b"old", TypedValue(handle, {}), 1)  # expired long ago
    manager.unload("fx_custom_type")
    assert mstate.keyspace[0].get(b"old") is None


def test_on_unload_refusal(
    manager: RedisModuleManager, mrun: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    manager.load("fx_unload_refuses")
    with (
        caplog.at_level(logging.WARNING, logger="ferrite"),
        pytest.raises(ModuleUnloadRefusedError) as info,
    ):
        manager.unload("fx_unload_refuses")
    assert info.value.errmsg == "operation not possible."
    assert (
        "was not unloaded: operation not possible. (on_unload returned Status.ERR)" in caplog.text
    )
    assert mrun("fx.refuse.ping") == "PONG"
    assert manager.get("fx_unload_refuses").module.state is ModuleState.LOADED  # type: ignore[union-attr]
    mrun("fx.refuse.allow")
    manager.unload("fx_unload_refuses")
    assert mrun("fx.refuse.ping").startswith("ERR unknown command")


def test_hello_modules_and_info_section(manager: RedisModuleManager, mstate: ServerState) -> None:
    manager.load("fx_good", ["a", "b"])
    manager.load("fx_custom_type")
    assert manager.hello_modules() == [
        {
            b"name": b"fx_good",
            b"ver": 3,
            b"path": b"ferrite.modules:fx_good = fx_good",
            b"args": [b"a", b"b"],
        },
        {
            b"name": b"fx_custom_type",
            b"ver": 7,
            b"path": b"ferrite.modules:fx_custom_type = fx_custom_type:plugin",
            b"args": [],
        },
    ]
    assert registered_sections(mstate)["modules"]() == [
        ("module", "name=fx_good,ver=3,api=1,filters=0,usedby=[],using=[],options=[]"),
        ("module", "name=fx_custom_type,ver=7,api=1,filters=0,usedby=[],using=[],options=[]"),
    ]


def test_commands_enter_the_one_table(manager: RedisModuleManager, mstate: ServerState) -> None:
    manager.load("fx_good")
    spec = mstate.commands.lookup("mymod.set")
    assert spec is not None
    assert (spec.name, spec.owner, spec.group, spec.arity) == ("MYMOD.SET", "fx_good", "module", -1)
    assert spec.flags == {"write", "module"}
    assert (spec.first_key, spec.last_key, spec.key_step) == (1, 1, 1)
    assert spec.extra.name == "MYMOD.SET"
    whoami = mstate.commands.lookup("FX.WHOAMI")
    assert (
        whoami is not None
        and whoami.name == "Fx.WhoAmI"
        and whoami.flags == {"readonly", "fast", "no_auth", "module"}
    )
    keys = mstate.commands.lookup("fx.keys")
    assert keys is not None and keys.flags == {
        "readonly",
        "movablekeys",
        "module",
    }  # may-replicate is hidden
    manager.unload("fx_good")
    assert {spec.owner for spec in mstate.commands} == {"builtin"}


def test_no_auth_module_command_runs_before_auth(
    mstate: ServerState, manager: RedisModuleManager
) -> None:
    manager.load("fx_good")
    admin: Session = mstate.new_session("127.0.0.1:2")
    assert mstate.dispatcher.execute(admin, [b"CONFIG", b"SET", b"requirepass", b"secret"]) == "OK"
    session: Session = mstate.new_session("127.0.0.1:1")
    reply = mstate.dispatcher.execute(session, [b"fx.whoami"])
    assert reply[0] == b"Fx.WhoAmI"
    assert mstate.dispatcher.execute(session, [b"mymod.get", b"k"]).startswith("NOAUTH")


def test_load_args_are_logged(
    manager: RedisModuleManager, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="ferrite"):
        manager.load("fx_good", ["x", "y"])
    messages = [r.getMessage() for r in caplog.records]
    assert "<fx_good> Module loaded with ARGV[0] = x" in messages
    assert "<fx_good> Module loaded with ARGV[1] = y" in messages
    assert (
        "Module 'fx_good' loaded from ferrite.modules:fx_good = fx_good (fx-good 0.1.0)" in messages
    )
