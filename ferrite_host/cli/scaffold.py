"""`ferrite new NAME`: scaffold a module distribution from `ferrite_plugin_template`.

The template ships inside ferrite-host, so a generated project always matches the installed
host: its `api_version`, its dependency pin and the test fixtures it uses.
"""

from __future__ import annotations

import getpass
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import jinja2

from ferrite_host import __version__

#: Module names: what MODULE LIST shows, the entry point name and the command prefix.
NAME_RE = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
MAX_NAME_LENGTH = 40
TEMPLATE_SUFFIX = ".j2"


class ScaffoldError(Exception):
    """Why a project could not be generated, phrased for the person who asked."""


@dataclass(frozen=True)
class ProjectNames:
    """Every name a generated project uses, derived from the one the user chose."""

    name: str

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    @property
    def distribution(self) -> str:
        return f"ferrite-{self.slug}"

    @property
    def package(self) -> str:
        return "ferrite_" + self.slug.replace("-", "_")

    @property
    def command(self) -> str:
        return f"{self.name}.tally"

    @property
    def type_name(self) -> str:
        """1-9 characters, as module type names must be: up to 4 of the name + "tally"."""
        return re.sub(r"[^a-z0-9]", "", self.name)[:4] + "tally"


def validate_name(raw: str) -> ProjectNames:
    name = raw.strip()
    for prefix in ("ferrite-", "ferrite_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
    if len(name) > MAX_NAME_LENGTH or not NAME_RE.fullmatch(name):
        raise ScaffoldError(
            f"invalid module name {raw!r}: use lowercase letters and digits, optionally joined "
            f"by single '-' or '_', starting with a letter, at most {MAX_NAME_LENGTH} characters "
            "(for example: acme, rate-limit, geo_tools)"
        )
    return ProjectNames(name)


def one_line(text: str, what: str) -> str:
    """Descriptions and author names go into TOML and docstrings: keep them one plain line."""
    cleaned = " ".join(text.split())
    if '"""' in cleaned or "\\" in cleaned:
        raise ScaffoldError(f"the {what} may not contain triple quotes or backslashes")
    return cleaned


def template_root() -> Path:
    from ferrite_plugin_template import TEMPLATE_ROOT

    return TEMPLATE_ROOT


def render_project(names: ProjectNames, target: Path, description: str, author: str) -> list[Path]:
    """Render the template into `target` (which must not exist); returns the files written."""
    if target.exists():
        raise ScaffoldError(
            f"{target} already exists; choose another name or --dir, or remove it first"
        )
    root = template_root()
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context = {
        "name": names.name,
        "distribution": names.distribution,
        "package": names.package,
        "command": names.command,
        "type_name": names.type_name,
        "description": description,
        "author": author,
        "host_version": __version__,
    }
    written: list[Path] = []
    for source in sorted(root.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        relative = source.relative_to(root).as_posix()
        destination = target / environment.from_string(relative).render(context)
        if destination.name.endswith(TEMPLATE_SUFFIX):
            destination = destination.with_name(destination.name[: -len(TEMPLATE_SUFFIX)])
            content = environment.get_template(relative).render(context)
        else:
            content = source.read_text()
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(content)
        written.append(destination)
    return written


def _default_author() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "Your Name"


@click.command("new", context_settings={"help_option_names": ["--help"]})
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Create the project in this directory (default: ./NAME). It must not exist yet.",
)
@click.option("--description", default=None, help="One line saying what the module does.")
@click.option("--author", default=None, help="Author name for pyproject.toml.")
def new(name: str, directory: Path | None, description: str | None, author: str | None) -> None:
    """Create a new module project NAME from Ferrite's template.

    \b
    The project is a complete distribution: pyproject.toml with the `ferrite.modules` entry
    point, an example command and data type, tests against a real server, and a README.
    Then:
      pip install -e './NAME[test]' && (cd NAME && pytest)
    """
    try:
        names = validate_name(name)
        target = directory if directory is not None else Path(names.name)
        files = render_project(
            names,
            target,
            one_line(description or f"A Ferrite module: {names.name}.", "description"),
            one_line(author or _default_author(), "author"),
        )
    except ScaffoldError as exc:
        click.echo(f"ferrite: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Created {names.distribution} in {target}/ ({len(files)} files):")
    click.echo(
        f"  module {names.name!r}, package {names.package}, command {names.command},"
        f" data type {names.type_name}"
    )
    shown = target.as_posix()
    if not target.is_absolute() and not shown.startswith("."):
        shown = f"./{shown}"  # pip reads a bare "acme[test]" as a package name
    click.echo("Next:")
    click.echo(f"  pip install -e '{shown}[test]'")
    click.echo(f"  cd {shown} && pytest")


def register(cli: click.Group) -> None:
    cli.add_command(new)
