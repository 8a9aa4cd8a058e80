"""`ferrite serve`: start the server, redis-server style."""

from __future__ import annotations

import logging
import sys

import click

from ferrite_host.core.config import ConfigError, Settings, build_settings

log = logging.getLogger("ferrite")

SERVE_HELP = """Start the Ferrite server.

\b
Settings come from an optional redis.conf-style file, then from flags, which override it.
Every directive can be given as a flag, as with redis-server:
  --port 6379            --bind "127.0.0.1 ::1"     --dir PATH      --dbfilename dump.rdb
  --requirepass SECRET   --loglevel notice          --logfile FILE  --databases 16
  --maxclients 10000     --timeout 0                --save "3600 1"  --appendonly yes
  --appendfsync everysec --protected-mode yes       --enable-module-command local
  --unixsocket PATH      --unixsocketperm 700       --port 0 (no TCP)
  --tls-port 6380        --tls-cert-file FILE       --tls-key-file FILE
  --tls-ca-cert-file FILE                           --tls-auth-clients yes|optional|no

\b
Modules: by default every installed module (entry point group `ferrite.modules`) loads.
  --module NAME [ARGS...]   load only the named modules (repeatable)
  --disable-module NAME     never load NAME (repeatable)
  --no-modules              load no module at start-up

\b
Examples:
  ferrite serve
  ferrite serve --port 7000 --appendonly yes
  ferrite serve ./ferrite.conf --module hello --module bloom
"""


def parse_flag_args(args: list[str]) -> tuple[str | None, list[tuple[str, list[str]]]]:
    """Turn `[CONFIG] --name value... --other ...` into (config file, directives)."""
    config_file = None
    directives: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    for arg in args:
        if arg.startswith("--") and len(arg) > 2:
            name = arg[2:]
            if "=" in name:
                name, value = name.split("=", 1)
                current = (name, [value])
            else:
                current = (name, [])
            directives.append(current)
        elif current is None:
            if config_file is not None:
                raise ConfigError(
                    f"unexpected argument {arg!r}; settings are given as --name value"
                )
            config_file = arg
        else:
            current[1].append(arg)
    normalised: list[tuple[str, list[str]]] = []
    for name, values in directives:
        key = name.replace("_", "-")
        if key == "config":
            if len(values) != 1:
                raise ConfigError("--config takes one file name")
            config_file = values[0]
        elif key == "module":
            normalised.append(("loadmodule", values))
        elif key == "no-modules":
            normalised.append(("autoload-modules", ["no"]))
        else:
            normalised.append((name, values))
    return config_file, normalised


@click.command(
    "serve",
    help=SERVE_HELP,
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": ["--help"],
    },
)
@click.pass_context
def serve(ctx: click.Context) -> None:
    try:
        config_file, directives = parse_flag_args(list(ctx.args))
        settings = build_settings(config_file, directives)
    except ConfigError as exc:
        click.echo(f"ferrite: {exc}", err=True)
        sys.exit(1)
    sys.exit(start_server(settings))


def start_server(settings: Settings) -> int:
    from ferrite_host.assembly import build_server
    from ferrite_host.core.errors import StartupError
    from ferrite_host.server.server import configure_logging, run

    configure_logging(settings)
    try:
        state = build_server(settings)
    except StartupError as exc:
        log.error("%s", exc)
        return 1
    return run(state)
