"""`ferrite new NAME`: what the template renders, and what it refuses."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from click.testing import CliRunner

from ferrite_host import __version__
from ferrite_host.cli.main import cli
from ferrite_host.cli.scaffold import ScaffoldError, validate_name


def new(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["new", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_new_renders_a_complete_distribution(tmp_path: Path):
    target = tmp_path / "acme"
    code, out, _ = new(
        "acme",
        "--dir",
        str(target),
        "--description",
        'Acme "rocket" tools',
        "--author",
        "Wile E. Coyote",
    )
    assert code == 0
    assert "Created ferrite-acme" in out and "pip install -e" in out
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/test.yml",
        ".gitignore",
        "LICENSE",
        "README.md",
        "ferrite_acme/__init__.py",
        "ferrite_acme/tally.py",
        "pyproject.toml",
        "tests/test_ferrite_acme.py",
    ]
    project = tomllib.loads((target / "pyproject.toml").read_text())["project"]
    assert project["name"] == "ferrite-acme"
    assert project["description"] == 'Acme "rocket" tools'
    assert project["authors"] == [{"name": "Wile E. Coyote"}]
    assert project["entry-points"]["ferrite.modules"] == {"acme": "ferrite_acme:module"}
    assert project["dependencies"] == [f"ferrite-host>={__version__}"]
    assert "pytest>=7.4" in project["optional-dependencies"]["test"]
    for source in target.rglob("*.py"):
        ast.parse(source.read_text(), filename=str(source))
    assert not list(target.rglob("*.j2"))
    package = (target / "ferrite_acme" / "__init__.py").read_text()
    assert '"acme.tally"' in package and 'flags="write deny-oom"' in package
    assert "keys=(1, 1, 1)" in package and 'Module("acme", version=1)' in package
    assert 'module.data_type("acmetally"' in package
    assert "${{ matrix.python-version }}" in (target / ".github/workflows/test.yml").read_text()
    readme = (target / "README.md").read_text()
    assert "## Develop" in readme and "## Publish" in readme and "acme.tally" in readme


def test_new_defaults_to_a_directory_named_after_the_module(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = new("rate-limit")
    assert code == 0
    project = tomllib.loads((tmp_path / "rate-limit" / "pyproject.toml").read_text())
    assert project["project"]["name"] == "ferrite-rate-limit"
    assert (tmp_path / "rate-limit" / "ferrite_rate_limit" / "tally.py").exists()


def test_new_refuses_to_overwrite(tmp_path: Path):
    target = tmp_path / "acme"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    code, _, err = new("acme", "--dir", str(target))
    assert code == 1
    assert "already exists" in err
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    "name", ["Acme", "1acme", "ac me", "acme!", "acme--x", "-acme", "", "a" * 41, "acme."]
)
def test_new_rejects_invalid_names(tmp_path: Path, name: str):
    code, _, err = new("--dir", str(tmp_path / "out"), "--", name)
    assert code == 1
    assert "invalid module name" in err
    assert not (tmp_path / "out").exists()


def test_names_derived_from_the_module_name():
    names = validate_name("ferrite-geo_tools")
    assert names.name == "geo_tools"
    assert names.distribution == "ferrite-geo-tools"
    assert names.package == "ferrite_geo_tools"
    assert names.command == "geo_tools.tally"
    assert names.type_name == "geottally"
    assert len(validate_name("x").type_name) <= 9
    with pytest.raises(ScaffoldError):
        validate_name("ferrite-")


def test_template_ships_in_the_package():
    from ferrite_plugin_template import TEMPLATE_ROOT

    shipped = {
        p.relative_to(TEMPLATE_ROOT).as_posix()
        for p in TEMPLATE_ROOT.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "pyproject.toml.j2" in shipped
    assert ".gitignore" in shipped and ".github/workflows/test.yml" in shipped
