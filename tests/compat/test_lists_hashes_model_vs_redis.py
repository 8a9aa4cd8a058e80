"""Differential property test: random sequences of list and hash commands (shared keys, so
WRONGTYPE, emptied keys and re-creation all happen) run against a real redis-server and
against Ferrite, every reply compared with its wire type. Skipped where redis-server is not
installed (.ci/run installs Debian's package)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from raw_resp import RawResp, Reply

from ferrite_host.testing import FerriteProcess

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")

KEYS = [b"k1", b"k2", b"k3"]
#: Few distinct values so that LREM/LPOS/LINSERT pivots and HSETNX collisions really happen.
VALUES = [b"a", b"b", b"", b"12", b"-3", b"1.5", b"\x00\xff", b"v" * 70]
FIELDS = [b"f1", b"f2", b"f3", b"12"]
#: Commands whose reply order Redis leaves to its hash table once a hash is not a listpack.
_UNORDERED = {b"HKEYS", b"HVALS", b"HGETALL"}

key = st.sampled_from(KEYS)
value = st.sampled_from(VALUES)
field = st.sampled_from(FIELDS)
index = st.sampled_from([b"-100", b"-3", b"-1", b"0", b"1", b"2", b"5", b"x"])
count = st.sampled_from([b"-2", b"0", b"1", b"2", b"10", b"x"])
side = st.sampled_from([b"LEFT", b"RIGHT"])


def _cmd(*parts: st.SearchStrategy[bytes] | bytes) -> st.SearchStrategy[list[bytes]]:
    return st.tuples(*(p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts)).map(
        list
    )


list_commands = st.one_of(
    _cmd(st.sampled_from([b"LPUSH", b"RPUSH", b"LPUSHX", b"RPUSHX"]), key, value),
    _cmd(st.sampled_from([b"LPUSH", b"RPUSH"]), key, value, value, value),
    _cmd(st.sampled_from([b"LPOP", b"RPOP"]), key),
    _cmd(st.sampled_from([b"LPOP", b"RPOP"]), key, count),
    _cmd(b"LLEN", key),
    _cmd(b"LRANGE", key, index, index),
    _cmd(b"LINDEX", key, index),
    _cmd(b"LSET", key, index, value),
    _cmd(b"LINSERT", key, st.sampled_from([b"BEFORE", b"AFTER"]), value, value),
    _cmd(b"LREM", key, count, value),
    _cmd(b"LTRIM", key, index, index),
    _cmd(b"LPOS", key, value),
    _cmd(b"LPOS", key, value, b"RANK", st.sampled_from([b"1", b"2", b"-1", b"-2", b"0"])),
    _cmd(b"LPOS", key, value, b"COUNT", count, b"MAXLEN", st.sampled_from([b"0", b"2"])),
    _cmd(b"LMOVE", key, key, side, side),
    _cmd(b"RPOPLPUSH", key, key),
    _cmd(b"LMPOP", b"2", key, key, side),
    _cmd(b"LMPOP", b"1", key, side, b"COUNT", count),
)

hash_commands = st.one_of(
    _cmd(b"HSET", key, field, value),
    _cmd(b"HSET", key, field, value, field, value),
    _cmd(b"HMSET", key, field, value),
    _cmd(b"HSETNX", key, field, value),
    _cmd(st.sampled_from([b"HGET", b"HEXISTS", b"HSTRLEN"]), key, field),
    _cmd(b"HMGET", key, field, field),
    _cmd(b"HDEL", key, field),
    _cmd(b"HDEL", key, field, field, field),
    _cmd(st.sampled_from([b"HLEN", b"HKEYS", b"HVALS", b"HGETALL"]), key),
    _cmd(b"HINCRBY", key, field, st.sampled_from([b"1", b"-5", b"9223372036854775807", b"x"])),
    _cmd(b"HINCRBYFLOAT", key, field, st.sampled_from([b"0.1", b"-2.5", b"1e3", b"inf", b"y"])),
    _cmd(b"HRANDFIELD", key, b"0"),
)

generic_commands = st.one_of(
    _cmd(st.sampled_from([b"TYPE", b"EXISTS", b"OBJECT"]), key).map(
        lambda argv: [argv[0], b"ENCODING", argv[1]] if argv[0] == b"OBJECT" else argv
    ),
    _cmd(b"SET", key, value),
    _cmd(b"DEL", key),
)

commands = st.one_of(list_commands, list_commands, hash_commands, hash_commands, generic_commands)


def _normalised(argv: list[bytes], reply: Reply) -> Reply:
    kind, payload = reply
    if argv[0] in _UNORDERED and kind in "*%" and payload:
        return kind, sorted(payload)
    return reply


@pytest.fixture(scope="module")
def reference(reference_redis: Callable[..., int]) -> Iterator[RawResp]:
    client = RawResp(reference_redis())
    yield client
    client.close()


@pytest.fixture(scope="module")
def ours(server: FerriteProcess) -> Iterator[RawResp]:
    client = RawResp(server.port)
    yield client
    client.close()


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(commands, min_size=5, max_size=40))
def test_same_replies_as_redis_for_random_sequences(
    reference: RawResp, ours: RawResp, sequence: list[list[bytes]]
) -> None:
    reference.call(b"FLUSHALL")
    ours.call(b"FLUSHALL")
    final = [[b"TYPE", k] for k in KEYS] + [[b"LRANGE", k, b"0", b"-1"] for k in KEYS]
    for argv in sequence + final:
        theirs, mine = reference.call(*argv), ours.call(*argv)
        assert _normalised(argv, theirs) == _normalised(argv, mine), (
            f"{b' '.join(argv)!r}: redis {theirs!r}, ferrite {mine!r}"
        )
