"""Builds the optional Redis bridge module (C) with the package, when it can be built.

Everything else is declared in pyproject.toml. Without a C compiler, the Python headers or
a shared libpython, the build goes on without the bridge and says how to get it later
(`ferrite bridge --build`); the pure-Python package works either way.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def _bridge_builder():  # type: ignore[no-untyped-def]
    """ferrite_host/bridge/build.py, loaded by path (the package is not importable yet)."""
    spec = importlib.util.spec_from_file_location(
        "_ferrite_bridge_build", HERE / "ferrite_host/bridge/build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildBridge(build_ext):
    """Compiles the bridge with the same command `ferrite bridge --build` runs."""

    def build_extension(self, ext: Extension) -> None:
        builder = _bridge_builder()
        target = Path(self.get_ext_fullpath(ext.name))
        try:
            builder.build_bridge(target)
        except builder.BridgeBuildError as exc:
            print(
                f"ferrite-host: the Redis bridge was not built ({exc}); the package works "
                "without it. Build it later with `ferrite bridge --build`.",
                file=sys.stderr,
            )


setup(
    ext_modules=[Extension("ferrite_host.bridge.ferrite_bridge", sources=[])],
    cmdclass={"build_ext": BuildBridge},
)
