"""The change events list and hash commands emit, compared with the keyspace notifications a
real redis-server sends for the same commands (event names, keys, order: "lpop" before "del",
LMOVE's push before its pop, "new" for a created key). Ferrite's events are read from the
keyspace stream in process; Redis's through a `__keyevent@0__:*` subscription. Skipped
where redis-server is not installed."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable

import pytest
import redis

from ferrite_host.assembly import build_state
from ferrite_host.keyspace.events import SILENT

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")

COMMANDS = """
RPUSH l a b c|LPUSH l z|LPUSHX l y|RPUSHX l x|LPUSHX nol a|LPOP l|RPOP l 2|LPOP l 0|LPOP nol 2
LSET l 0 A|LINSERT l BEFORE A a0|LINSERT l AFTER nothere q|LREM l 0 a0|LREM l 0 nothere
LTRIM l 0 0|LTRIM l 0 -1|LTRIM l 5 10|EXISTS l
RPUSH src 1 2 3|LMOVE src dst LEFT RIGHT|RPOPLPUSH src dst|LMOVE src src LEFT LEFT
LMOVE src dst RIGHT LEFT
LMPOP 2 nol dst LEFT COUNT 2|LMPOP 1 dst RIGHT COUNT 5|RPUSH one x|RPOPLPUSH one one|LPOP one 5
LRANGE l 0 -1|LLEN l|LINDEX l 0|LPOS l a
HSET h a 1 b 2|HSET h a 1|HMSET h c 3|HSETNX h a 9|HSETNX h d 4|HDEL h zz|HDEL h a b
HINCRBY h n 5|HINCRBYFLOAT h f 1.5|HDEL h c d n f|EXISTS h|HINCRBY h2 x 1|HINCRBYFLOAT h3 x 1
HGET h2 x|HGETALL h2|HRANDFIELD h2|HSCAN h2 0|HMSET h4 a 1
SET s v|LPUSH s a|HSET s a 1
"""


def _commands() -> list[list[str]]:
    return [c.split() for line in COMMANDS.strip().splitlines() for c in line.split("|")]


@pytest.fixture(scope="module")
def redis_events(reference_redis: Callable[..., int]) -> list[tuple[str, str]]:
    port = reference_redis("--notify-keyspace-events", "KEA")
    client = redis.Redis(port=port, protocol=2, socket_timeout=5)
    client.config_set("notify-keyspace-events", "Eg$lshzxen")
    client.flushall()
    listener = client.pubsub()
    listener.psubscribe("__keyevent@0__:*")
    listener.get_message(timeout=5)  # the psubscribe confirmation
    for argv in _commands():
        with contextlib.suppress(redis.ResponseError):
            client.execute_command(*argv)
    client.set("__end__", "x")
    seen: list[tuple[str, str]] = []
    while True:
        message = listener.get_message(timeout=5)
        assert message is not None, "notifications stopped before the end marker"
        event = message["channel"].decode().split(":", 1)[1]
        key = message["data"].decode()
        if key == "__end__":
            break
        seen.append((event, key))
    listener.close()
    client.close()
    return seen


def test_same_events_as_redis_notifications(redis_events: list[tuple[str, str]]) -> None:
    state = build_state()
    session = state.new_session()
    seen: list[tuple[str, str]] = []

    def record(db: int, key: bytes | None, event: str, cls: str) -> None:
        if cls != SILENT and key is not None:
            seen.append((event, key.decode()))

    state.keyspace.subscribe(record)
    for argv in _commands():
        state.dispatcher.execute(session, [word.encode() for word in argv])
    assert len(redis_events) > 40 and ("del", "l") in redis_events  # not vacuous
    assert seen == redis_events
