"""One long call does not stall the server: other clients are answered -BUSY meanwhile
(commands Redis allows while busy still run), partial frames survive, and SHUTDOWN NOSAVE
ends a busy server. The long call is a module command that yields (RM_Yield)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ferrite_host.testing import FerriteProcess, install_distributions, pythonpath_env

FIXTURE = Path(__file__).parent.parent / "redis_module" / "fixtures" / "fx-pythonic"
BUSY = b"-BUSY Redis is busy running a module command.\r\n"


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return pythonpath_env(install_distributions([FIXTURE], "ferrite-fx-pythonic"))


@pytest.fixture
def server(env: dict[str, str]) -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=["fx_pythonic"], env=env) as proc:
        yield proc


def _busy_for(server: FerriteProcess, ms: int) -> threading.Thread:
    """Run FXP.BUSY on its own connection in a thread; returns once it is running."""
    done: list[object] = []

    def run() -> None:
        done.append(server.client().execute_command("FXP.BUSY", ms))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.3)
    return thread


def _exchange(sock: socket.socket, payload: bytes, expect: int) -> bytes:
    sock.sendall(payload)
    data = b""
    while data.count(b"\r\n") < expect:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_other_clients_get_busy_and_allowed_commands_run(server: FerriteProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as other:
        thread = _busy_for(server, 2500)
        assert _exchange(other, b"PING\r\n", 1) == BUSY
        # A partial frame is kept, completed later, and answered like any other command.
        other.sendall(b"*2\r\n$3\r\nGET\r\n$1")
        time.sleep(0.2)
        assert _exchange(other, b"\r\nk\r\n", 1) == BUSY
        # QUIT is allowed while busy (allow_busy), as in Redis.
        assert _exchange(other, b"QUIT\r\n", 1) == b"+OK\r\n"
        thread.join(10)
    assert server.client().ping()


def test_shutdown_nosave_ends_a_busy_server(server: FerriteProcess) -> None:
    _busy_for(server, 5000)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as other:
        other.sendall(b"SHUTDOWN NOSAVE\r\n")
        assert server.proc is not None
        assert server.proc.wait(10) == 0
