"""redis-server with the Ferrite bridge: skipped where redis-server or a compiler is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ferrite_host.testing.bridge_process import BridgeUnavailable, RedisBridgeProcess, ensure_bridge

BUNDLED = ["hello", "hellotype", "bloom"]


@pytest.fixture(scope="session")
def bridge_so(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return ensure_bridge(tmp_path_factory.mktemp("bridge-build"))
    except BridgeUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def bridge_server(bridge_so: Path) -> Iterator[RedisBridgeProcess]:
    """One redis-server per test module loading the three bundled modules."""
    with RedisBridgeProcess(modules=list(BUNDLED), bridge=bridge_so) as server:
        yield server


@pytest.fixture
def rb(bridge_server: RedisBridgeProcess) -> Iterator[redis.Redis]:
    with bridge_server.flushed_client(protocol=2) as client:
        yield client
