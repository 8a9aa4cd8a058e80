"""Meta-tests, datasette style: every hook, public name and CLI command is documented,
and every hook is exercised by a test module distribution."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest

import ferrite_host.module as pythonic
import ferrite_host.redis_module as redis_module
from ferrite_host.cli.main import cli
from ferrite_host.redis_module import api, commands, hookspecs, types

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _hook_names() -> list[str]:
    return [
        name
        for name, obj in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(obj, "ferrite_spec")
    ]


def test_hookspecs_are_found() -> None:
    assert set(_hook_names()) == {"module_info", "on_load", "on_unload"}


@pytest.mark.parametrize("hook", ["module_info", "on_load", "on_unload"])
def test_every_hook_is_documented(hook: str) -> None:
    assert hook in _hook_names()
    for page in ("module-authors-guide.md", "api-reference.md"):
        assert re.search(rf"\b{hook}\b", _doc(page)), f"{hook} missing from docs/{page}"


@pytest.mark.parametrize("hook", ["module_info", "on_load", "on_unload"])
def test_every_hook_is_implemented_by_a_test_module(hook: str) -> None:
    sources = [
        path.read_text(encoding="utf-8")
        for folder in ("tests/redis_module/fixtures", "tests/persistence/fixtures", "plugins")
        for path in (ROOT / folder).rglob("*.py")
    ]
    assert any(re.search(rf"^def {hook}\(", text, re.MULTILINE) for text in sources), hook


@pytest.mark.parametrize(
    "module", [redis_module, api, commands, types, pythonic], ids=lambda m: m.__name__
)
def test_every_public_name_is_in_the_api_reference(module: object) -> None:
    reference = _doc("api-reference.md")
    missing = [name for name in module.__all__ if not re.search(rf"\b{name}\b", reference)]  # type: ignore[attr-defined]
    assert not missing, f"not in docs/api-reference.md: {missing}"


def _cli_commands(group: click.Group, prefix: str = "ferrite") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append(path)
        if isinstance(command, click.Group):
            found.extend(_cli_commands(command, path))
    return found


@pytest.mark.parametrize("command", _cli_commands(cli))
def test_every_cli_command_is_in_the_operators_guide(command: str) -> None:
    text = _doc("operators-guide.md") + _doc("module-authors-guide.md") + _doc("persistence.md")
    assert command in text, f"`{command}` is not documented"
