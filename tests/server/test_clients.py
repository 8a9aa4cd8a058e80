"""redis-py, unmodified, in every combination: sync and asyncio, RESP2 and RESP3, with its
pure-Python parser and with hiredis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
from redis._parsers import (
    _AsyncHiredisParser,
    _AsyncRESP2Parser,
    _AsyncRESP3Parser,
    _HiredisParser,
    _RESP2Parser,
    _RESP3Parser,
)

from ferrite_host.testing import FerriteProcess

SYNC_PARSERS = {
    (2, "python"): _RESP2Parser,
    (3, "python"): _RESP3Parser,
    (2, "hiredis"): _HiredisParser,
    (3, "hiredis"): _HiredisParser,
}
ASYNC_PARSERS = {
    (2, "python"): _AsyncRESP2Parser,
    (3, "python"): _AsyncRESP3Parser,
    (2, "hiredis"): _AsyncHiredisParser,
    (3, "hiredis"): _AsyncHiredisParser,
}
COMBINATIONS = [
    pytest.param(p, k, id=f"resp{p}-{k}") for p in (2, 3) for k in ("python", "hiredis")
]
BINARY = b"\x00\xff\r\n$*\r\nbinary"


def check_common_replies(protocol: int, results: dict[str, Any]) -> None:
    assert results["ping"] is True
    assert results["get"] == BINARY
    assert results["incr"] == 11
    assert results["mget"] == [b"1", None, BINARY]
    hello = results["hello"]
    if isinstance(hello, list):  # RESP2 sends the map as a flat array
        hello = dict(zip(hello[::2], hello[1::2], strict=True))
    assert hello[b"proto"] == protocol and hello[b"server"] == b"redis"
    assert results["info"]["redis_version"].count(".") == 2
    assert results["info"]["connected_clients"] >= 1
    assert results["config"] == {"maxclients": "10000"}
    assert results["name"] in (b"worker-1", "worker-1")  # redis-py decodes it for RESP3
    assert results["client_info"]["name"] == "worker-1"
    assert any(c["name"] == "worker-1" for c in results["client_list"])
    seconds, micros = results["time"]
    assert seconds > 1_600_000_000 and 0 <= micros < 1_000_000
    assert results["memory"] > len(BINARY)
    assert results["count"] > 50
    assert results["pipeline"] == [True] * 50 + [53]
    assert results["dbsize"] == 53
    assert results["command"]["get"]["arity"] == 2
    assert results["double"] == (3.141 if protocol == 3 else b"3.141")


@pytest.fixture(scope="module")
def clients_server() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as proc:
        yield proc


@pytest.mark.parametrize(("protocol", "parser"), COMBINATIONS)
def test_sync_redis_py(clients_server: FerriteProcess, protocol: int, parser: str) -> None:
    parser_class = SYNC_PARSERS[protocol, parser]
    pool = redis.ConnectionPool(
        port=clients_server.port, protocol=protocol, parser_class=parser_class, db=protocol
    )
    client = redis.Redis(connection_pool=pool, protocol=protocol)
    connection = client.connection_pool.get_connection()
    assert type(connection._parser) is parser_class
    client.connection_pool.release(connection)
    client.flushdb()
    results: dict[str, Any] = {
        "ping": client.ping(),
        "set": client.set("bin", BINARY),
        "get": client.get("bin"),
        "incr": (client.set("n", 10), client.incr("n"))[1],
        "mget": (client.set("one", 1), client.mget("one", "missing", "bin"))[1],
        "hello": client.execute_command("HELLO", protocol),
        "info": client.info(),
        "config": client.config_get("maxclients"),
        "name": (client.client_setname("worker-1"), client.client_getname())[1],
        "client_info": client.client_info(),
        "client_list": client.client_list(),
        "time": client.time(),
        "memory": client.memory_usage("bin"),
        "count": client.command_count(),
        "command": client.command(),
        "double": client.execute_command("DEBUG", "PROTOCOL", "double"),
    }
    pipe = client.pipeline(transaction=False)
    for i in range(50):
        pipe.set(f"p{i}", i)
    pipe.dbsize()
    results["pipeline"] = pipe.execute()
    results["dbsize"] = client.dbsize()
    check_common_replies(protocol, results)
    client.close()


@pytest.mark.parametrize(("protocol", "parser"), COMBINATIONS)
def test_asyncio_redis_py(clients_server: FerriteProcess, protocol: int, parser: str) -> None:
    async def scenario() -> dict[str, Any]:
        parser_class = ASYNC_PARSERS[protocol, parser]
        pool = redis.asyncio.ConnectionPool(
            port=clients_server.port, protocol=protocol, parser_class=parser_class, db=4 + protocol
        )
        client = redis.asyncio.Redis(connection_pool=pool, protocol=protocol)
        connection = await pool.get_connection()
        assert type(connection._parser) is parser_class
        await pool.release(connection)
        await client.flushdb()
        results: dict[str, Any] = {"ping": await client.ping()}
        await client.set("bin", BINARY)
        results["get"] = await client.get("bin")
        await client.set("n", 10)
        results["incr"] = await client.incr("n")
        await client.set("one", 1)
        results["mget"] = await client.mget("one", "missing", "bin")
        results["hello"] = await client.execute_command("HELLO", protocol)
        results["info"] = await client.info()
        results["config"] = await client.config_get("maxclients")
        await client.client_setname("worker-1")
        results["name"] = await client.client_getname()
        results["client_info"] = await client.client_info()
        results["client_list"] = await client.client_list()
        results["time"] = await client.time()
        results["memory"] = await client.memory_usage("bin")
        results["count"] = await client.command_count()
        results["command"] = await client.command()
        results["double"] = await client.execute_command("DEBUG", "PROTOCOL", "double")
        pipe = client.pipeline(transaction=False)
        for i in range(50):
            pipe.set(f"p{i}", i)
        pipe.dbsize()
        results["pipeline"] = await pipe.execute()
        results["dbsize"] = await client.dbsize()
        concurrent = await asyncio.gather(*(client.incr("concurrent") for _ in range(100)))
        results["concurrent"] = sorted(concurrent)
        await client.aclose()
        await pool.aclose()
        return results

    results = asyncio.run(scenario())
    check_common_replies(protocol, results)
    assert results["concurrent"] == list(range(1, 101))
