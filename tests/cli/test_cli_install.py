"""`ferrite install` / `uninstall`: pip into Ferrite's own interpreter, then report modules.

The commands run in a throwaway virtual environment that also sees this environment's
packages (through a .pth file), so installing there changes nothing here.
"""

from __future__ import annotations

import base64
import hashlib
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from ferrite_host.cli.install import InstalledModule, report_changes

TIMEOUT = 180

MODULE_SOURCE = """\
def module_info():
    return {"name": "installdemo", "version": 2}

def on_load(module, args):
    pass
"""


def build_wheel(directory: Path, version: str) -> Path:
    """A minimal, valid wheel of `ferrite-installdemo` declaring one ferrite.modules entry."""
    info = f"ferrite_installdemo-{version}.dist-info"
    files = {
        "ferrite_installdemo.py": MODULE_SOURCE,
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: ferrite-installdemo\nVersion: {version}\n"
        ),
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{info}/entry_points.txt": "[ferrite.modules]\ninstalldemo = ferrite_installdemo\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    wheel = directory / f"ferrite_installdemo-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("install-env")
    venv.EnvBuilder(with_pip=False).create(root / "venv")
    # This environment's site directories (ferrite-host, pip, editable installs) come after
    # the new one's own, with their .pth files processed: addsitedir does both.
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    own = root / "venv" / "lib" / version / "site-packages"
    lines = [f"import site; site.addsitedir({path!r})" for path in site.getsitepackages()]
    (own / "zz_parent_environment.pth").write_text("\n".join(lines) + "\n")
    return root


def ferrite(env: Path, *args: str) -> subprocess.CompletedProcess[str]:
    python = env / "venv" / "bin" / "python"
    return subprocess.run(
        [str(python), "-m", "ferrite_host", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_install_upgrade_and_uninstall_report_module_changes(environment: Path):
    first = build_wheel(environment, "1.0")
    result = ferrite(environment, "install", str(first))
    assert result.returncode == 0, result.stderr
    assert "New modules: installdemo (ferrite-installdemo 1.0)" in result.stdout

    result = ferrite(environment, "modules", "list", "--json")
    assert '"installdemo"' in result.stdout

    second = build_wheel(environment, "2.0")
    result = ferrite(environment, "install", "-U", str(second))
    assert result.returncode == 0, result.stderr
    assert "Updated module: installdemo (ferrite-installdemo 1.0 -> ferrite-installdemo 2.0)" in (
        result.stdout
    )

    result = ferrite(environment, "uninstall", "-y", "ferrite-installdemo")
    assert result.returncode == 0, result.stderr
    assert "Removed modules: installdemo (ferrite-installdemo 2.0)" in result.stdout
    # Only the throwaway environment changed: this interpreter never saw the module.
    assert (
        "installdemo"
        not in subprocess.run(
            [sys.executable, "-m", "ferrite_host", "modules", "list", "--json"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        ).stdout
    )


def test_pip_failure_is_reported_with_its_exit_status(environment: Path):
    result = ferrite(environment, "install", str(environment / "no-such-package.whl"))
    assert result.returncode != 0
    assert "pip exited with status" in result.stderr
    assert "No 'ferrite.modules' entry points appeared or disappeared." in result.stdout


def test_report_changes_wording():
    before = {"a": InstalledModule("a", "ferrite-a", "1")}
    after = {"b": InstalledModule("b", "ferrite-b", "2")}
    assert report_changes(before, after) == [
        "New modules: b (ferrite-b 2)",
        "Removed modules: a (ferrite-a 1)",
    ]
