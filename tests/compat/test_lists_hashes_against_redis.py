"""Differential test of the list and hash commands: the same scenarios against a real
redis-server and against Ferrite, in RESP2 and RESP3, every reply compared with its wire type
(raw sockets, so a map sent as an array or an error's exact text cannot slip through).
Skipped where redis-server is not installed (.ci/run installs Debian's package)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from raw_resp import RawResp, plain

from ferrite_host.testing import FerriteProcess

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

#: Words standing for arguments a scenario line cannot spell.
TOKENS = {
    "''": b"",
    "BIN": b"\x00\xff\r\n bin\x01",
    "BIG": b"x" * 70_000,
    "LONG65": b"y" * 65,
    "LLONG_MAX": b"9223372036854775807",
    "LLONG_MIN": b"-9223372036854775808",
}

LISTS = """
RPUSH l a b c d e|LPUSH l z y|LRANGE l 0 -1|LRANGE l -3 -1|LRANGE l -100 100|LRANGE l 5 2
LRANGE l 7 10|LRANGE l 0 0|LRANGE l -1 -1|LRANGE l LLONG_MIN LLONG_MAX|LRANGE l x 1|LRANGE l 0 y
LRANGE nol 0 -1|LLEN l|LLEN nol|LINDEX l 0|LINDEX l -1|LINDEX l 6|LINDEX l 7|LINDEX l -8
LINDEX l x|LINDEX nol 0|LINDEX nol x
LPUSHX nol a|RPUSHX nol a|EXISTS nol|LPUSHX l p q|RPUSHX l r|LRANGE l 0 -1|LPUSH l|RPUSH
LPOP l|RPOP l|LPOP l 0|LPOP l 2|RPOP l 2|LPOP l -1|LPOP l x|LPOP l 1 2|LPOP nol|LPOP nol 0
LPOP nol 3|RPOP nol 2|LLEN l|LPOP l 100|EXISTS l|TYPE l
RPUSH l a|RPOP l 1|EXISTS l|RPUSH l a|LPOP l|EXISTS l
RPUSH l a b c|LSET l 0 A|LSET l -1 C|LSET l 3 x|LSET l -4 x|LSET l x y|LSET nol 0 x|LRANGE l 0 -1
LINSERT l BEFORE b b0|LINSERT l after b b1|LINSERT l before nothere x|LINSERT l middle b x
LINSERT nol before a b|LRANGE l 0 -1|LLEN l
DEL l|RPUSH l a b a c a d a|LREM l 2 a|LRANGE l 0 -1|LREM l -1 a|LRANGE l 0 -1|LREM l 0 a
LRANGE l 0 -1|LREM l 0 zz|LREM l x a|LREM nol 1 a|LREM l 0 b|LREM l 0 c|LREM l 0 d|EXISTS l
RPUSH l 1 2 3 4 5 6 7|LTRIM l 1 -2|LRANGE l 0 -1|LTRIM l -2 100|LRANGE l 0 -1|LTRIM l 1 0
EXISTS l|LTRIM nol 0 1|LTRIM l x 1|RPUSH l 1 2 3|LTRIM l 5 10|EXISTS l
RPUSH l a b c a b c a|LPOS l a|LPOS l a RANK 2|LPOS l a RANK -1|LPOS l a RANK -2|LPOS l a RANK 9
LPOS l a COUNT 0|LPOS l a COUNT 2|LPOS l a RANK 2 COUNT 0|LPOS l a RANK -1 COUNT 0
LPOS l a MAXLEN 1|LPOS l a MAXLEN 4 COUNT 0|LPOS l c RANK -1 MAXLEN 2|LPOS l zz|LPOS l zz COUNT 1
LPOS l a RANK 0|LPOS l a RANK x|LPOS l a RANK LLONG_MIN|LPOS l a RANK LLONG_MIN COUNT 0
LPOS l a COUNT -1|LPOS l a COUNT x|LPOS l a MAXLEN -1|LPOS l a MAXLEN x|LPOS l a FOO 1
LPOS l a COUNT|LPOS nol a|LPOS nol a COUNT 0|LPOS nol a RANK 0
DEL l|RPUSH src 1 2 3|LMOVE src dst LEFT RIGHT|LMOVE src dst right left|LRANGE src 0 -1
LRANGE dst 0 -1|LMOVE src src LEFT RIGHT|LRANGE src 0 -1|LMOVE src dst left up
LMOVE nol dst LEFT LEFT
LMOVE src dst LEFT LEFT|EXISTS src|LMOVE dst dst RIGHT LEFT|LRANGE dst 0 -1
RPOPLPUSH dst dst|LRANGE dst 0 -1|RPOPLPUSH nol dst|RPUSH one x|RPOPLPUSH one one|LRANGE one 0 -1
RPOPLPUSH one new|EXISTS one|LRANGE new 0 -1
RPUSH m1 a b c|RPUSH m2 d|LMPOP 2 nol m1 LEFT|LMPOP 2 m2 m1 RIGHT COUNT 10|EXISTS m2
LMPOP 1 m1 left count 5|EXISTS m1|LMPOP 2 nol nol2 LEFT|LMPOP 0 l LEFT|LMPOP -1 l LEFT
LMPOP x l LEFT|LMPOP 2 l LEFT|LMPOP 1 l MIDDLE|LMPOP 1 l LEFT COUNT 0|LMPOP 1 l LEFT COUNT -1
LMPOP 1 l LEFT COUNT x|LMPOP 1 l LEFT COUNT 1 COUNT 2|LMPOP 1 l LEFT FOO|LMPOP 1 l|LMPOP 1
SET s str|LPUSH s a|RPUSH s a|LPUSHX s a|LPOP s|RPOP s 2|LLEN s|LRANGE s 0 -1|LINDEX s 0
LSET s 0 a|LINSERT s before a b|LREM s 0 a|LTRIM s 0 1|LPOS s a|LMOVE s dst LEFT LEFT
RPUSH ok a|LMOVE ok s LEFT LEFT|LRANGE ok 0 -1|RPOPLPUSH ok s|LMPOP 2 s ok LEFT|LMPOP 2 ok s LEFT
RPUSH bin BIN '' BIN|LRANGE bin 0 -1|LPOS bin BIN COUNT 0|LREM bin 0 ''|LRANGE bin 0 -1
RPUSH big BIG BIG|LINDEX big 1|LLEN big|OBJECT ENCODING big|OBJECT ENCODING l|OBJECT ENCODING ok
TYPE ok|TYPE big
RPUSH c1 a b|COPY c1 c2|LRANGE c2 0 -1|RENAME c2 c3|LPUSH c1 z|LRANGE c3 0 -1|MOVE c3 1|EXISTS c3
DEL c1|EXISTS c1|RPUSH c4 x|UNLINK c4|TYPE c4
"""

HASHES = """
HSET h a 1 b 2 c 3|HSET h a 10 d 4|HSET h a|HSET h|HMSET h e 5 f 6|HMSET h e|HGET h a|HGET h zz
HGET noh a|HMGET h a zz b|HMGET noh a b|HMGET h|HEXISTS h a|HEXISTS h zz|HEXISTS noh a|HLEN h
HLEN noh|HSTRLEN h a|HSTRLEN h zz|HSTRLEN noh a|HKEYS h|HVALS h|HGETALL h|HKEYS noh|HVALS noh
HGETALL noh
HSETNX h a x|HSETNX h g 7|HGET h g|HSETNX noh2 a b|HGETALL noh2|HSETNX h a
HDEL h a zz|HDEL h a|HDEL noh a|HDEL h|HDEL h b c d e f g|EXISTS h|TYPE h
HSET n i 10 f 1.5 s abc big LLONG_MAX small LLONG_MIN z 007 e 1e3
HINCRBY n i 5|HINCRBY n i -20|HINCRBY n new 3|HINCRBY n f 1|HINCRBY n s 1|HINCRBY n z 1
HINCRBY n big 1|HINCRBY n small -1|HINCRBY n big 0|HINCRBY n i x|HINCRBY n i 1.5
HINCRBY n i LLONG_MAX|HINCRBY noh3 x LLONG_MIN|HGETALL noh3|HINCRBY n e 1
HINCRBYFLOAT n f 0.1|HINCRBYFLOAT n f -1.6|HINCRBYFLOAT n i 1.0e3|HINCRBYFLOAT n s 1
HINCRBYFLOAT n nf 3.0|HINCRBYFLOAT n nf2 1e-5|HINCRBYFLOAT n f inf|HINCRBYFLOAT n f nan
HINCRBYFLOAT n f x|HINCRBYFLOAT n f 1e5000|HINCRBYFLOAT n e 1|HINCRBYFLOAT n big 1
HINCRBYFLOAT n f 0x10|HINCRBYFLOAT n z 1|HSET n inf inf|HINCRBYFLOAT n inf 1|HGETALL n
HINCRBYFLOAT n f 1.7976931348623157e308|HINCRBYFLOAT n f 1.7976931348623157e308|HGET n f
HINCRBYFLOAT noh4 f 2.5|HGETALL noh4
HRANDFIELD noh|HRANDFIELD noh 5|HRANDFIELD noh -5|HRANDFIELD noh 5 WITHVALUES|HRANDFIELD noh 0
HSET r a 1 b 2 c 3|HRANDFIELD r 3|HRANDFIELD r 10|HRANDFIELD r 10 WITHVALUES|HRANDFIELD r 0
HRANDFIELD r 0 WITHVALUES|HRANDFIELD r 1 WITHVALUE|HRANDFIELD r 1 WITHVALUES x|HRANDFIELD r x
HRANDFIELD r LLONG_MIN|HRANDFIELD r 4611686018427387904 WITHVALUES
HRANDFIELD r -4611686018427387904 WITHVALUES|HRANDFIELD r 4611686018427387903 WITHVALUES
HSCAN r 0|HSCAN r 0 COUNT 1|HSCAN r 0 MATCH a*|HSCAN r 0 MATCH [bc] COUNT 1|HSCAN r 5
HSCAN r x|HSCAN r 0 COUNT 0|HSCAN r 0 COUNT x|HSCAN r 0 TYPE hash|HSCAN r 0 FOO|HSCAN r 0 COUNT
HSCAN noh 0|HSCAN noh 0 FOO|HSCAN noh x|HSCAN r -1|HSCAN r 18446744073709551615
SET s str|HSET s a 1|HMSET s a 1|HSETNX s a 1|HGET s a|HMGET s a|HDEL s a|HLEN s|HSTRLEN s a
HEXISTS s a|HKEYS s|HVALS s|HGETALL s|HINCRBY s a 1|HINCRBYFLOAT s a 1|HRANDFIELD s|HRANDFIELD s 1
HRANDFIELD s x|HSCAN s 0|HSCAN s x|HSCAN s 0 FOO
HSET bin BIN BIN '' ''|HGET bin BIN|HGET bin ''|HGETALL bin|HSTRLEN bin BIN|HDEL bin ''
HSET bigh f BIG|HSTRLEN bigh f|OBJECT ENCODING bigh|OBJECT ENCODING r|OBJECT ENCODING n
COPY r r2|HGETALL r2|OBJECT ENCODING r2|COPY bigh bigh2|OBJECT ENCODING bigh2|HSTRLEN bigh2 f
HSET r a changed|HGET r2 a|RENAME r2 r3|HGETALL r3|MOVE r3 1|EXISTS r3|DEL r bigh|EXISTS r
"""

ENCODINGS = """
CONFIG SET hash-max-listpack-entries 4|CONFIG SET hash-max-listpack-value 8
CONFIG GET hash-max-listpack-entries|CONFIG GET hash-max-ziplist-entries|CONFIG GET hash-max-*
CONFIG GET HASH-MAX-ZIPLIST-VALUE|CONFIG GET *ziplist*|CONFIG GET *listpack*
HSET e1 a 1 b 2 c 3 d 4|OBJECT ENCODING e1|HSET e1 e 5|OBJECT ENCODING e1|HDEL e1 a b c d
OBJECT ENCODING e1|HSET e2 a 123456789|OBJECT ENCODING e2|HSET e3 abcdefghi 1|OBJECT ENCODING e3
HSET e4 a 1|HSETNX e4 a 123456789|OBJECT ENCODING e4|HSETNX e4 b 123456789|OBJECT ENCODING e4
HSET e5 a 1|HINCRBYFLOAT e5 a 0.123456789|OBJECT ENCODING e5|HSET e6 a 1|HINCRBY e6 a 123456789
OBJECT ENCODING e6|HINCRBY e7 longfieldname 1|OBJECT ENCODING e7
HSET e8 a 1 b 2|HSCAN e8 0 COUNT 1|HSET e8 c 3 d 4 e 5
CONFIG SET hash-max-ziplist-entries 2|CONFIG GET hash-max-listpack-entries|HSET e9 a 1 b 2
OBJECT ENCODING e9|HSET e9 c 3|OBJECT ENCODING e9|CONFIG SET hash-max-ziplist-value 3
CONFIG GET hash-max-listpack-value|CONFIG SET hash-max-listpack-entries x
CONFIG SET hash-max-listpack-entries -1|CONFIG SET hash-max-listpack-entries +5
CONFIG SET hash-max-listpack-entries 05|CONFIG SET hash-max-listpack-entries 1e3
CONFIG SET hash-max-listpack-entries 9223372036854775808|CONFIG SET list-max-listpack-size 1k
CONFIG SET hash-max-listpack-entries ''|CONFIG GET hash-max-listpack-entries
CONFIG SET list-max-listpack-size 5
CONFIG GET list-max-ziplist-size|CONFIG SET list-max-ziplist-size -70000
CONFIG SET list-max-ziplist-size -5|CONFIG GET list-max-listpack-size
CONFIG SET list-compress-depth 2
CONFIG GET list-compress-depth|CONFIG SET list-compress-depth -1|CONFIG SET set-max-intset-entries 7
CONFIG GET set-max-intset-entries|CONFIG SET zset-max-ziplist-entries 9
CONFIG SET zset-max-ziplist-value 11
CONFIG GET zset-max-listpack-entries|CONFIG GET zset-max-listpack-value
CONFIG GET zset-max-ziplist-*
CONFIG SET hash-max-listpack-value 1kb|CONFIG GET hash-max-listpack-value
CONFIG SET zset-max-ziplist-value 2k|CONFIG GET zset-max-listpack-value
CONFIG SET zset-max-listpack-value -1|CONFIG SET hash-max-listpack-value 1x
RPUSH el a|OBJECT ENCODING el
CONFIG SET hash-max-listpack-entries 512 hash-max-listpack-value 64 list-max-listpack-size -2
CONFIG SET list-compress-depth 0 set-max-intset-entries 512 zset-max-listpack-entries 128
CONFIG SET zset-max-listpack-value 64|CONFIG GET *max-listpack*
"""

SCAN_TYPES = """
RPUSH tl a|HSET th a 1|SET ts v|SCAN 0 TYPE list COUNT 100|SCAN 0 TYPE HASH COUNT 100
SCAN 0 TYPE string COUNT 100|SCAN 0 TYPE zset COUNT 100|SCAN 0 TYPE nosuchtype COUNT 100
TYPE tl|TYPE th|TYPE ts
"""


def _commands(scenario: str) -> list[list[bytes]]:
    commands = []
    for line in scenario.strip().splitlines():
        for command in line.split("|"):
            commands.append([TOKENS.get(word, word.encode()) for word in command.split()])
    return commands


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    # Its own reference server (distinct arguments): the scenarios change encoding settings.
    return reference_redis("--maxclients", "4000")


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def clients(
    request: pytest.FixtureRequest, redis_port: int, server: FerriteProcess
) -> Iterator[tuple[RawResp, RawResp]]:
    theirs, ours = RawResp(redis_port, request.param), RawResp(server.port, request.param)
    theirs.call("FLUSHALL")
    ours.call("FLUSHALL")
    yield theirs, ours
    theirs.close()
    ours.close()


def _compare(clients: tuple[RawResp, RawResp], scenario: str) -> None:
    theirs, ours = clients
    mismatches = []
    for client in clients:
        client.call("CONFIG", "RESETSTAT")
    for argv in [*_commands(scenario), [b"INFO", b"stats"]]:
        expected, got = theirs.call(*argv), ours.call(*argv)
        if argv[0] == b"INFO":
            expected, got = _lookups(expected), _lookups(got)
        if argv[:2] == [b"CONFIG", b"GET"]:  # Redis answers in its dict's order
            expected, got = _sorted_pairs(expected), _sorted_pairs(got)
        if expected != got:
            shown = b" ".join(a[:40] for a in argv)
            mismatches.append(f"{shown!r}: redis {expected!r}, ferrite {got!r}")
    assert not mismatches, "\n".join(mismatches)


def _lookups(reply: tuple[str, Any]) -> list[bytes]:
    """INFO's keyspace_hits / keyspace_misses lines: which lookups count as reads."""
    return [
        line
        for line in reply[1].splitlines()
        if line.startswith((b"keyspace_hits:", b"keyspace_misses:"))
    ]


def _sorted_pairs(reply: tuple[str, Any]) -> tuple[str, Any]:
    kind, value = reply
    if kind == "*":
        return kind, sorted(zip(value[::2], value[1::2], strict=True))
    return kind, sorted(value) if kind == "%" else value


@pytest.mark.parametrize(
    "scenario",
    [LISTS, HASHES, ENCODINGS, SCAN_TYPES],
    ids=["lists", "hashes", "encodings", "scan-types"],
)
def test_same_replies_as_redis(clients: tuple[RawResp, RawResp], scenario: str) -> None:
    _compare(clients, scenario)


def test_random_field_replies_have_redis_shapes(clients: tuple[RawResp, RawResp]) -> None:
    """Random picks cannot be compared one to one: their shapes, sizes and members can."""
    theirs, ours = clients
    fields = [b"f%d" % i for i in range(20)]
    for client in clients:
        client.call(b"HSET", b"h", *[part for f in fields for part in (f, f + b"v")])
    for args in (["5"], ["-30"], ["5", "WITHVALUES"], ["-30", "WITHVALUES"], ["19"]):
        expected, got = theirs.call("HRANDFIELD", "h", *args), ours.call("HRANDFIELD", "h", *args)
        assert _shape(expected) == _shape(got), args
        picked = plain(got)
        flat = [p for item in picked for p in (item if isinstance(item, list) else [item])]
        with_values = "WITHVALUES" in args
        names = flat[::2] if with_values else flat
        assert set(names) <= set(fields)
        if with_values:
            assert all(
                value == name + b"v" for name, value in zip(flat[::2], flat[1::2], strict=True)
            )
        if not args[0].startswith("-"):
            assert len(set(names)) == len(names) == int(args[0])
    single = plain(ours.call("HRANDFIELD", "h"))
    assert single in fields


def _shape(reply: tuple[str, object]) -> object:
    kind, value = reply
    if isinstance(value, list):
        return kind, len(value), [_shape(item) for item in value[:1] if isinstance(item, tuple)]
    return kind


def test_hscan_of_a_hashtable_visits_every_field_once(
    clients: tuple[RawResp, RawResp],
) -> None:
    fields = {b"field:%d" % i: b"%d" % i for i in range(1000)}
    args = [part for item in fields.items() for part in item]
    collected: list[dict[bytes, bytes]] = []
    for client in clients:
        client.call(b"HSET", b"big", *args)
        assert plain(client.call("OBJECT", "ENCODING", "big")) == b"hashtable"
        seen: dict[bytes, bytes] = {}
        cursor = b"0"
        calls = 0
        while True:
            reply = plain(client.call("HSCAN", "big", cursor, "COUNT", "50"))
            cursor, batch = reply
            seen.update(zip(batch[::2], batch[1::2], strict=True))
            calls += 1
            if cursor == b"0":
                break
        assert calls > 1
        collected.append(seen)
    assert collected[0] == collected[1] == fields
    for client in clients:
        matched = plain(client.call("HSCAN", "big", "0", "MATCH", "field:99*", "COUNT", "5000"))
        assert sorted(matched[1][::2]) == sorted(f for f in fields if f.startswith(b"field:99"))
