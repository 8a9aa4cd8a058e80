"""Really installed test distributions, kept out of the environment.

Module tests should load modules the way users get them: as pip-installed distributions
with entry points. `install_distributions` pip-installs source trees into a private
directory (`pip install --target`), keyed by a hash of the sources and the Python version,
so later runs and parallel pytest workers reuse it (a file lock makes exactly one build
it). Put the directory on `sys.path` in process, or pass `pythonpath_env(site)` to a server.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


class InstallError(RuntimeError):
    """pip could not build or install a test distribution (pip's output attached)."""


def _digest(sources: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for root in sources:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{root.name}/{path.relative_to(root)}".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _can_build_without_isolation() -> bool:
    """setuptools plus a bdist_wheel (the `wheel` package, or setuptools >= 70.1)."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    if importlib.util.find_spec("wheel") is not None:
        return True
    from importlib.metadata import version

    major, minor = (int(part) for part in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1)


def _pip_install(sources: Sequence[Path], target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="ferrite-dist-src-") as tmp:
        copies = []
        for source in sources:
            copy = Path(tmp) / source.name  # build from a copy: in-tree builds leave files
            shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
            copies.append(str(copy))
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        if _can_build_without_isolation():
            command.append("--no-build-isolation")
        result = subprocess.run(
            [*command, "--target", str(target), *copies],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise InstallError(
            f"installing {', '.join(copies)} failed:\n{result.stdout}\n{result.stderr}"
        )


def install_distributions(sources: Sequence[Path], name: str) -> Path:
    """Install the distributions at `sources` into a private cached directory; its path."""
    site = Path(tempfile.gettempdir()) / f"{name}-{_digest(sources)}"
    if (site / ".complete").exists():
        return site
    with open(site.with_suffix(".lock"), "w") as lock:
        with contextlib.suppress(ImportError):
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        if (site / ".complete").exists():
            return site
        staging = Path(tempfile.mkdtemp(prefix=f"{site.name}-", dir=site.parent))
        try:
            _pip_install(sources, staging)
            (staging / ".complete").touch()
            if site.exists():
                shutil.rmtree(site)
            staging.rename(site)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return site


def pythonpath_env(site: Path) -> dict[str, str]:
    """Environment for a child process that should see the distributions in `site`."""
    existing = os.environ.get("PYTHONPATH", "")
    return {"PYTHONPATH": os.pathsep.join(part for part in (str(site), existing) if part)}
