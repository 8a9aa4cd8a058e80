"""Keeps the keyspace's encoding thresholds equal to the settings of the same names.

The keyspace imports nothing from the rest of Ferrite, so it cannot read settings itself;
this copies them at start-up and again whenever CONFIG SET changes one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.config import ENCODING_LIMITS

if TYPE_CHECKING:
    from ferrite_host.server.state import ServerState


def sync_encoding_limits(state: ServerState, changed: set[str] | None = None) -> None:
    """Copy the thresholds (all of them, or the `changed` fields) onto the keyspace."""
    limits = state.keyspace.limits
    for field in ENCODING_LIMITS:
        if changed is None or field in changed:
            setattr(limits, field, getattr(state.settings, field))


def install(state: ServerState) -> None:
    sync_encoding_limits(state)
    state.config_listeners.append(lambda changed: sync_encoding_limits(state, changed))
