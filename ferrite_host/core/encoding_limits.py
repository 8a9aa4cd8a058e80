"""Keeps the keyspace's encoding thresholds equal to the settings of the same names.

The keyspace imports nothing from the rest of Ferrite, so it cannot read settings itself;
this copies them when the server is assembled and again whenever CONFIG SET changes one
(through the `ferrite_config_changed` host hook).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.core.config import ENCODING_LIMITS
from ferrite_host.core.hookspecs import hookimpl

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState


def sync_encoding_limits(state: ServerState, changed: set[str] | None = None) -> None:
    """Copy the thresholds (all of them, or only the `changed` fields) onto the keyspace."""
    limits = state.keyspace.limits
    for field in ENCODING_LIMITS:
        if changed is None or field in changed:
            setattr(limits, field, getattr(state.settings, field))


class EncodingLimitsSync:
    """The host-hook plugin that re-copies the thresholds after CONFIG SET."""

    @hookimpl
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        sync_encoding_limits(state, changed)

    @classmethod
    def attach(cls, state: ServerState) -> None:
        sync_encoding_limits(state)
        state.hooks.register(cls())
