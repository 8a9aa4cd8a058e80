"""RM_SubscribeToServerEvent: FlushDB, ClientChange, ModuleChange, SwapDB and Config reach
a module that subscribed in on_load, with Redis's event ids, subevents and data."""

from __future__ import annotations

from typing import Any

from ferrite_host.redis_module import RedisModule
from ferrite_host.redis_module.api import ServerEvent, Status
from ferrite_host.testing import Harness


class Listener:
    """A Redis-shaped module object that records every server event it hears."""

    def __init__(self) -> None:
        self.heard: list[tuple[int, int, Any]] = []

    def module_info(self) -> dict[str, object]:
        return {"name": "listener", "version": 1}

    def on_load(self, module: RedisModule, args: list[str]) -> Status:
        for event in (
            ServerEvent.FLUSHDB,
            ServerEvent.CLIENT_CHANGE,
            ServerEvent.SWAPDB,
            ServerEvent.CONFIG,
            ServerEvent.MODULE_CHANGE,
        ):
            module.subscribe_to_server_event(event, self.record)
        return Status.OK

    def record(self, ctx: Any, event: int, subevent: int, data: Any) -> None:
        self.heard.append((event, subevent, data))


def test_events_reach_the_subscriber() -> None:
    listener = Listener()
    with Harness(listener) as harness:
        listener.heard.clear()
        harness.call("SELECT", "3")
        harness.call("FLUSHDB")
        harness.call("FLUSHALL")
        harness.call("SWAPDB", "0", "1")
        harness.call("CONFIG", "SET", "hz", "20")
        client = harness.state.new_session()
        harness.state.drop_session(client)
        assert listener.heard == [
            (ServerEvent.FLUSHDB, 0, 3),
            (ServerEvent.FLUSHDB, 1, 3),
            (ServerEvent.FLUSHDB, 0, -1),
            (ServerEvent.FLUSHDB, 1, -1),
            (ServerEvent.SWAPDB, 0, (0, 1)),
            (ServerEvent.CONFIG, 0, ["hz"]),
            (ServerEvent.CLIENT_CHANGE, 0, client.id),
            (ServerEvent.CLIENT_CHANGE, 1, client.id),
        ]
        listener.heard.clear()
        harness.call("MODULE", "UNLOAD", "listener")
        harness.call("FLUSHALL")
        assert listener.heard == []  # unsubscribed with the unload


class PersistenceListener(Listener):
    def on_load(self, module: RedisModule, args: list[str]) -> Status:
        module.subscribe_to_server_event(ServerEvent.PERSISTENCE, self.record)
        module.subscribe_to_server_event(ServerEvent.LOADING, self.record)
        return Status.OK


def test_persistence_and_loading_events_with_redis_subevents() -> None:
    listener = PersistenceListener()
    with Harness(listener) as harness:
        listener.heard.clear()
        harness.call("SET", "k", "v")
        harness.call("SAVE")
        assert listener.heard == [
            (ServerEvent.PERSISTENCE, 2, None),  # SYNC_RDB_START
            (ServerEvent.PERSISTENCE, 3, None),  # ENDED
        ]
        listener.heard.clear()
        harness.restart(save=False)
        assert listener.heard == [
            (ServerEvent.LOADING, 0, None),  # RDB_START
            (ServerEvent.LOADING, 3, None),  # ENDED
        ]
        assert harness.call("GET", "k") == b"v"
