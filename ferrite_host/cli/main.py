"""The `ferrite` command line."""

from __future__ import annotations

import click

from ferrite_host import __version__
from ferrite_host.cli.serve import serve


@click.group(context_settings={"help_option_names": ["--help"]})
@click.version_option(__version__, prog_name="ferrite")
def cli() -> None:
    """Ferrite: a Redis-protocol server you extend with pip-installable Python modules."""


cli.add_command(serve)

try:  # the module-management commands arrive with the module layer
    from ferrite_host.cli.modules import register as _register_module_commands
except ImportError:  # pragma: no cover
    pass
else:
    _register_module_commands(cli)
