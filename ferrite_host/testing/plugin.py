"""pytest plugin (entry point `pytest11`): fixtures that run a real Ferrite server.

    def test_my_command(ferrite_client):
        assert ferrite_client.execute_command("HELLO.SIMPLE") == 0

Mark a test module with `pytestmark = pytest.mark.ferrite_modules("mymodule")` to load only
those modules; by default every installed module is loaded, as `ferrite serve` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing.harness import Harness
from ferrite_host.testing.process import FerriteProcess


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "ferrite_server_scope",
        "scope of the ferrite_server/ferrite_client fixtures: function (default), module, "
        "package or session; a wider scope starts fewer servers (tests then share data)",
        default="function",
    )


def _server_scope(fixture_name: str, config: pytest.Config) -> str:
    scope = str(config.getini("ferrite_server_scope") or "function")
    if scope not in ("function", "class", "module", "package", "session"):
        raise pytest.UsageError(f"ferrite_server_scope = {scope!r}: use function, module, ...")
    return scope


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ferrite_modules(*names): modules the ferrite_server fixture loads"
    )


@pytest.fixture
def ferrite_server_factory() -> Iterator[Callable[..., FerriteProcess]]:
    """Start extra servers with any arguments; all are stopped after the test."""
    started: list[FerriteProcess] = []

    def start(*args: str, **kwargs: Any) -> FerriteProcess:
        server = FerriteProcess(*args, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.cleanup()


@pytest.fixture(scope=_server_scope)  # type: ignore[arg-type]
def ferrite_server(request: pytest.FixtureRequest) -> Iterator[FerriteProcess]:
    """A running server, stopped after the test."""
    marker = request.node.get_closest_marker("ferrite_modules")
    modules = list(marker.args) if marker is not None else None
    with FerriteProcess(modules=modules) as server:
        yield server


@pytest.fixture
def ferrite_harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """An in-process Harness with the modules of the `ferrite_modules` marker (entry point
    names, as installed); no socket, no child process."""
    marker = request.node.get_closest_marker("ferrite_modules")
    modules = list(marker.args) if marker is not None else []
    with Harness(*modules) as harness:
        yield harness


@pytest.fixture(scope=_server_scope)  # type: ignore[arg-type]
def ferrite_client(ferrite_server: FerriteProcess) -> Iterator[redis.Redis]:
    """A redis-py client connected to `ferrite_server`."""
    client = ferrite_server.client()
    yield client
    client.close()
