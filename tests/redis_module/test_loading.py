"""The loader's steps on in-memory modules: hook validation, ModuleInfo shapes, rollback."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from ferrite_host.core.state import ServerState
from ferrite_host.redis_module import (
    ModuleAlreadyLoadedError,
    ModuleInfo,
    ModuleLoadError,
    RedisModule,
    hookimpl,
)
from ferrite_host.redis_module.api import Status
from ferrite_host.redis_module.commands import ModuleCommand
from ferrite_host.redis_module.discovery import ModuleCandidate, candidate_from
from ferrite_host.redis_module.loading import (
    ModulePluginManager,
    call_hook,
    describe_validation,
    implements,
    load_module,
    one_line,
)


@pytest.fixture
def fake_modules() -> Iterator[dict[str, types.ModuleType]]:
    created: dict[str, types.ModuleType] = {}
    yield created
    for name in created:
        sys.modules.pop(name, None)


def make(created: dict[str, types.ModuleType], name: str, **attrs: Any) -> ModuleCandidate:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    created[name] = module
    return candidate_from(EntryPoint(name, name, "ferrite.modules"))


def ok_command(ctx: Any, args: Any) -> Status:
    return ctx.reply_with_simple_string("OK")


@hookimpl
def info_ok() -> ModuleInfo:
    return ModuleInfo(name="inmem", version=1)


def load(
    state: ServerState,
    pm: ModulePluginManager,
    candidate: ModuleCandidate,
    args: list[str] | None = None,
) -> Any:
    return load_module(candidate, args or [], pm=pm, state=state, busy=lambda name: None)


def test_candidate_without_distribution(fake_modules: dict[str, types.ModuleType]) -> None:
    candidate = make(fake_modules, "fx_mem_a")
    assert candidate.dist_name is None and candidate.distribution == "unknown distribution"


def test_loads_an_in_memory_module(
    state: ServerState, fake_modules: dict[str, types.ModuleType]
) -> None:
    def on_load(module: RedisModule, args: list[str]) -> None:
        module.register_command(ModuleCommand("inmem.ok", ok_command))

    pm = ModulePluginManager()
    loaded = load(
        state, pm, make(fake_modules, "fx_mem_ok", module_info=info_ok, on_load=on_load), ["a"]
    )
    assert (loaded.name, loaded.args, loaded.commands) == ("inmem", ["a"], ["inmem.ok"])
    assert implements(pm, loaded.plugin, "on_load") and not implements(
        pm, loaded.plugin, "on_unload"
    )
    assert state.commands.lookup("INMEM.OK") is not None


def test_missing_required_hook(
    state: ServerState, fake_modules: dict[str, types.ModuleType]
) -> None:
    pm = ModulePluginManager()
    with pytest.raises(ModuleLoadError, match=r"does not implement the required hook\(s\) on_load"):
        load(state, pm, make(fake_modules, "fx_mem_noload", module_info=info_ok))
    assert not pm.has_plugin("fx_mem_noload")


def test_unknown_hook(state: ServerState, fake_modules: dict[str, types.ModuleType]) -> None:
    @hookimpl
    def on_laod(module: RedisModule) -> None:
        pass

    pm = ModulePluginManager()
    candidate = make(
        fake_modules,
        "fx_mem_typo",
        module_info=info_ok,
        on_load=lambda module, args: None,
        on_laod=on_laod,
    )
    with pytest.raises(
        ModuleLoadError, match=r"implements unknown hook\(s\) on_laod; known hooks are"
    ):
        load(state, pm, candidate)
    assert not pm.has_plugin("fx_mem_typo")


def test_hook_with_arguments_the_spec_lacks(
    state: ServerState, fake_modules: dict[str, types.ModuleType]
) -> None:
    @hookimpl
    def on_load(module: RedisModule, args: list[str], server: object) -> None:
        pass

    pm = ModulePluginManager()
    with pytest.raises(
        ModuleLoadError, match="hook implementation does not match the hook specification"
    ):
        load(state, pm, make(fake_modules, "fx_mem_sig", module_info=info_ok, on_load=on_load))
    assert not pm.has_plugin("fx_mem_sig")


@pytest.mark.parametrize(
    "returned,reason",
    [
        (None, "module_info() must return a ModuleInfo or a mapping, got NoneType"),
        ("inmem", "module_info() must return a ModuleInfo or a mapping, got str"),
        ({"name": "inmem"}, "invalid ModuleInfo: version: missing"),
        ({"name": "inmem", "version": 1, "extra": 1}, "invalid ModuleInfo: extra: unknown field"),
    ],
)
def test_module_info_shapes(
    state: ServerState, fake_modules: dict[str, types.ModuleType], returned: object, reason: str
) -> None:
    pm = ModulePluginManager()
    candidate = make(
        fake_modules, "fx_mem_info", module_info=lambda: returned, on_load=lambda module, args: None
    )
    with pytest.raises(ModuleLoadError) as info:
        load(state, pm, candidate)
    assert info.value.errmsg.startswith(reason)


def test_module_info_raising(state: ServerState, fake_modules: dict[str, types.ModuleType]) -> None:
    def module_info() -> None:
        raise LookupError("no metadata")

    pm = ModulePluginManager()
    candidate = make(
        fake_modules, "fx_mem_inforaise", module_info=module_info, on_load=lambda module, args: None
    )
    with pytest.raises(ModuleLoadError, match="module_info\\(\\) raised LookupError: no metadata"):
        load(state, pm, candidate)


def test_busy_name(state: ServerState, fake_modules: dict[str, types.ModuleType]) -> None:
    pm = ModulePluginManager()
    candidate = make(
        fake_modules, "fx_mem_busy", module_info=info_ok, on_load=lambda module, args: None
    )
    with pytest.raises(
        ModuleAlreadyLoadedError,
        match="a module named 'inmem' is already loaded \\(entry point 'other'\\)",
    ):
        load_module(
            candidate,
            [],
            pm=pm,
            state=state,
            busy=lambda name: "other" if name == "INMEM".lower() else None,
        )
    assert not pm.has_plugin("fx_mem_busy")


def test_same_object_under_two_entry_points(
    state: ServerState, fake_modules: dict[str, types.ModuleType]
) -> None:
    pm = ModulePluginManager()
    first = make(
        fake_modules, "fx_mem_first", module_info=info_ok, on_load=lambda module, args: None
    )
    load(state, pm, first)
    alias = candidate_from(EntryPoint("fx_mem_alias", "fx_mem_first", "ferrite.modules"))
    with pytest.raises(
        ModuleAlreadyLoadedError, match="already loaded as module entry point 'fx_mem_first'"
    ):
        load(state, pm, alias)
    with pytest.raises(
        ModuleAlreadyLoadedError, match="module entry point 'fx_mem_first' is already loaded"
    ):
        load(state, pm, first)


def test_blocked_entry_point(state: ServerState, fake_modules: dict[str, types.ModuleType]) -> None:
    pm = ModulePluginManager()
    pm.set_blocked("fx_mem_blocked")
    candidate = make(
        fake_modules, "fx_mem_blocked", module_info=info_ok, on_load=lambda module, args: None
    )
    with pytest.raises(ModuleLoadError, match="is disabled"):
        load(state, pm, candidate)


def test_missing_import_and_system_exit_are_load_failures(
    state: ServerState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidate = candidate_from(
        EntryPoint("fx_mem_gone", "fx_mem_gone_pkg.sub:thing", "ferrite.modules")
    )
    with pytest.raises(
        ModuleLoadError, match=r"import of 'fx_mem_gone_pkg.sub:thing' failed: ModuleNotF"
    ):
        load(state, ModulePluginManager(), candidate)
    (tmp_path / "fx_mem_exits.py").write_text("import sys\nsys.exit(3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    candidate = candidate_from(EntryPoint("fx_mem_exits", "fx_mem_exits", "ferrite.modules"))
    with pytest.raises(ModuleLoadError, match=r"failed: SystemExit: 3 \(at fx_mem_exits.py:2\)"):
        load(state, ModulePluginManager(), candidate)


def test_staged_type_is_not_committed_when_a_later_step_fails(
    state: ServerState, fake_modules: dict[str, types.ModuleType]
) -> None:
    from ferrite_host.redis_module.types import RedisModuleTypeDef

    def on_load(module: RedisModule, args: list[str]) -> Status:
        module.register_type(RedisModuleTypeDef("memtype", 0))
        module.register_command(ModuleCommand("inmem.cmd", ok_command))
        return Status.ERR

    pm = ModulePluginManager()
    with pytest.raises(ModuleLoadError, match=r"on_load returned Status.ERR"):
        load(state, pm, make(fake_modules, "fx_mem_err", module_info=info_ok, on_load=on_load))
    assert "memtype" not in state.module_types
    assert state.commands.lookup("inmem.cmd") is None


def test_integer_one_counts_as_err_but_true_does_not(
    state: ServerState, fake_modules: dict[str, types.ModuleType]
) -> None:
    pm = ModulePluginManager()
    with pytest.raises(ModuleLoadError, match=r"on_load returned Status.ERR"):
        load(
            state,
            pm,
            make(fake_modules, "fx_mem_one", module_info=info_ok, on_load=lambda module, args: 1),
        )
    load(
        state,
        pm,
        make(fake_modules, "fx_mem_true", module_info=info_ok, on_load=lambda module, args: True),
    )


def test_call_hook_reaches_only_one_plugin(fake_modules: dict[str, types.ModuleType]) -> None:
    pm = ModulePluginManager()
    calls: list[str] = []
    for name in ("fx_mem_x", "fx_mem_y"):
        module = types.ModuleType(name)
        module.module_info = lambda name=name: calls.append(name) or {"name": name, "version": 1}  # type: ignore[attr-defined]
        module.on_load = lambda module, args: None  # type: ignore[attr-defined]
        pm.register(module, name=name)
        fake_modules[name] = module
    assert call_hook(pm, pm.get_plugin("fx_mem_y"), "module_info") == {
        "name": "fx_mem_y",
        "version": 1,
    }
    assert calls == ["fx_mem_y"]


def test_one_line_and_describe_validation() -> None:
    try:
        raise ValueError("bad\n  thing")
    except ValueError as exc:
        text = one_line(exc)
    assert text.startswith("ValueError: bad thing (at test_loading.py:")
    assert one_line(KeyError()) == "KeyError"
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        ModuleInfo(name="x y", version=-1, api_version=-3)
    described = describe_validation(info.value)
    assert described.count(";") == 2 and "api_version:" in described
