"""Fixtures for the module layer: really installed fixture distributions, kept out of the way.

The distributions under `fixtures/` are pip-installed once into a private directory
(`pip install --target`), never into the environment, so other test suites never see them.
In-process tests put that directory on `sys.path`; server tests pass it as PYTHONPATH. The
directory is keyed by a hash of the fixture sources and reused by later runs and by
parallel pytest workers (a file lock makes exactly one of them build it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_module_helpers import fx_env, raw_replies

from ferrite_host.assembly import build_state
from ferrite_host.core.config import Settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.redis_module import RedisModuleManager
from ferrite_host.testing import FerriteProcess, install_distributions, run_command
from ferrite_host.testing.distributions import InstallError

FIXTURES = Path(__file__).parent / "fixtures"


def _build_site() -> Path:
    """Every fixture distribution, installed with one pip call into a private directory."""
    dists = sorted(p for p in FIXTURES.iterdir() if (p / "pyproject.toml").exists())
    try:
        return install_distributions(dists, "ferrite-fx-modules")
    except InstallError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def fx_site() -> Path:
    """Directory holding the installed fixture distributions (`*.dist-info` + modules)."""
    return _build_site()


@pytest.fixture
def fx_path(fx_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the fixture modules importable and discoverable in this process for one test."""
    monkeypatch.syspath_prepend(str(fx_site))
    return fx_site


@pytest.fixture
def mstate(fx_path: Path) -> ServerState:
    """A server state with a module manager attached and no module loaded yet."""
    state = build_state(Settings(autoload_modules=False))
    RedisModuleManager.attach(state)
    return state


@pytest.fixture
def manager(mstate: ServerState) -> RedisModuleManager:
    assert RedisModuleManager.of(mstate) is not None
    return RedisModuleManager.of(mstate)


@pytest.fixture
def msession(mstate: ServerState) -> Session:
    return mstate.new_session("127.0.0.1:40000", "127.0.0.1:6379")


@pytest.fixture
def mrun(mstate: ServerState, msession: Session) -> Callable[..., Any]:
    """Run a command through the real dispatcher of `mstate`: mrun("MYMOD.SET", "k", "v")."""

    def execute(*args: str | bytes | int) -> Any:
        return run_command(mstate, msession, *args)

    return execute


@pytest.fixture(scope="module")
def fx_server(fx_site: Path) -> Iterator[FerriteProcess]:
    """A real server with the good fixture modules loaded (fx_good gets two load args)."""
    modules: list[str | tuple[str, ...]] = [
        ("fx_good", "alpha", "beta"),
        "fx_custom_type",
        "fx_unload_refuses",
    ]
    with FerriteProcess(modules=modules, env=fx_env(fx_site)) as proc:
        yield proc


@pytest.fixture
def fr(fx_server: FerriteProcess) -> Iterator[redis.Redis]:
    """RESP2 client on the module server, flushed (redis-py 8 would default to RESP3)."""
    with fx_server.flushed_client(protocol=2) as client:
        yield raw_replies(client)


@pytest.fixture
def fr3(fx_server: FerriteProcess) -> Iterator[redis.Redis]:
    """RESP3 client on the module server, flushed."""
    with fx_server.flushed_client(protocol=3) as client:
        yield raw_replies(client)
