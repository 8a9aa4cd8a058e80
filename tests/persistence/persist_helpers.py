"""Shared helpers for the persistence tests (imported by the test files and conftest)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from ferrite_host.core.state import ServerState
from ferrite_host.persistence.aof import encode_command
from ferrite_host.testing import (
    FerriteProcess,
    install_distributions,
    pythonpath_env,
    raw_command,
    run_command,
)
from ferrite_host.testing.distributions import InstallError

WAIT_TIMEOUT = 15.0
PORT_TAKEN = "Could not create server TCP listening socket"


class Servers:
    """Starts servers in one directory (so restarts see the same files) and stops them all."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.started: list[FerriteProcess] = []

    def _process(
        self, args: tuple[str, ...], modules: list[Any] | None, kwargs: Any
    ) -> FerriteProcess:
        proc = FerriteProcess(
            *args, directory=self.dir, modules=[] if modules is None else modules, **kwargs
        )
        self.started.append(proc)
        return proc

    def start(self, *args: str, modules: list[Any] | None = None, **kwargs: Any) -> FerriteProcess:
        for attempt in range(3):
            proc = self._process(args, modules, kwargs)
            try:
                return proc.start()
            except RuntimeError:
                # another test run on this machine may grab the free port first: retry
                if PORT_TAKEN not in proc.log() or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def start_failing(
        self, *args: str, modules: list[Any] | None = None, **kwargs: Any
    ) -> tuple[int, str]:
        """Start a server that must refuse to start: (exit code, its log)."""
        for _ in range(3):
            proc = self._process(args, modules, kwargs)
            proc.start(wait=False)
            assert proc.proc is not None
            try:
                code = proc.proc.wait(WAIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.stop()
                pytest.fail(f"the server started although it should have refused to:\n{proc.log()}")
            proc.stop()
            if PORT_TAKEN not in proc.log():
                break
        return code, proc.log()

    def stop_all(self) -> None:
        for proc in self.started:
            proc.stop()


def wait_for(
    condition: Callable[[], Any], timeout: float = WAIT_TIMEOUT, what: str = "condition"
) -> Any:
    """Poll `condition` until it returns something truthy (bounded; no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def info_persistence(client: redis.Redis) -> dict[str, Any]:
    info: dict[str, Any] = client.info("persistence")
    return info


def wait_no_child(client: redis.Redis) -> dict[str, Any]:
    """Wait until no background save or rewrite runs; returns INFO persistence."""

    def idle() -> dict[str, Any] | None:
        info = info_persistence(client)
        busy = (
            info["rdb_bgsave_in_progress"]
            or info["aof_rewrite_in_progress"]
            or info["aof_rewrite_scheduled"]
        )
        return None if busy else info

    result: dict[str, Any] = wait_for(idle, what="the background save/rewrite to finish")
    return result


def error_lines(log: str) -> list[str]:
    """Log lines at warning level or above (Redis's `#` marker)."""
    return [line for line in log.splitlines() if " # " in line]


def assert_clean_refusal(code: int, log: str, *needles: str) -> str:
    """The server exited 1 with one clear line naming what was wrong, and no traceback."""
    assert code == 1, log
    assert "Traceback" not in log, log
    assert "Ready to accept connections" not in log, log
    matching = [line for line in log.splitlines() if all(needle in line for needle in needles)]
    assert matching, f"no log line contains {needles!r}:\n{log}"
    return matching[0]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ferrite_host", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def execute(state: ServerState, *args: str | bytes | int, session: Any = None) -> Any:
    """Run one command through the real dispatcher of an in-process state."""
    if session is None:
        session = _SESSIONS.get(state)
        if session is None:
            session = _SESSIONS[state] = state.new_session()
    return run_command(state, session, *args)


#: One session per in-process state, reused by `execute` calls that name none.
_SESSIONS: weakref.WeakKeyDictionary[ServerState, Any] = weakref.WeakKeyDictionary()


class ListType:
    """A ValueType (the protocol module type handles follow) holding a list of bytes.

    The knobs make the failure cases: no rdb_save, a raising save or load, no aof_rewrite.
    """

    def __init__(
        self,
        name: str = "demolist",
        module_name: str = "demo-module",
        encver: int = 2,
        saves: bool = True,
        rewrites: bool = True,
        fail_save: bool = False,
        fail_load: bool = False,
    ) -> None:
        self.name = name
        self.module_name = module_name
        self.encver = encver
        self.saves = saves
        self.rewrites = rewrites
        self.fail_save = fail_save
        self.fail_load = fail_load
        self.released: list[Any] = []
        self.loaded_encvers: list[int] = []

    def release(self, value: Any) -> None:
        self.released.append(value)

    def mem_usage(self, value: Any) -> int:
        return sum(len(item) for item in value)

    def digest(self, value: Any) -> bytes:
        return b"".join(value)

    def copy(self, value: Any) -> Any:
        return list(value)

    def can_save(self) -> bool:
        return self.saves

    def save(self, value: Any) -> bytes:
        if self.fail_save:
            raise RuntimeError("save exploded")
        return b"".join(len(item).to_bytes(4, "big") + item for item in value)

    def load(self, data: bytes, encver: int) -> Any:
        if self.fail_load:
            raise ValueError("cannot decode")
        self.loaded_encvers.append(encver)
        items, pos = [], 0
        while pos < len(data):
            size = int.from_bytes(data[pos : pos + 4], "big")
            items.append(data[pos + 4 : pos + 4 + size])
            pos += 4 + size
        return items

    def aof_rewrite(self, value: Any, key: bytes) -> list[list[bytes]] | None:
        if not self.rewrites:
            return None
        return [[b"DEMO.PUSH", key, item] for item in value]


raw = raw_command


def shutdown(server: FerriteProcess, *options: str) -> int:
    """SHUTDOWN over a raw socket (redis-py retries a closed connection); the exit code."""
    command = encode_command(["SHUTDOWN", *options])
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(command)
        while sock.recv(4096):
            pass
    assert server.proc is not None
    return server.proc.wait(WAIT_TIMEOUT)


# -- the fixture module distribution ---------------------------------------------------------

FIXTURE_DIST = Path(__file__).parent / "fixtures" / "ferrite-fx-persist"


def install_fixture_module() -> Path:
    """pip-install ferrite-fx-persist into a private directory (cached by content hash)."""
    try:
        return install_distributions([FIXTURE_DIST], "ferrite-fx-persist")
    except InstallError as exc:
        pytest.fail(str(exc))


def module_env(site: Path) -> dict[str, str]:
    return pythonpath_env(site)
