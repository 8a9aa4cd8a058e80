"""placeholder"""

from __future__ import annotations

from typing import Any

NAME = "cmsgpack"


def build(sandbox: Any) -> Any:
    return sandbox.table()
