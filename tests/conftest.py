"""Shared fixtures: a real server per test module, and the dispatcher without sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.config import Settings
from ferrite_host.server.session import Session
from ferrite_host.server.state import ServerState
from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def server() -> Iterator[FerriteProcess]:
    """One real `ferrite serve` child process for the whole test module (no modules loaded)."""
    with FerriteProcess(modules=[]) as proc:
        yield proc


@pytest.fixture
def r(server: FerriteProcess) -> Iterator[redis.Redis]:
    """A RESP2 redis-py client on a flushed server (redis-py 8 defaults to RESP3)."""
    client = server.client(protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r3(server: FerriteProcess) -> Iterator[redis.Redis]:
    """A RESP3 redis-py client on a flushed server."""
    client = server.client(protocol=3)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def state() -> ServerState:
    return ServerState(Settings())


@pytest.fixture
def session(state: ServerState) -> Session:
    return state.new_session()


@pytest.fixture
def run(state: ServerState, session: Session) -> Callable[..., Any]:
    """Execute a command through the real dispatcher: run("SET", "k", "v")."""

    def execute(*args: str | bytes | int) -> Any:
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        return state.dispatcher.execute(session, argv)

    return execute
