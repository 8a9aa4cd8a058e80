"""`ferrite install` / `ferrite uninstall`: pip into the interpreter that runs Ferrite.

Like `datasette install`: modules must live in the same environment as the server (pipx or
uv-tool installs put a plain `pip install` somewhere else). Afterwards we report which
`ferrite.modules` entry points appeared or disappeared, read from metadata only, so a
broken module never stops these commands.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
from dataclasses import dataclass

import click

GROUP = "ferrite.modules"


@dataclass(frozen=True)
class InstalledModule:
    name: str
    distribution: str
    version: str

    def describe(self) -> str:
        return f"{self.name} ({self.distribution} {self.version})"


def installed_modules() -> dict[str, InstalledModule]:
    """Entry points of the group, by name, as the metadata on disk says now."""
    importlib.invalidate_caches()
    found: dict[str, InstalledModule] = {}
    for entry_point in importlib.metadata.entry_points(group=GROUP):
        dist = entry_point.dist
        found.setdefault(
            entry_point.name,
            InstalledModule(
                entry_point.name,
                dist.name if dist is not None else "?",
                dist.version if dist is not None else "?",
            ),
        )
    return found


def report_changes(
    before: dict[str, InstalledModule], after: dict[str, InstalledModule]
) -> list[str]:
    """Lines telling what changed among installed modules."""
    lines = []
    added = [after[name] for name in sorted(after.keys() - before.keys())]
    removed = [before[name] for name in sorted(before.keys() - after.keys())]
    changed = [
        (before[name], after[name])
        for name in sorted(before.keys() & after.keys())
        if before[name] != after[name]
    ]
    if added:
        lines.append("New modules: " + ", ".join(module.describe() for module in added))
    for old, new in changed:
        lines.append(
            f"Updated module: {new.name} ({old.distribution} {old.version} -> "
            f"{new.distribution} {new.version})"
        )
    if removed:
        lines.append("Removed modules: " + ", ".join(module.describe() for module in removed))
    if not lines:
        lines.append(f"No '{GROUP}' entry points appeared or disappeared.")
    return lines


def run_pip(arguments: list[str]) -> int:
    command = [sys.executable, "-m", "pip", *arguments]
    return subprocess.call(command)


def _finish(code: int, before: dict[str, InstalledModule]) -> None:
    if code != 0:
        click.echo(f"ferrite: pip exited with status {code}; see its messages above.", err=True)
    for line in report_changes(before, installed_modules()):
        click.echo(line)
    sys.exit(code)


@click.command("install", context_settings={"help_option_names": ["--help"]})
@click.argument("packages", nargs=-1, required=True)
@click.option("-U", "--upgrade", is_flag=True, help="Upgrade packages that are already installed.")
@click.option(
    "-e", "--editable", is_flag=True, help="Install local project paths in editable mode."
)
def install(packages: tuple[str, ...], upgrade: bool, editable: bool) -> None:
    """Install module PACKAGES with pip into the environment that runs Ferrite.

    \b
    PACKAGES are anything pip accepts: names from PyPI, paths, wheels, URLs.
      ferrite install ferrite-bloom
      ferrite install ./acme
      ferrite install -e ./acme
    Then it lists the modules (entry points in `ferrite.modules`) that appeared.
    """
    arguments = ["install"]
    if upgrade:
        arguments.append("--upgrade")
    for package in packages:
        arguments += ["--editable", package] if editable else [package]
    before = installed_modules()
    _finish(run_pip(arguments), before)


@click.command("uninstall", context_settings={"help_option_names": ["--help"]})
@click.argument("packages", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def uninstall(packages: tuple[str, ...], yes: bool) -> None:
    """Uninstall module PACKAGES (distribution names) with pip.

    Then it lists the modules (entry points in `ferrite.modules`) that disappeared.
    """
    arguments = ["uninstall", *(["--yes"] if yes else []), *packages]
    before = installed_modules()
    _finish(run_pip(arguments), before)


def register(cli: click.Group) -> None:
    cli.add_command(install)
    cli.add_command(uninstall)
