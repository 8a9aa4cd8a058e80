"""Fixtures for persistence tests: real servers in a test's own directory, in-process states."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from persist_helpers import Servers

from ferrite_host.assembly import build_state
from ferrite_host.core.config import Settings
from ferrite_host.core.state import ServerState
from ferrite_host.persistence.manager import Persistence


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    manager = Servers(tmp_path)
    yield manager
    manager.stop_all()


@pytest.fixture
def make_state(tmp_path: Path) -> Iterator[Callable[..., ServerState]]:
    """In-process server states whose persistence files live in tmp_path (closed after)."""
    built: list[ServerState] = []

    def build(**settings: Any) -> ServerState:
        settings.setdefault("dir", str(tmp_path))
        settings.setdefault("save", "")
        state = build_state(Settings(**settings))
        built.append(state)
        return state

    yield build
    for state in built:
        if Persistence.of(state) is not None:
            Persistence.of(state).close()
