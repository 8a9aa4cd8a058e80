"""Function libraries in the snapshot and the rewritten append-only file.

Redis keeps libraries in the RDB; Ferrite's snapshot carries them as one aux field holding
a FUNCTION DUMP payload, and a rewritten AOF starts with FUNCTION RESTORE. Between rewrites
the AOF holds the FUNCTION LOAD / DELETE / FLUSH / RESTORE commands themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.core.errors import CommandError
from ferrite_host.scripting.scripting import Scripting

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState

#: The snapshot aux field holding the function libraries.
FUNCTIONS_AUX = "ferrite-functions"


class FunctionsLoadError(Exception):
    """The snapshot's libraries could not be loaded (the text says why)."""


def functions_aux(state: ServerState) -> dict[str, bytes]:
    functions = Scripting.of(state).functions
    return {FUNCTIONS_AUX: functions.dump()} if functions.libraries else {}


def functions_commands(state: ServerState) -> list[list[bytes]]:
    """What rebuilds the libraries at the start of a rewritten append-only file."""
    functions = Scripting.of(state).functions
    if not functions.libraries:
        return []
    return [[b"FUNCTION", b"RESTORE", functions.dump(), b"REPLACE"]]


def restore_functions(state: ServerState, aux: dict[str, bytes]) -> None:
    payload = aux.get(FUNCTIONS_AUX)
    if payload is None:
        return
    try:
        Scripting.of(state).functions.restore(payload, "flush")
    except CommandError as exc:
        raise FunctionsLoadError(f"its function libraries: {exc.message}") from None
