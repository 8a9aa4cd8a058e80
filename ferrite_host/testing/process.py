"""Run a real `ferrite serve` as a child process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGTERM the server if the test process dies without stopping it."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the fixtures still stop it on teardown
        pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FerriteProcess:
    """A ferrite server child process; stops by itself when used as a context manager.

    `modules=None` loads every installed module (the server's default); a list loads only
    those, each given as a name or a (name, *args) tuple.
    """

    def __init__(
        self,
        *extra_args: str,
        modules: list[str | tuple[str, ...]] | None = None,
        directory: str | Path | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ferrite-test-")
            directory = self._tmp.name
        self.dir = Path(directory)
        self.extra_args = list(extra_args)
        self.modules = modules
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.dir / f"ferrite-{self.port}.log"

    def command_line(self) -> list[str]:
        args = [
            sys.executable,
            "-m",
            "ferrite_host",
            "serve",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
        ]
        if "--save" not in self.extra_args:
            args += ["--save", ""]
        if self.modules is not None:
            if not self.modules:
                args += ["--no-modules"]
            for module in self.modules:
                names = [module] if isinstance(module, str) else list(module)
                args += ["--module", *names]
        return args + self.extra_args

    def start(self, wait: bool = True) -> FerriteProcess:
        env = dict(os.environ)
        env.update(self.env or {})
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command_line(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ferrite exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"ferrite did not start within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def client(self, **kwargs: Any) -> redis.Redis:
        kwargs.setdefault("socket_timeout", 15)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    @contextlib.contextmanager
    def flushed_client(self, **kwargs: Any) -> Iterator[redis.Redis]:
        """A client on an emptied server, closed afterwards: each test's fresh start on a
        server shared by a module (`with server.flushed_client(protocol=2) as r:`)."""
        client = self.client(**kwargs)
        client.flushall()
        try:
            yield client
        finally:
            client.close()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """Stop the child (SIGTERM, then SIGKILL after `timeout`); returns its exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        self._log.close()
        return proc.returncode

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to save."""
        self.stop(signal.SIGKILL)

    def cleanup(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> FerriteProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
