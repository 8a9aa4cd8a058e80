"""A project made by `ferrite new` builds, installs, is found, and its own tests pass.

This is what a module author does first: `ferrite new acme`, install it, run its tests.
The project is installed with pip into a private `--target` directory (not this
environment), and its generated tests run in a child pytest with that directory on
PYTHONPATH, so the server the tests start finds the module through its entry point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ferrite_host.cli.scaffold import render_project, validate_name

REPO = Path(__file__).resolve().parents[2]
PIP_TIMEOUT = 240
PYTEST_TIMEOUT = 180


@pytest.fixture(scope="module")
def installed_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("template")
    project = root / "acme"
    render_project(validate_name("acme"), project, "Acme module.", "Tester")
    site = root / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(project),
        ],
        check=True,
        timeout=PIP_TIMEOUT,
        capture_output=True,
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return project, env


def test_generated_project_tests_pass(installed_project):
    project, env = installed_project
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=PYTEST_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_installed_project_is_listed(installed_project):
    _, env = installed_project
    result = subprocess.run(
        [sys.executable, "-m", "ferrite_host", "modules", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    acme = next(entry for entry in json.loads(result.stdout) if entry["name"] == "acme")
    assert acme["status"] == "ok"
    assert acme["distribution"] == "ferrite-acme"
    assert acme["commands"] == ["acme.tally"] and acme["types"] == ["acmetally"]


def test_wheel_ships_the_template(tmp_path: Path):
    """`ferrite new` only works if ferrite_plugin_template/ (dotfiles included) is in the wheel."""
    source = tmp_path / "source"  # a copy: building writes build/ and egg-info into the tree
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for part in ("ferrite_host", "ferrite_plugin_template"):
        shutil.copytree(REPO / part, source / part, ignore=ignore)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / part, source / part)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        timeout=PIP_TIMEOUT,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("ferrite_host-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "ferrite_plugin_template/__init__.py",
        "ferrite_plugin_template/project/pyproject.toml.j2",
        "ferrite_plugin_template/project/.gitignore",
        "ferrite_plugin_template/project/.github/workflows/test.yml",
        "ferrite_plugin_template/project/{{package}}/__init__.py.j2",
        "ferrite_plugin_template/project/tests/test_{{package}}.py.j2",
    ):
        assert shipped in names
