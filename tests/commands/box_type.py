"""A module-style value type for tests that need a non-string, non-aggregate value in a key."""

from __future__ import annotations

from typing import Any


class BoxType:
    """The smallest module-style value type; `copy_mode` picks how COPY behaves ("deep",
    "missing": no copy callback, "fails": the callback returns None)."""

    name = "box-type1"
    encver = 0
    module_name = "tests"

    def __init__(self, copy_mode: str = "deep") -> None:
        self.copy_mode = copy_mode
        self.released: list[Any] = []

    def release(self, value: Any) -> None:
        self.released.append(value)

    def mem_usage(self, value: Any) -> int:
        return 0

    def digest(self, value: Any) -> bytes:
        return b""

    def copy(self, value: Any) -> Any:
        if self.copy_mode == "missing":
            raise NotImplementedError
        if self.copy_mode == "fails":
            return None
        return list(value)

    def can_save(self) -> bool:
        return False

    def save(self, value: Any) -> bytes:
        return b""

    def load(self, data: bytes, encver: int) -> Any:
        return []

    def aof_rewrite(self, value: Any, key: bytes) -> list[list[bytes]] | None:
        return None
