"""Crash-safe file handling: temp file, flush, fsync, rename, fsync the directory.

A reader of the final path sees either the old complete file or the new complete file, never
a mix, whatever moment the process (or the machine) dies at.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar

T = TypeVar("T")

log = logging.getLogger("ferrite")

#: Temp files this server writes; the number is the pid of the process that wrote it.
TEMP_PATTERNS = (
    re.compile(r"^temp-(\d+)\.rdb$"),
    re.compile(r"^temp-rewriteaof-(?:bg-)?(\d+)\.aof$"),
)


def snapshot_temp_name(pid: int) -> str:
    return f"temp-{pid}.rdb"


def rewrite_temp_name(pid: int) -> str:
    return f"temp-rewriteaof-bg-{pid}.aof"


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems cannot fsync a directory; the rename still holds
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def sync_file(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def write_atomically(final: Path, temp: Path, write: Callable[[BinaryIO], T]) -> T:
    """Run `write` on `temp`, make it durable and move it over `final`; returns write's result.

    On any failure the temp file is removed and `final` is left as it was.
    """
    try:
        with open(temp, "wb") as handle:
            result = write(handle)
            sync_file(handle)
        os.replace(temp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_dir(final.parent)
    return result


def _pid_alive(pid: int) -> bool:
    """True for a running process; a zombie (killed, not yet reaped) counts as gone."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def stale_temp_files(directory: Path) -> Iterator[Path]:
    """Temp files left by a save or rewrite whose process is gone (a crash mid-write)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        for pattern in TEMP_PATTERNS:
            match = pattern.match(name)
            if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
                yield directory / name


def remove_stale_temp_files(directory: Path) -> None:
    for path in stale_temp_files(directory):
        try:
            path.unlink()
            log.info("Removed stale temp file %s left by an interrupted save", path)
        except OSError as exc:
            log.warning("Could not remove stale temp file %s: %s", path, exc.strerror)


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (a short write is not an error)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def unlink_quietly(path: Path) -> None:
    """Remove a temp file that may already be gone; other failures are only logged."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("Could not remove %s: %s", path, exc.strerror)
