"""Sets and sorted sets survive the append-only file: replay of what was propagated (SPOP
as SREM, ZMPOP as ZPOPMIN, ...) and a rewrite, with binary members, many members, extreme
scores, encodings and expiries."""

from __future__ import annotations

import redis
from persist_helpers import Servers, raw, wait_no_child

AOF = ("--appendonly", "yes")
BINARY = bytes(range(256))


def _fill(client: redis.Redis) -> None:
    client.sadd("ints", *range(10))
    client.sadd("bin", BINARY, b"", b"\r\n", b"x" * 1000)
    client.sadd("big", *(f"m{index}" for index in range(700)))
    client.spop("big", 50)
    client.spop("ints")
    client.sadd("ttl", "a")
    client.pexpire("ttl", 10_000_000)
    client.smove("ints", "moved", "9")
    client.zadd("z", {"a": 1.1, "b": float("inf"), "c": float("-inf"), "d": 1e-300, BINARY: 0})
    client.zadd("zbig", {f"m{index}": index / 7 for index in range(300)})
    client.zincrby("z", 2.5, "a")
    client.execute_command("ZMPOP", 1, "zbig", "MIN", "COUNT", 3)
    client.zpopmax("zbig")
    client.zremrangebyscore("zbig", 10, 20)
    client.zunionstore("zu", ["z", "ints"], aggregate="MAX")
    if raw(client, "COMMAND", "INFO", "RPUSH") != [None]:
        client.execute_command("SORT", "ints", "STORE", "sorted")  # rewritten as RPUSH


def _snapshot(client: redis.Redis) -> dict[str, object]:
    keys = sorted(client.keys())
    found: dict[str, object] = {}
    for key in keys:
        kind = client.type(key).decode()
        if kind == "set":
            found[f"{key!r}"] = (kind, sorted(client.smembers(key)), client.object("encoding", key))
        elif kind == "zset":
            found[f"{key!r}"] = (
                kind,
                raw(client, "ZRANGE", key, 0, -1, "WITHSCORES"),
                client.object("encoding", key),
            )
        else:
            found[f"{key!r}"] = (kind, raw(client, "SORT", key, "BY", "nosort"))
        found[f"{key!r} ttl"] = client.pttl(key) > 0
    return found


def test_replay_and_rewrite_round_trip(servers: Servers) -> None:
    server = servers.start(*AOF)
    client = server.client(protocol=2)
    _fill(client)
    before = _snapshot(client)
    assert before["b'ttl' ttl"] is True
    server.stop()

    server = servers.start(*AOF)
    client = server.client(protocol=2)
    assert _snapshot(client) == before, "replaying the AOF rebuilt every value"
    assert raw(client, "BGREWRITEAOF") == b"Background append only file rewriting started"
    info = wait_no_child(client)
    assert info["aof_last_bgrewrite_status"] == "ok"
    server.stop()

    text = (servers.dir / "appendonly.aof").read_bytes()
    assert b"SPOP" not in text and b"ZMPOP" not in text
    server = servers.start(*AOF)
    client = server.client(protocol=2)
    assert _snapshot(client) == before, "the rewritten AOF rebuilt every value"
