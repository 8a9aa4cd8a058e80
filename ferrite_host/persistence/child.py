"""Background work in a forked child, as Redis does it.

The child gets a copy-on-write view of the whole keyspace at the moment of the fork, so the
parent goes on serving clients while the child writes. The child reports one small JSON result
over a pipe and leaves with `os._exit` (never running the parent's cleanup); the parent reaps it
from the cron without blocking.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("ferrite")

#: Signal the parent uses to stop a child (the child does not handle it, so it just dies).
KILL_SIGNAL = signal.SIGUSR1
_PR_SET_PDEATHSIG = 1


class ExpectedFailure(Exception):
    """A child's failure whose message is the whole story (no traceback needed)."""

    expected = True


@dataclass
class ChildResult:
    ok: bool
    info: dict[str, Any] = field(default_factory=dict)
    error: str = ""


class ChildJob:
    """One running child: what it does ("rdb" or "aof"), its pid, when it started."""

    def __init__(self, kind: str, pid: int, read_fd: int) -> None:
        self.kind = kind
        self.pid = pid
        self._read_fd = read_fd
        self._chunks: list[bytes] = []
        self.started = time.time()
        self.started_monotonic = time.monotonic()
        self.result: ChildResult | None = None

    def poll(self) -> ChildResult | None:
        """The result once the child has exited (reaped here), else None."""
        if self.result is not None:
            return self.result
        self._drain()
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.pid, 1 << 8
        if pid == 0:
            return None
        self._finish(status)
        return self.result

    def wait(self) -> ChildResult:
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            status = 1 << 8
        self._finish(status)
        assert self.result is not None
        return self.result

    def kill(self) -> None:
        """Stop the child and reap it (shutdown, FLUSHALL, AOF turned off)."""
        if self.result is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, KILL_SIGNAL)
            self.wait()

    def elapsed(self) -> float:
        return time.monotonic() - self.started_monotonic

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self._read_fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def _finish(self, status: int) -> None:
        self._drain()
        with contextlib.suppress(OSError):
            os.close(self._read_fd)
        report = b"".join(self._chunks)
        self.result = _decode_result(report, status)


def _decode_result(report: bytes, status: int) -> ChildResult:
    try:
        data = json.loads(report) if report else None
    except ValueError:
        data = None
    if os.WIFSIGNALED(status):
        signame = signal.Signals(os.WTERMSIG(status)).name
        return ChildResult(False, error=f"the child process was killed by {signame}")
    if isinstance(data, dict) and data.get("ok") and os.WEXITSTATUS(status) == 0:
        return ChildResult(True, info=data.get("info", {}))
    error = data.get("error", "") if isinstance(data, dict) else ""
    return ChildResult(
        False, error=error or f"the child process exited with code {os.WEXITSTATUS(status)}"
    )


def start_child(kind: str, work: Callable[[], dict[str, Any]]) -> ChildJob:
    """Fork; the child runs `work` and reports its dict (or the error) to the parent."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # pragma: no cover - runs in the child, measured by the wire tests
        os.close(read_fd)
        _run_child(kind, work, write_fd)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    return ChildJob(kind, pid, read_fd)


def _run_child(
    kind: str, work: Callable[[], dict[str, Any]], write_fd: int
) -> None:  # pragma: no cover
    code = 1
    try:
        _become_child()
        try:
            report: dict[str, Any] = {"ok": True, "info": work()}
            code = 0
        except BaseException as exc:
            message = (
                str(exc) if getattr(exc, "expected", False) else f"{type(exc).__name__}: {exc}"
            )
            if not getattr(exc, "expected", False):
                traceback.print_exc()
            report = {"ok": False, "error": message}
        os.write(write_fd, json.dumps(report).encode())
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _become_child() -> None:  # pragma: no cover - child side
    """Detach from the parent's signal plumbing and make sure we die with the parent."""
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGINT, KILL_SIGNAL):
        signal.signal(sig, signal.SIG_DFL)
    gc.disable()  # the collector would touch every object and undo copy-on-write sharing
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    _mark_logs_as_child()


def _mark_logs_as_child() -> None:  # pragma: no cover - child side
    """Log lines from the child carry its own pid and role `C`, as Redis's do."""
    parent_tag = f"{os.getppid()}:M"
    for handler in logging.getLogger("ferrite").handlers:
        formatter = handler.formatter
        fmt = getattr(formatter, "_fmt", None)
        if formatter is not None and isinstance(fmt, str) and parent_tag in fmt:
            handler.setFormatter(
                logging.Formatter(fmt.replace(parent_tag, f"{os.getpid()}:C"), formatter.datefmt)
            )
