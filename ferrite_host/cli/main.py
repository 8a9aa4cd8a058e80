"""The `ferrite` command line."""

from __future__ import annotations

import importlib

import click

from ferrite_host import __version__
from ferrite_host.cli.serve import serve

#: Sub-command modules; each exposes `register(cli)`.
_SUBCOMMAND_MODULES = ("modules", "scaffold", "install", "snapshot", "bridge")


@click.group(context_settings={"help_option_names": ["--help"]})
@click.version_option(__version__, prog_name="ferrite")
def cli() -> None:
    """Ferrite: a Redis-protocol server you extend with pip-installable Python modules."""


cli.add_command(serve)

for _name in _SUBCOMMAND_MODULES:
    try:
        _module = importlib.import_module(f"ferrite_host.cli.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"ferrite_host.cli.{_name}":
            raise
    else:
        _module.register(cli)
