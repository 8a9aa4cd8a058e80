"""Function libraries survive a restart: through the snapshot, the append-only file, and a
rewritten append-only file (real servers sharing one directory)."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import redis
from persist_helpers import Servers, wait_for, wait_no_child

from ferrite_host.testing import free_port

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


REDIS_SERVER = shutil.which("redis-server")


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_libraries_cross_between_redis_and_ferrite_through_the_rdb(
    servers: Servers, tmp_path: Path
) -> None:
    """A dump.rdb written by redis-server brings its libraries along, and back again."""
    port = free_port()
    redis_dir = tmp_path / "redis"
    redis_dir.mkdir()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(redis_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        theirs = redis.Redis(port=port, decode_responses=True)
        wait_for(lambda: _pings(theirs), what="redis-server to start")
        theirs.function_load(LIBRARY)
        theirs.save()
    finally:
        proc.kill()
        proc.wait(10)
    shutil.copy(redis_dir / "dump.rdb", servers.dir / "dump.rdb")
    ours = servers.start("--save", "", "--appendonly", "no")
    client = ours.client(protocol=2, decode_responses=True)
    assert _names(client) == ["counters"]
    assert client.fcall("bump", 1, "n") == 1
    assert client.save()
    ours.stop()
    back = tmp_path / "back"
    back.mkdir()
    shutil.copy(servers.dir / "dump.rdb", back / "dump.rdb")
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(back)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        theirs = redis.Redis(port=port, decode_responses=True)
        wait_for(lambda: _pings(theirs), what="redis-server to load Ferrite's snapshot")
        assert theirs.fcall("bump", 1, "n") == 2
    finally:
        proc.kill()
        proc.wait(10)


def _pings(client: redis.Redis) -> bool | None:
    try:
        return bool(client.ping()) or None
    except redis.ConnectionError:
        return None
