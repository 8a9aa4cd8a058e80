"""Shared fixtures: a real server per test module, and the dispatcher without sockets."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.assembly import build_state
from ferrite_host.core.config import Settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.testing import FerriteProcess, free_port, run_command
from ferrite_host.testing.process import die_with_parent


@pytest.fixture(scope="module")
def server() -> Iterator[FerriteProcess]:
    """One real `ferrite serve` child process for the whole test module (no modules loaded)."""
    with FerriteProcess(modules=[]) as proc:
        yield proc


@pytest.fixture
def r(server: FerriteProcess) -> Iterator[redis.Redis]:
    """A RESP2 redis-py client on a flushed server (redis-py 8 defaults to RESP3)."""
    with server.flushed_client(protocol=2) as client:
        yield client


@pytest.fixture
def r3(server: FerriteProcess) -> Iterator[redis.Redis]:
    """A RESP3 redis-py client on a flushed server."""
    with server.flushed_client(protocol=3) as client:
        yield client


@pytest.fixture
def state() -> ServerState:
    return build_state(Settings())


@pytest.fixture
def session(state: ServerState) -> Session:
    return state.new_session()


@pytest.fixture
def run(state: ServerState, session: Session) -> Callable[..., Any]:
    """Execute a command through the real dispatcher: run("SET", "k", "v")."""

    def execute(*args: str | bytes | int) -> Any:
        return run_command(state, session, *args)

    return execute


@pytest.fixture(scope="session")
def reference_redis() -> Iterator[Callable[..., int]]:
    """Start (once per argument list) a real redis-server on a free loopback port; returns
    its port. For differential tests, which skip where redis-server is not installed."""
    binary = shutil.which("redis-server")
    started: dict[tuple[str, ...], tuple[subprocess.Popen[bytes], int]] = {}

    def start(*args: str) -> int:
        if binary is None:
            pytest.skip("redis-server is not installed")
        if args not in started:
            port = free_port()
            proc = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    *args,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
            _wait_for_port(port)
            started[args] = (proc, port)
        return started[args][1]

    yield start
    for proc, _ in started.values():
        proc.kill()  # a throwaway reference server: no shutdown work to wait for
        proc.wait(10)


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
