"""`ferrite bridge`: run this environment's Ferrite modules inside redis-server.

Prints where the bridge module is (building it with `--build`) and one ready `loadmodule`
line per installed module, for redis.conf or `redis-server --loadmodule ...`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ferrite_host.bridge import (
    BridgeBuildError,
    build_bridge,
    loadmodule_line,
    locate,
    missing_prerequisites,
)
from ferrite_host.redis_module.discovery import discover


@click.command("bridge")
@click.option("--build", "build", is_flag=True, help="Compile the bridge for this Python first.")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Where --build writes the module (default: inside the ferrite_host package).",
)
@click.option(
    "--module",
    "modules",
    multiple=True,
    metavar="ENTRY_POINT",
    help="Only this module (repeatable); default: every installed module.",
)
@click.option("--path-only", is_flag=True, help="Print only the bridge module's path.")
def bridge(build: bool, output: Path | None, modules: tuple[str, ...], path_only: bool) -> None:
    """Where the Redis bridge module is, and the loadmodule lines for installed modules."""
    if build or output is not None:
        try:
            built = build_bridge(output)
        except BridgeBuildError as exc:
            raise click.ClickException(f"cannot build the bridge: {exc}") from None
        click.echo(f"# built {built}", err=True)
        located: Path | None = built
    else:
        located = locate()
    if located is None:
        problem = missing_prerequisites()
        hint = (
            "run `ferrite bridge --build`"
            if problem is None
            else f"it cannot be built here: {problem}"
        )
        raise click.ClickException(f"the bridge module is not built for this Python; {hint}")
    if path_only:
        click.echo(str(located))
        return
    found = discover()
    names = list(modules) or list(found.candidates)
    unknown = [name for name in names if found.get(name) is None]
    if unknown:
        installed = ", ".join(found.candidates) or "none"
        raise click.ClickException(
            f"no installed module with entry point {', '.join(unknown)} (installed: {installed})"
        )
    click.echo(f"# Ferrite bridge for Python {sys.version_info.major}.{sys.version_info.minor}")
    click.echo(f"# {located}")
    if not names:
        click.echo("# no Ferrite modules are installed in this environment", err=True)
    for name in names:
        click.echo(loadmodule_line(located, name))


def register(cli: click.Group) -> None:
    cli.add_command(bridge)
