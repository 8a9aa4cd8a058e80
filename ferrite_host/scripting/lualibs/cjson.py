"""placeholder"""

from __future__ import annotations

from typing import Any

NAME = "cjson"


def build(sandbox: Any) -> Any:
    return sandbox.table()
