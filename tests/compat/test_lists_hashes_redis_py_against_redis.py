"""redis-py's own list and hash methods (their argument building and reply parsing) against a
real redis-server and against Ferrite, RESP2 and RESP3, results compared. Skipped where
redis-server is not installed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

pytestmark = [
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server"),
    pytest.mark.filterwarnings("ignore:Call to deprecated hmset:DeprecationWarning"),
]

Call = Callable[[redis.Redis], Any]

CALLS: list[tuple[str, Call]] = [
    ("rpush", lambda r: r.rpush("l", "a", "b", "c", "a", b"\x00")),
    ("lpush", lambda r: r.lpush("l", 1, 2.5)),
    ("lpushx", lambda r: r.lpushx("none", "x")),
    ("rpushx", lambda r: r.rpushx("l", "z")),
    ("llen", lambda r: r.llen("l")),
    ("lrange", lambda r: r.lrange("l", 0, -1)),
    ("lindex", lambda r: r.lindex("l", -2)),
    ("lset", lambda r: r.lset("l", 0, "first")),
    ("linsert", lambda r: r.linsert("l", "AFTER", "a", "after-a")),
    ("lpos", lambda r: r.lpos("l", "a")),
    ("lpos rank count", lambda r: r.lpos("l", "a", rank=-1, count=0)),
    ("lpos maxlen", lambda r: r.lpos("l", "a", count=2, maxlen=3)),
    ("lrem", lambda r: r.lrem("l", -1, "a")),
    ("lpop", lambda r: r.lpop("l")),
    ("lpop count", lambda r: r.lpop("l", 2)),
    ("rpop count", lambda r: r.rpop("l", 1)),
    ("lpop missing count", lambda r: r.lpop("none", 2)),
    ("lmove", lambda r: r.lmove("l", "l2", "RIGHT", "LEFT")),
    ("rpoplpush", lambda r: r.rpoplpush("l", "l2")),
    ("lmpop", lambda r: r.lmpop(2, "none", "l2", direction="LEFT", count=5)),
    ("lmpop none", lambda r: r.lmpop(1, "none", direction="RIGHT")),
    ("ltrim", lambda r: r.ltrim("l", 0, 0)),
    ("lrange after", lambda r: r.lrange("l", 0, -1)),
    ("hset", lambda r: r.hset("h", "a", "1", mapping={"b": 2, "c": 3.5})),
    ("hset items", lambda r: r.hset("h", items=["d", "4"])),
    ("hsetnx", lambda r: r.hsetnx("h", "a", "x")),
    ("hmset", lambda r: r.hmset("h", {"e": "5"})),
    ("hget", lambda r: r.hget("h", "a")),
    ("hmget", lambda r: r.hmget("h", ["a", "zz", "b"])),
    ("hexists", lambda r: r.hexists("h", "c")),
    ("hlen", lambda r: r.hlen("h")),
    ("hstrlen", lambda r: r.hstrlen("h", "c")),
    ("hkeys", lambda r: r.hkeys("h")),
    ("hvals", lambda r: r.hvals("h")),
    ("hgetall", lambda r: r.hgetall("h")),
    ("hgetall missing", lambda r: r.hgetall("none")),
    ("hincrby", lambda r: r.hincrby("h", "a", 41)),
    ("hincrbyfloat", lambda r: r.hincrbyfloat("h", "c", 0.25)),
    ("hrandfield all", lambda r: r.hrandfield("h", 10)),
    ("hrandfield all values", lambda r: r.hrandfield("h", 10, withvalues=True)),
    ("hrandfield missing", lambda r: r.hrandfield("none")),
    ("hscan", lambda r: r.hscan("h", 0)),
    ("hscan match", lambda r: r.hscan("h", 0, match="[ab]", count=1)),
    ("hscan_iter", lambda r: sorted(r.hscan_iter("h"))),
    ("hdel", lambda r: r.hdel("h", "a", "b", "zz")),
    ("type", lambda r: (r.type("l"), r.type("h"), r.type("none"))),
    (
        "scan types",
        lambda r: (sorted(r.scan_iter(_type="LIST")), sorted(r.scan_iter(_type="hash"))),
    ),
    ("encodings", lambda r: (r.object("encoding", "l"), r.object("encoding", "h"))),
]


@pytest.mark.parametrize("protocol", [2, 3])
def test_same_results_as_redis(
    reference_redis: Callable[..., int], server: FerriteProcess, protocol: int
) -> None:
    theirs = redis.Redis(port=reference_redis(), protocol=protocol, socket_timeout=5)
    ours = server.client(protocol=protocol, socket_timeout=5)
    for client in (theirs, ours):
        client.flushall()
    mismatches = []
    for name, call in CALLS:
        expected, got = _outcome(call, theirs), _outcome(call, ours)
        if expected != got:
            mismatches.append(f"{name}: redis {expected!r}, ferrite {got!r}")
    theirs.close()
    ours.close()
    assert not mismatches, "\n".join(mismatches)


def _outcome(call: Call, client: redis.Redis) -> Any:
    try:
        return call(client)
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
