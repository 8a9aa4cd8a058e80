"""The server's broadcast seams, as pluggy host hooks (project name "ferrite_host").

Subsystems (persistence, the module manager, later pub/sub or ACL) register a plugin object
on `state.hooks` instead of appending callbacks to lists on the state, as datasette registers
its defaults: the core calls the hook and knows none of them. Hot paths (keyspace change
events, propagation) keep direct subscriber lists instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState

PROJECT_NAME = "ferrite_host"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: An INFO section's fields, in display order.
InfoFields = list[tuple[str, object]]
InfoProvider = Callable[[], InfoFields]


class ServerHooks:
    """Hook specifications every server broadcasts."""

    @hookspec
    def ferrite_cron(self, state: ServerState) -> None:
        """Called on every cron tick (`hz` times a second), after active expiry."""

    @hookspec
    def ferrite_shutdown(self, state: ServerState, save: bool | None) -> None:
        """Called once when the server stops; `save` is SHUTDOWN's SAVE/NOSAVE (None: default).

        An exception makes the process exit non-zero (a failed final save)."""

    @hookspec
    def ferrite_info_sections(self, state: ServerState) -> Mapping[str, InfoProvider]:
        """Extra INFO sections by lower-case name; each provider returns its fields."""
        raise NotImplementedError

    @hookspec
    def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
        """Called after CONFIG SET with the Settings field names it changed."""

    @hookspec
    def ferrite_server_event(
        self, state: ServerState, event: int, subevent: int, data: object
    ) -> None:
        """A server event as Redis numbers them for modules (RedisModuleEvent_*: FlushDB 2,
        ClientChange 4, SwapDB 11, ModuleChange 9, ...), with its subevent and data."""

    @hookspec
    def ferrite_client_released(self, state: ServerState, session: Session) -> None:
        """A client disconnected or ran RESET: forget what is kept for it (subscriptions,
        tracking)."""


def new_plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(ServerHooks)
    return manager
