"""`ferrite check-snapshot FILE` and `ferrite check-aof [--fix] FILE`: offline file checks.

check-snapshot reads both Redis RDB files (what Ferrite and Redis write) and Ferrite's
previous snapshot format, and names the module types whose modules a file needs.

Like redis-check-rdb / redis-check-aof: say whether the file is intact, and if not, where
(byte offset) and why, and how much of it is readable. Exit code 0 = intact, 1 = damaged.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import click

from ferrite_host.persistence.aof import AofFormatError, parse_aof
from ferrite_host.persistence.rdb.reader import RdbContents
from ferrite_host.persistence.snapshot import SnapshotContents, SnapshotError, parse_snapshot


def register(cli: click.Group) -> None:
    cli.add_command(check_snapshot)
    cli.add_command(check_aof)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        click.echo(f"{path}: cannot read the file: {exc.strerror}", err=True)
        sys.exit(1)


@click.command("check-snapshot")
@click.argument("file", type=click.Path(path_type=Path))
def check_snapshot(file: Path) -> None:
    """Check a snapshot file (dump.rdb): report damage with its offset, or what it holds."""
    data = _read(file)
    click.echo(f"[offset 0] Checking snapshot file {file} ({len(data)} bytes)")
    if not data:
        click.echo("OK: the file is empty (0 bytes); Ferrite starts with an empty dataset")
        return
    try:
        contents = parse_snapshot(data)
    except SnapshotError as exc:
        click.echo(f"DAMAGED: {file} at offset {exc.offset}: {exc.reason}")
        click.echo(f"{exc.keys_read} keys readable before the damage")
        sys.exit(1)
    for line in describe_snapshot(contents):
        click.echo(line)
    click.echo(f"OK: {len(contents.records)} keys readable, checksum verified")


def describe_snapshot(contents: SnapshotContents) -> list[str]:
    rdb = isinstance(contents, RdbContents)
    kind = "Redis RDB" if rdb else "Ferrite snapshot"
    lines = [f"[info] {kind}, format version {contents.version}"]
    for name, value in sorted(contents.aux.items()):
        text = value.decode("utf-8", "replace")
        if name in ("ctime-ms", "ctime") and text.isdigit():
            seconds = int(text) / (1000 if name == "ctime-ms" else 1)
            moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
            text = moment.isoformat(timespec="seconds")
        lines.append(f"[info] {name}: {text}")
    for db, count in sorted(contents.key_counts().items()):
        lines.append(f"[info] db {db}: {count} keys")
    for (type_name, module), count in sorted(contents.module_types().items()):
        if module:
            lines.append(f"[info] module type '{type_name}' (module '{module}'): {count} keys")
        else:
            lines.append(
                f"[info] module type '{type_name}': {count} keys; needs the module that "
                "registers this type"
            )
    if isinstance(contents, RdbContents):
        if contents.functions:
            lines.append(f"[info] {len(contents.functions)} function librar(y/ies) (not loaded)")
        for name in contents.module_aux:
            lines.append(f"[info] module aux data of module type '{name}' (not loaded)")
        if contents.empty_keys:
            lines.append(f"[info] {contents.empty_keys} empty key(s), skipped when loading")
    return lines


@click.command("check-aof")
@click.option(
    "--fix", is_flag=True, help="Cut a truncated tail off the file (keeps what is whole)."
)
@click.argument("file", type=click.Path(path_type=Path))
def check_aof(file: Path, fix: bool) -> None:
    """Check an append-only file; with --fix, repair a truncated tail."""
    data = _read(file)
    try:
        parsed = parse_aof(data)
    except AofFormatError as exc:
        click.echo(f"DAMAGED: {file} at offset {exc.offset}: {exc.reason}")
        click.echo("This is not a truncated tail; it cannot be repaired automatically.")
        sys.exit(1)
    commands = sum(len(unit) for unit in parsed.units)
    if parsed.truncated_at is None:
        click.echo(f"OK: {file}: {commands} commands, {len(data)} bytes")
        return
    lost = len(data) - parsed.truncated_at
    click.echo(
        f"TRUNCATED: {file} at offset {parsed.truncated_at}: {parsed.truncated_reason}; "
        f"ok_up_to={parsed.truncated_at} diff={lost} ({commands} whole commands before it)"
    )
    if not fix:
        click.echo("Run again with --fix to cut the file at that offset.")
        sys.exit(1)
    with open(file, "r+b") as handle:
        handle.truncate(parsed.truncated_at)
    click.echo(f"Successfully truncated {file} to {parsed.truncated_at} bytes")
