"""Helpers for in-process module tests that do not need an installed distribution."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.encoder import encode
from ferrite_host.redis_module import ModuleInfo, RedisModule
from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString, Status
from ferrite_host.redis_module.commands import ModuleCommand
from ferrite_host.redis_module.loading import StateHost, commit_module
from ferrite_host.testing import pythonpath_env

#: The fixture modules that load, and the ones that must fail to load.
GOOD = (
    "fx_good",
    "fx_custom_type",
    "fx_unload_refuses",
    "fx_calls",
    "fx_calls_redis",
    "fx_typed",
    "fx_api",
)
BROKEN = (
    "fx_bad_info",
    "fx_broken_import",
    "fx_builtin_clash",
    "fx_future_api",
    "fx_module_clash",
    "fx_onload_err",
    "fx_onload_raises",
)

Callback = Callable[[RedisModuleCtx, list[RedisModuleString]], Any]


def add_module(state: ServerState, name: str, setup: Callable[[RedisModule], Any]) -> RedisModule:
    """Stage a module through the real RedisModule and commit it as the loader does."""
    module = RedisModule(ModuleInfo(name=name, version=1), host=StateHost(state))
    setup(module)
    assert not module.problems, module.problems
    commit_module(state, module)
    return module


def add_command(
    state: ServerState,
    name: str,
    callback: Callback,
    flags: str = "",
    keys: tuple[int, int, int] = (0, 0, 0),
) -> RedisModule:
    """A one-command module named after the command."""
    return add_module(
        state,
        "m_" + name.replace(".", "_"),
        lambda m: m.register_command(ModuleCommand(name, callback, flags).with_keys(*keys)),
    )


def reply_of(state: ServerState, session: Session, callback: Callback) -> Any:
    """The reply value a callback produces when run as a module command."""
    add_command(state, "t.reply", callback)
    try:
        return state.dispatcher.execute(session, [b"t.reply"])
    finally:
        state.commands.unregister_owner("m_t_reply")


fx_env = pythonpath_env


def raw_replies(client: redis.Redis) -> redis.Redis:
    """Let COMMAND, MODULE and INFO replies through unparsed, to check their exact shape."""
    for name in (
        "COMMAND",
        "COMMAND INFO",
        "COMMAND DOCS",
        "COMMAND LIST",
        "COMMAND COUNT",
        "MODULE LIST",
        "INFO",
    ):
        client.set_response_callback(name, lambda response, **options: response)
    return client


C_MODULES = Path(__file__).parent / "c_modules"


def build_c_module(name: str, directory: Path) -> Path:
    """Compile c_modules/<name>.c into a Redis module in `directory` (skips the test when
    there is no C compiler): the reference side of tests against redis-server."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler to build the reference module")
    target = directory / f"{name}.so"
    source = C_MODULES / f"{name}.c"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(target), str(source)], check=True
    )
    return target


def wire(value: Any, proto: int) -> bytes:
    return encode(value, proto)


__all__ = [
    "BROKEN",
    "GOOD",
    "Status",
    "add_command",
    "add_module",
    "build_c_module",
    "fx_env",
    "raw_replies",
    "reply_of",
    "wire",
]
