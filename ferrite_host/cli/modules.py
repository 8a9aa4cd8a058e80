"""`ferrite modules ...`: see installed modules, and load/unload them on a running server.

`list` and `info` read what is installed (no server needed); `loaded`, `load` and `unload`
talk to a running server with redis-cli's connection options.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import click

from ferrite_host.cli.remote import Endpoint, RemoteServer, ServerError, ServerUnreachable

F = TypeVar("F", bound=Callable[..., Any])

HELP_ONLY = {"help_option_names": ["--help"]}


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, two spaces apart; the last column is not padded."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return "\n".join(lines)


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2))


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@click.group("modules", context_settings=HELP_ONLY)
def modules() -> None:
    """List installed modules; load and unload modules on a running server."""


# -- installed modules (no server) --------------------------------------------------------


def _dash(value: object) -> str:
    return "-" if value is None else str(value)


@modules.command("list", context_settings=HELP_ONLY)
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (stable keys) instead of a table."
)
def list_modules(as_json: bool) -> None:
    """List installed modules (entry points in `ferrite.modules`), without a server.

    Each module is loaded in-process as `ferrite serve` would load it, to show the
    commands and types it registers; one that cannot load shows as `broken: <reason>`.
    """
    from ferrite_host.cli.introspect import inspect_modules

    reports = inspect_modules()
    if as_json:
        _echo_json([report.to_json() for report in reports])
        return
    if not reports:
        click.echo("No modules installed. Install one with `ferrite install PACKAGE`, or")
        click.echo("start your own with `ferrite new NAME`.")
        return
    rows = [
        [
            report.name,
            _dash(report.version),
            _dash(report.api_version),
            " ".join(filter(None, [report.distribution, report.distribution_version])) or "-",
            "ok" if report.ok else "broken",
            ", ".join(t.name for t in report.types) or "-",
            ", ".join(c.name for c in report.commands) or "-",
        ]
        for report in reports
    ]
    headers = ["NAME", "VERSION", "API", "DISTRIBUTION", "STATUS", "TYPES", "COMMANDS"]
    click.echo(render_table(headers, rows))
    broken = [report for report in reports if not report.ok]
    if broken:
        click.echo("")
        for report in broken:
            click.echo(f"{report.name}: broken: {report.reason}")


@modules.command("info", context_settings=HELP_ONLY)
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stable keys) instead of text.")
def module_info(name: str, as_json: bool) -> None:
    """Show one installed module in detail: each command's flags and keys, each type."""
    from ferrite_host.cli.introspect import inspect_modules

    reports = inspect_modules()
    matches = [r for r in reports if name in (r.name, r.module_name)]
    if not matches:
        installed = ", ".join(r.name for r in reports) or "none"
        _fail(f"ferrite: no installed module named '{name}' (installed: {installed})")
    report = matches[0]
    if as_json:
        _echo_json(report.to_json(detailed=True))
        return
    distribution = " ".join(filter(None, [report.distribution, report.distribution_version]))
    fields = [
        ("Name", report.name),
        ("Module name", _dash(report.module_name)),
        ("Version", _dash(report.version)),
        ("API version", _dash(report.api_version)),
        ("Distribution", distribution or "-"),
        ("Entry point", report.entry_point),
        ("Status", report.status),
    ]
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        click.echo(f"{label + ':':<{width + 1}} {value}")
    if report.commands:
        click.echo("")
        click.echo("Commands:")
        rows = [
            [c.name, " ".join(c.flags) or "-", f"{c.first_key} {c.last_key} {c.key_step}"]
            for c in report.commands
        ]
        click.echo(_indent(render_table(["NAME", "FLAGS", "KEYS (first last step)"], rows)))
    if report.types:
        click.echo("")
        click.echo("Types:")
        rows = [[t.name, str(t.encver)] for t in report.types]
        click.echo(_indent(render_table(["NAME", "ENCVER"], rows)))


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


# -- a running server ---------------------------------------------------------------------


def connection_options(func: F) -> F:
    """redis-cli's connection flags (-h is the host here, as in redis-cli; help is --help)."""
    options = [
        click.option("-h", "host", default=None, help="Server host (default: 127.0.0.1)."),
        click.option("-p", "port", type=int, default=None, help="Server port (default: 6379)."),
        click.option("-a", "password", default=None, help="Password to AUTH with."),
        click.option("--user", default=None, help="ACL user name to AUTH with (with -a)."),
        click.option(
            "-u", "url", default=None, help="Server URL: redis://[user:pass@]host:port[/db]."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run_remote(
    host: str | None,
    port: int | None,
    password: str | None,
    user: str | None,
    url: str | None,
    *command: str,
) -> Any:
    """Send one command; on failure print one line (the server's error verbatim) and exit 1."""
    try:
        endpoint = Endpoint.from_options(host, port, password, user, url)
    except ValueError as exc:
        _fail(f"ferrite: {exc}")
    try:
        with RemoteServer(endpoint) as server:
            return server.command(*command)
    except ServerUnreachable as exc:
        _fail(f"ferrite: {exc}")
    except ServerError as exc:
        _fail(str(exc))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _parse_module_list(reply: list[Any]) -> list[dict[str, Any]]:
    """MODULE LIST's flat name/value arrays (RESP2) as dicts."""
    entries = []
    for item in reply:
        pairs = dict(zip(item[::2], item[1::2], strict=False))
        entries.append(
            {
                "name": _text(pairs.get(b"name", b"")),
                "ver": pairs.get(b"ver"),
                "path": _text(pairs.get(b"path", b"")),
                "args": [_text(arg) for arg in pairs.get(b"args", [])],
            }
        )
    return entries


@modules.command("loaded", context_settings=HELP_ONLY)
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (stable keys) instead of a table."
)
@connection_options
def loaded(
    as_json: bool,
    host: str | None,
    port: int | None,
    password: str | None,
    user: str | None,
    url: str | None,
) -> None:
    """Show the modules a running server has loaded (MODULE LIST)."""
    entries = _parse_module_list(_run_remote(host, port, password, user, url, "MODULE", "LIST"))
    entries.sort(key=lambda entry: entry["name"])
    if as_json:
        _echo_json(entries)
        return
    if not entries:
        click.echo("No modules loaded.")
        return
    rows = [[e["name"], _dash(e["ver"]), " ".join(e["args"]) or "-", e["path"]] for e in entries]
    click.echo(render_table(["NAME", "VERSION", "ARGS", "PATH"], rows))


@modules.command("load", context_settings={**HELP_ONLY, "ignore_unknown_options": True})
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@connection_options
def load(
    name: str,
    args: tuple[str, ...],
    host: str | None,
    port: int | None,
    password: str | None,
    user: str | None,
    url: str | None,
) -> None:
    """Load installed module NAME on a running server (MODULE LOAD NAME ARGS...)."""
    _run_remote(host, port, password, user, url, "MODULE", "LOAD", name, *args)
    click.echo(f"Loaded {name}.")


@modules.command("unload", context_settings=HELP_ONLY)
@click.argument("name")
@connection_options
def unload(
    name: str,
    host: str | None,
    port: int | None,
    password: str | None,
    user: str | None,
    url: str | None,
) -> None:
    """Unload module NAME from a running server (MODULE UNLOAD NAME)."""
    _run_remote(host, port, password, user, url, "MODULE", "UNLOAD", name)
    click.echo(f"Unloaded {name}.")


def register(cli: click.Group) -> None:
    cli.add_command(modules)
