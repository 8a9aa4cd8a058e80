"""`PersistenceError`: a save, rewrite or reload that failed, worded as the client's reply."""

from __future__ import annotations

from ferrite_host.core.errors import CommandError


class PersistenceError(CommandError):
    """A save, rewrite or reload that failed; its `message` is the client's error reply."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail if detail.startswith("ERR") else f"ERR {detail}")
        self.detail = detail
