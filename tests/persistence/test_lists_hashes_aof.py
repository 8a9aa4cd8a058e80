"""Lists and hashes through the append-only file of a real server: replay after a crash, and
BGREWRITEAOF's rebuild commands (batched RPUSH/HSET) replayed after a restart, with binary,
empty and huge members, big (hashtable-encoded) values and expiries."""

from __future__ import annotations

from typing import Any

import redis
from persist_helpers import Servers, raw, wait_no_child

from ferrite_host.persistence.aof import parse_aof

AOF = ("--appendonly", "yes", "--appendfsync", "always")
BINARY = b"\x00\xff\r\n\x01 bin"
HUGE = b"h" * 300_000


def _fill(client: redis.Redis) -> None:
    client.rpush("list", "a", "b", "c", BINARY, "", HUGE)
    client.lpush("list", "z")
    client.lset("list", 1, "A")
    client.linsert("list", "BEFORE", "c", "b2")
    client.rpush("list", "c", "c")
    client.lrem("list", 2, "c")
    client.rpush("moved", "1", "2", "3")
    client.lmove("moved", "target", "LEFT", "RIGHT")
    client.rpoplpush("moved", "target")
    client.execute_command("LMPOP", "2", "none", "moved", "LEFT", "COUNT", "5")
    client.rpush("trimmed", *range(10))
    client.ltrim("trimmed", 2, -3)
    client.rpush("long", *range(1000))
    client.rpush("expiring", "x")
    client.pexpire("expiring", 3_600_000)
    client.hset("hash", mapping={"a": "1", "b": BINARY, BINARY: "bin-field", "": ""})
    client.hincrby("hash", "n", 5)
    client.hincrbyfloat("hash", "f", "0.1")
    client.hincrbyfloat("hash", "f", "0.2")
    client.hsetnx("hash", "a", "not set")
    client.hdel("hash", "b")
    client.hset("bighash", mapping={f"field:{i}": i for i in range(600)})
    client.hset("hugevalue", "f", HUGE)
    client.hset("emptied", "x", "1")
    client.hdel("emptied", "x")


def _state(client: redis.Redis) -> dict[bytes, Any]:
    """Every key's type, content, encoding and whether it has a TTL."""
    state: dict[bytes, Any] = {}
    for key in client.keys("*"):
        kind = client.type(key)
        content: Any
        if kind == b"list":
            content = client.lrange(key, 0, -1)
        elif kind == b"hash":
            content = sorted(client.hgetall(key).items())
        else:
            content = client.get(key)
        state[key] = (kind, content, client.object("encoding", key), client.pttl(key) > 0)
    return state


def test_lists_and_hashes_survive_replay_and_rewrite(servers: Servers) -> None:
    server = servers.start(*AOF)
    client = server.client()
    _fill(client)
    expected = _state(client)
    assert expected[b"list"][1][:3] == [b"z", b"A", b"b"]
    assert expected[b"hash"][1] == sorted(
        {b"a": b"1", BINARY: b"bin-field", b"": b"", b"n": b"5", b"f": b"0.3"}.items()
    )
    assert expected[b"bighash"][2] == b"hashtable" and expected[b"hash"][2] == b"listpack"
    assert b"emptied" not in expected and b"moved" not in expected
    server.kill()

    server = servers.start(*AOF)
    client = server.client()
    assert _state(client) == expected, "replaying the AOF rebuilt something else"
    assert raw(client, "BGREWRITEAOF") == b"Background append only file rewriting started"
    wait_no_child(client)
    server.kill()

    parsed = parse_aof((servers.dir / "appendonly.aof").read_bytes())
    commands = [command.argv for unit in parsed.units for command in unit]
    names = [argv[0].upper() for argv in commands if argv[0].upper() != b"SELECT"]
    assert b"LPUSH" not in names and b"HINCRBYFLOAT" not in names, "rewrite replays history"
    rebuilds = [argv for argv in commands if argv[0].upper() in (b"RPUSH", b"HSET")]
    assert all(len(argv) <= 2 + 128 for argv in rebuilds), "batches of at most 64 elements"
    assert sum(1 for argv in rebuilds if argv[1] == b"long") == 1000 // 64 + 1

    server = servers.start(*AOF)
    assert _state(server.client()) == expected, "the rewritten AOF rebuilt something else"
