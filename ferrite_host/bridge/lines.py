"""The `loadmodule` line that loads one installed Ferrite module through the bridge."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path


def loadmodule_line(bridge: Path, entry_point: str, args: list[str] | None = None) -> str:
    """`loadmodule <bridge> venv=<this environment> <entry point> [args...]` for redis.conf."""
    words = [str(bridge), f"venv={sys.prefix}", entry_point, *(args or [])]
    return "loadmodule " + " ".join(shlex.quote(word) for word in words)
