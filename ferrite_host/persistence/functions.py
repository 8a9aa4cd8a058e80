"""Function libraries in the snapshot and the rewritten append-only file.

As in Redis, the RDB snapshot holds each library's code as a FUNCTION2 record; a rewritten
AOF starts with FUNCTION LOAD REPLACE per library. Between rewrites the AOF holds the
FUNCTION LOAD / DELETE / FLUSH / RESTORE commands themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.core.errors import CommandError
from ferrite_host.scripting.scripting import Scripting

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState


class FunctionsLoadError(Exception):
    """The snapshot's libraries could not be loaded (the text says why)."""


def library_codes(state: ServerState) -> list[bytes]:
    """Each library's code, for the snapshot's FUNCTION2 records."""
    return [library.code for library in Scripting.of(state).functions.libraries.values()]


def functions_commands(state: ServerState) -> list[list[bytes]]:
    """What rebuilds the libraries at the start of a rewritten append-only file."""
    return [[b"FUNCTION", b"LOAD", b"REPLACE", code] for code in library_codes(state)]


def restore_functions(state: ServerState, codes: list[bytes]) -> None:
    """Load the snapshot's libraries (replacing same-named ones), all or none."""
    if not codes:
        return
    functions = Scripting.of(state).functions
    try:
        functions.load_all(codes)
    except CommandError as exc:
        raise FunctionsLoadError(f"its function libraries: {exc.message}") from None
