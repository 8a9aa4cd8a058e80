"""Run redis-server with the Ferrite bridge as a child process: the second test host.

`RedisBridgeProcess` takes the same arguments as `FerriteProcess` (modules by entry point
name, a directory, a port, redis-server options such as `--appendonly yes`), so a test
written against one host runs against the other: see `ferrite_host.testing.hosts`.
`$FERRITE_BRIDGE_SERVER` names the server binary (default `redis-server`; `valkey-server`
runs the same tests on Valkey, which loads Redis modules unchanged).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ferrite_host.bridge import BridgeBuildError, build_bridge, locate
from ferrite_host.redis_module.discovery import discover
from ferrite_host.testing.process import FerriteProcess

#: The environment variable naming the server binary the bridge loads into.
SERVER_ENV = "FERRITE_BRIDGE_SERVER"


class BridgeUnavailable(RuntimeError):
    """redis-server or a built bridge is missing (tests skip on it)."""


def server_binary_name() -> str:
    """The server the bridge tests start: $FERRITE_BRIDGE_SERVER, else redis-server."""
    return os.environ.get(SERVER_ENV, "") or "redis-server"


class RedisBridgeProcess(FerriteProcess):
    """redis-server loading Ferrite modules through the bridge, on a free loopback port."""

    def __init__(
        self,
        *extra_args: str,
        bridge: Path | None = None,
        paths: list[str | Path] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*extra_args, **kwargs)  # type: ignore[arg-type]
        #: Directories the bridge puts on sys.path (`path=` options) for modules
        #: installed outside this environment.
        self.paths = [str(path) for path in paths or []]
        self.log_path = self.dir / f"redis-bridge-{self.port}.log"
        name = server_binary_name()
        self.binary = shutil.which(name)
        self.bridge = bridge or locate()
        if self.binary is None:
            raise BridgeUnavailable(f"{name} is not installed")
        if self.bridge is None:
            raise BridgeUnavailable("the Ferrite bridge is not built (ferrite bridge --build)")

    def command_line(self) -> list[str]:
        assert self.binary is not None and self.bridge is not None
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--enable-module-command",
            "yes",
            "--enable-debug-command",
            "yes",
        ]
        modules = self.modules
        if modules is None:
            modules = list(discover().candidates)
        for module in modules:
            names = [module] if isinstance(module, str) else list(module)
            options = [f"venv={sys.prefix}", *(f"path={path}" for path in self.paths)]
            args += ["--loadmodule", str(self.bridge), *options, *names]
        return args + self.extra_args


def ensure_bridge(build_dir: Path) -> Path:
    """The built bridge, building it into `build_dir` when there is none yet; raises
    BridgeUnavailable when redis-server is missing or the bridge cannot be built here."""
    name = server_binary_name()
    if shutil.which(name) is None:
        raise BridgeUnavailable(f"{name} is not installed")
    found = locate()
    if found is not None:
        return found
    try:
        return build_bridge(build_dir)
    except BridgeBuildError as exc:
        raise BridgeUnavailable(f"the Ferrite bridge cannot be built here: {exc}") from None
