"""Function libraries survive a restart: through the snapshot, the append-only file, and a
rewritten append-only file (real servers sharing one directory)."""

from __future__ import annotations

import signal

import redis
from persist_helpers import Servers, wait_no_child

LIBRARY = (
    "#!lua name=counters\n"
    "redis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)"
)


def _load(client: redis.Redis) -> None:
    assert client.function_load(LIBRARY) == "counters"


def _names(client: redis.Redis) -> list[str]:
    """Library names from FUNCTION LIST (RESP2: each library is a flat field/value list)."""
    return [library[library.index("library_name") + 1] for library in client.function_list()]


def test_functions_survive_a_restart_through_the_snapshot(servers: Servers) -> None:
    first = servers.start("--save", "", "--appendonly", "no")
    client = first.client(protocol=2, decode_responses=True)
    _load(client)
    assert client.fcall("bump", 1, "n") == 1
    assert client.save()
    first.stop()
    second = servers.start("--save", "", "--appendonly", "no")
    again = second.client(protocol=2, decode_responses=True)
    assert again.fcall("bump", 1, "n") == 2
    assert _names(again) == ["counters"]


def test_functions_survive_a_crash_through_the_aof(servers: Servers) -> None:
    first = servers.start("--save", "", "--appendonly", "yes", "--appendfsync", "always")
    client = first.client(protocol=2, decode_responses=True)
    _load(client)
    assert client.fcall("bump", 1, "n") == 1
    client.function_load(LIBRARY.replace("counters", "gone").replace("bump", "other"))
    client.function_delete("gone")
    first.stop(signal.SIGKILL)
    second = servers.start("--save", "", "--appendonly", "yes")
    again = second.client(protocol=2, decode_responses=True)
    assert _names(again) == ["counters"]
    assert again.fcall("bump", 1, "n") == 2


def test_functions_survive_an_aof_rewrite(servers: Servers) -> None:
    first = servers.start("--save", "", "--appendonly", "yes", "--appendfsync", "always")
    client = first.client(protocol=2, decode_responses=True)
    _load(client)
    client.fcall("bump", 1, "n")
    client.bgrewriteaof()
    wait_no_child(client)
    first.stop(signal.SIGKILL)
    second = servers.start("--save", "", "--appendonly", "yes")
    again = second.client(protocol=2, decode_responses=True)
    assert again.fcall("bump", 1, "n") == 2
