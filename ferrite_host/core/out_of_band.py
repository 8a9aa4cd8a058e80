"""Out-of-band writes: bytes the server sends a client outside its own request/reply cycle
(MONITOR lines today). The network layer registers one writer per connected client."""

from __future__ import annotations

from collections.abc import Callable

#: Queues bytes for one client's socket, after any reply it is being sent right now.
Writer = Callable[[bytes], None]


class OutOfBand:
    def __init__(self) -> None:
        self._writers: dict[int, Writer] = {}

    def register(self, client_id: int, writer: Writer) -> None:
        self._writers[client_id] = writer

    def unregister(self, client_id: int) -> None:
        self._writers.pop(client_id, None)

    def writer(self, client_id: int) -> Writer | None:
        """The client's writer; None for internal callers (modules, AOF replay)."""
        return self._writers.get(client_id)
