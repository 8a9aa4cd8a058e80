"""The Persistence and Loading server events, announced through the host hooks as Redis
fires them for modules (RM_SubscribeToServerEvent)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.core import events as ev

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState


def announce(state: ServerState, event: int, subevent: int) -> None:
    state.hooks.hook.ferrite_server_event(state=state, event=event, subevent=subevent, data=None)


def announce_persistence(state: ServerState, subevent: int) -> None:
    announce(state, ev.PERSISTENCE, subevent)
