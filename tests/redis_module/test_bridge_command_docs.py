"""COMMAND INFO and COMMAND DOCS of module commands on redis-server through the bridge
(RedisModule_SetCommandInfo, sent in OnLoad) against `ferrite serve`: summary, since,
complexity, arity (which Redis then checks itself), declared arguments and key specs, and
the key spec Ferrite declares for a Pythonic command with key positions.

Raw replies are compared (redis-py's parser for COMMAND DOCS is not used). `display_text`
is left out: Ferrite renders Redis 7.2's argument fields, which 7.0's module API lacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_module_helpers import fx_env

from ferrite_host.testing import FerriteProcess
from ferrite_host.testing.bridge_process import BridgeUnavailable, RedisBridgeProcess, ensure_bridge

pytestmark = pytest.mark.timeout(180)

MODULES: list[str | tuple[str, ...]] = ["fx_events", "fx_pythonic"]
QUERIES: list[tuple[object, ...]] = [
    ("COMMAND", "DOCS", "fxp.doc"),
    ("COMMAND", "INFO", "fxp.doc"),
    ("COMMAND", "DOCS", "fxp.add"),
    ("COMMAND", "INFO", "fxp.add"),
    ("COMMAND", "INFO", "fxp.map"),
    ("COMMAND", "DOCS", "fxe.access"),
    ("COMMAND", "INFO", "fxe.access"),
    ("COMMAND", "GETKEYS", "fxp.doc", "k1"),
    ("COMMAND", "GETKEYS", "fxp.add", "k2", "3"),
    ("fxp.doc",),
    ("fxp.map", "extra"),
]


@pytest.fixture(scope="module")
def hosts(
    fx_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[FerriteProcess, RedisBridgeProcess]]:
    try:
        so = ensure_bridge(tmp_path_factory.mktemp("bridge-build"))
    except BridgeUnavailable as exc:
        pytest.skip(str(exc))
    ferrite = FerriteProcess(modules=MODULES, env=fx_env(fx_site))
    bridge = RedisBridgeProcess(modules=MODULES, bridge=so, paths=[fx_site])
    with ferrite, bridge:
        yield ferrite, bridge


def raw(client: redis.Redis, *args: object) -> Any:
    connection = client.connection_pool.get_connection()
    try:
        connection.send_command(*args)
        try:
            return without_display_text(connection.read_response())
        except redis.ResponseError as exc:
            return ("error", str(exc))
    finally:
        client.connection_pool.release(connection)


def without_display_text(reply: Any) -> Any:
    if isinstance(reply, list):
        pairs = len(reply) % 2 == 0 and all(isinstance(k, bytes) for k in reply[::2])
        if pairs and b"display_text" in reply[::2]:
            index = reply[::2].index(b"display_text") * 2
            reply = reply[:index] + reply[index + 2 :]
        return [without_display_text(item) for item in reply]
    return reply


def test_command_metadata_is_the_same_on_both_hosts(
    hosts: tuple[FerriteProcess, RedisBridgeProcess],
) -> None:
    ferrite, bridge = (host.client(protocol=2) for host in hosts)
    for query in QUERIES:
        assert raw(bridge, *query) == raw(ferrite, *query), query
    docs = raw(bridge, "COMMAND", "DOCS", "fxp.doc")[1]
    assert dict(zip(docs[::2], docs[1::2], strict=True)) == {
        b"summary": b"Documents itself",
        b"since": b"1.2.0",
        b"group": b"module",
        b"complexity": b"O(1)",
        b"module": b"fx_pythonic",
        b"arguments": docs[-1],
    }
    info = raw(bridge, "COMMAND", "INFO", "fxp.add")[0]
    assert info[1] == -2  # the declared arity, where CreateCommand alone shows -1
    assert info[8][0][:2] == [b"flags", [b"RW", b"update"]]
    assert raw(bridge, "fxp.doc") == ("error", "wrong number of arguments for 'fxp.doc' command")
    for client in (ferrite, bridge):
        client.close()
