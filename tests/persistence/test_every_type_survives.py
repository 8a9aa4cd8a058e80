"""Every built-in type (strings with bitmaps and HyperLogLog, lists, hashes, sets, sorted
sets with geo) survives SAVE, BGSAVE, AOF replay after kill -9 and AOF rewrite, with binary
members, big and small values (compact and plain encodings) and expiries."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from persist_helpers import Servers, wait_no_child

BINARY = bytes(range(256))


def _fill(client: redis.Redis) -> None:
    client.set("str", BINARY)
    client.setbit("bits", 1000, 1)
    client.pfadd("hll", *[f"e{i}" for i in range(50)])
    client.rpush("list-small", b"a", BINARY, b"")
    client.rpush("list-big", *[f"item-{i}" for i in range(2000)])
    client.hset("hash-small", mapping={b"f": BINARY, b"g": b""})
    client.hset("hash-big", mapping={f"f{i}": f"v{i}" for i in range(700)})
    client.sadd("set-int", 1, 2, -3)
    client.sadd("set-big", *[f"m{i}" for i in range(600)], BINARY)
    client.zadd("zset-small", {b"a": 1.5, BINARY: -2.25})
    client.zadd("zset-big", {f"m{i}": i / 7 for i in range(300)})
    client.geoadd("geo", (13.361389, 38.115556, "Palermo"), (15.087269, 37.502669, "Catania"))
    client.expire("list-big", 10_000)
    client.pexpire("zset-small", 20_000_000)


def _snapshot(client: redis.Redis) -> dict[str, Any]:
    values: dict[str, Any] = {
        "str": client.get("str"),
        "bits": (client.getbit("bits", 1000), client.bitcount("bits")),
        "hll": (client.pfcount("hll"), client.get("hll")),
        "list-small": client.lrange("list-small", 0, -1),
        "list-big": client.lrange("list-big", 0, -1),
        "hash-small": client.hgetall("hash-small"),
        "hash-big": client.hgetall("hash-big"),
        "set-int": client.smembers("set-int"),
        "set-big": client.smembers("set-big"),
        "zset-small": client.zrange("zset-small", 0, -1, withscores=True),
        "zset-big": client.zrange("zset-big", 0, -1, withscores=True),
        "geo": client.geopos("geo", "Palermo", "Catania"),
    }
    values["ttl"] = (client.ttl("list-big") > 9_000, client.pttl("zset-small") > 19_000_000)
    values["encodings"] = [
        client.object("encoding", key)
        for key in ("list-big", "hash-small", "hash-big", "set-int", "set-big", "zset-small")
    ]
    return values


@pytest.mark.parametrize("how", ["save", "bgsave"])
def test_snapshot_round_trip(servers: Servers, how: str) -> None:
    first = servers.start("--save", "")
    client = first.client()
    _fill(client)
    before = _snapshot(client)
    if how == "save":
        client.save()
    else:
        client.bgsave()
        wait_no_child(client)
    first.stop()
    assert _snapshot(servers.start("--save", "").client()) == before


def test_aof_replay_after_kill_and_rewrite(servers: Servers) -> None:
    aof = ("--appendonly", "yes", "--appendfsync", "always", "--save", "")
    first = servers.start(*aof)
    client = first.client()
    _fill(client)
    before = _snapshot(client)
    first.kill()
    second = servers.start(*aof)
    assert _snapshot(second.client()) == before
    second.client().bgrewriteaof()
    wait_no_child(second.client())
    second.kill()
    assert _snapshot(servers.start(*aof).client()) == before
