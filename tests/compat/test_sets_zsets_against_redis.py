# ruff: noqa: E501 - scenario lines are commands, kept whole
"""Differential test of the set and sorted-set commands: the same scenario against a real
redis-server and against Ferrite over raw sockets, in RESP2 and RESP3, every reply compared
with its wire type (set vs array, double text, error text).

A line prefix marks replies whose order or content Redis leaves open: `~` compares them as
unordered, `?` compares only type and length (random picks), `%` compares a SCAN reply's
members (sorted) without its cursor.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from resp_client import RawClient, scan_members, shape, unordered

from ferrite_host.testing import FerriteProcess

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

SETS = """
SADD s 3 1 2|SADD s 2 4|SCARD s|SMEMBERS s|SISMEMBER s 1|SISMEMBER s 9|SMISMEMBER s 1 9 2
SMISMEMBER nokey 1|SCARD nokey|SMEMBERS nokey|SISMEMBER nokey a|OBJECT ENCODING s
SADD s x|OBJECT ENCODING s|~SMEMBERS s|SREM s x 1 nope|SREM nokey a|~SMEMBERS s
SADD neg -5 10 -9223372036854775808 9223372036854775807|SMEMBERS neg|OBJECT ENCODING neg
SADD big 9223372036854775808|OBJECT ENCODING big|SADD lead 01|OBJECT ENCODING lead
SADD plus +1|OBJECT ENCODING plus|SADD mz -0|OBJECT ENCODING mz|SADD e ''|OBJECT ENCODING e
SET str v|SADD str a|SREM str a|SCARD str|SMEMBERS str|SISMEMBER str a|SMISMEMBER str a
SRANDMEMBER str|SPOP str|SMOVE str s a|SMOVE s str 2|SINTER str|SUNION s str|SDIFF str
SINTERCARD 1 str|SSCAN str 0|SINTERSTORE d str|SUNIONSTORE d s str|SDIFFSTORE str s
SRANDMEMBER nokey|SRANDMEMBER nokey 3|SRANDMEMBER nokey -3|SRANDMEMBER s 0|SRANDMEMBER s x
SRANDMEMBER s -9223372036854775808|SRANDMEMBER s 1 2|?SRANDMEMBER s|?SRANDMEMBER s 2
?SRANDMEMBER s -5|~SRANDMEMBER s 100|~SRANDMEMBER s 3
SPOP nokey|SPOP nokey 3|SPOP s -1|SPOP s x|SPOP s 0|SPOP s 1 2|?SPOP s|?SPOP s 1|SCARD s
SADD p a b c|~SPOP p 10|EXISTS p|SADD p a|SPOP p|EXISTS p
SADD a 1 2 3 4 5 x|SADD b 3 4 5 6|SADD c 4 5 7|~SINTER a b c|~SINTER a b nokey|SINTER b c
~SUNION a b c nokey|~SDIFF a b|~SDIFF a nokey|SDIFF nokey a|SINTER nokey|SUNION nokey
SINTERCARD 2 a b|SINTERCARD 3 a b c|SINTERCARD 2 a b LIMIT 1|SINTERCARD 2 a b LIMIT 0
SINTERCARD 2 a nokey|SINTERCARD 0 a|SINTERCARD x a|SINTERCARD 3 a b|SINTERCARD 1 a LIMIT -1
SINTERCARD 1 a LIMIT x|SINTERCARD 1 a FOO|SINTERCARD 1 a LIMIT|SINTERCARD -1 a
SINTERSTORE d a b|SMEMBERS d|OBJECT ENCODING d|SUNIONSTORE d a b|~SMEMBERS d
OBJECT ENCODING d|SDIFFSTORE d a b|~SMEMBERS d|SDIFFSTORE d b c|SMEMBERS d
SINTERSTORE d a nokey|EXISTS d|SUNIONSTORE d nokey|EXISTS d|SET d v|EXPIRE d 100
SINTERSTORE d b c|TTL d|TYPE d|SDIFFSTORE d nokey b|EXISTS d
SMOVE a b 1|SMOVE a b 1|SMOVE a b nope|SMOVE nokey b 1|SMOVE a newset x|SMEMBERS newset
OBJECT ENCODING newset|SMOVE a a 2|SMOVE a a nope|SADD one z|SMOVE one b z|EXISTS one
~SMEMBERS b|SMOVE b b z
SSCAN s 0 COUNT 0|SSCAN s 0 COUNT x|SSCAN s 0 MATCH|SSCAN s x|SSCAN s 0 FOO bar|SSCAN nokey 0
SSCAN s 0 MATCH * COUNT 1 FOO|SADD ints 5 3 1|SSCAN ints 0|SSCAN ints 0 MATCH 3|SSCAN ints 0 COUNT 1
SSCAN ints 18446744073709551616|SSCAN ints -1|SADD hs a b c d|%SSCAN hs 0|%SSCAN hs 0 MATCH a*
SSCAN hs 0 TYPE set
SADD|SADD s|SREM s|SCARD|SMOVE a b|SINTERSTORE d|SINTERCARD 1
"""

ZSETS = """
ZADD z 1 a 2 b 3 c|ZADD z 1.1 d 1e20 e inf f -inf g 0.1 h 1.5e-7 i|ZRANGE z 0 -1 WITHSCORES
ZSCORE z d|ZSCORE z e|ZSCORE z f|ZSCORE z g|ZSCORE z nope|ZSCORE nokey a|ZMSCORE z a d nope
ZMSCORE nokey a b|ZCARD z|ZCARD nokey|ZRANK z a|ZRANK z nope|ZREVRANK z a|ZRANK nokey a
ZADD z XX NX 1 a|ZADD z GT LT 1 a|ZADD z GT NX 1 a|ZADD z LT NX 1 a|ZADD z INCR 1 a 2 b
ZADD z nan a|ZADD z 1|ZADD z 1 a 2|ZADD z x a|ZADD z NX|ZADD z '' a|ZADD z ' 1' a|ZADD z 1e400 a
ZADD z 1e-400 a|ZADD z 0x10 hex|ZSCORE z hex|ZADD z +inf pinf|ZADD z -Infinity minf|ZADD z 1_0 a
ZADD z INCR 1 a|ZADD z INCR NX 1 a|ZADD z INCR XX 1 zz|ZADD z INCR XX 2 a|ZADD z INCR GT -1 a
ZADD z INCR LT -1 a|ZADD z CH 5 a 1 b|ZADD z GT CH 3 a 7 b|ZADD z LT CH 10 c 0 c2|ZADD z CH 1 c2
ZADD z NX 100 a 100 newbie|ZADD z XX 100 a 100 ghost|ZSCORE z ghost|ZADD z XX CH GT 1 a 200 a
ZADD z ch ch nx 2 dup 3 dup|ZSCORE z dup|ZADD z 5 dup 6 dup|ZSCORE z dup
ZADD nz XX 1 a|EXISTS nz|ZADD nz XX INCR 1 a|EXISTS nz|ZADD z INCR +inf a|ZADD z INCR -inf a
ZINCRBY z x a|ZINCRBY z -inf a|ZINCRBY z 1 brand|ZINCRBY z 1.5 brand|ZINCRBY nz2 2 m|ZINCRBY z 0 b
ZINCRBY z 1 a 2|ZADD mz -0.0 x|ZSCORE mz x|ZINCRBY mz -0.0 x|ZRANGE mz 0 -1 WITHSCORES
SET str v|ZADD str 1 a|ZINCRBY str 1 a|ZSCORE str a|ZCARD str|ZRANGE str 0 -1|ZREM str a
ZRANK str a|ZCOUNT str 0 1|ZLEXCOUNT str - +|ZPOPMIN str|ZRANDMEMBER str|ZSCAN str 0
ZRANGEBYSCORE str 0 1|ZUNION 1 str|ZINTER 2 z str|ZMSCORE str a|ZREMRANGEBYRANK str 0 1
ZCOUNT str x y|ZRANGE str x y BYSCORE|ZMPOP 1 str MIN|ZRANGESTORE d str 0 -1|ZINTERCARD 1 str
"""

RANGES = """
ZADD r 1 a 2 b 3 c 4 d 5 e 5 f 5 g 6 h|ZRANGE r 0 -1|ZRANGE r 0 -1 WITHSCORES|ZRANGE r 2 4
ZRANGE r -3 -1|ZRANGE r -100 100|ZRANGE r 5 2|ZRANGE r 100 200|ZRANGE r -1 -3|ZRANGE r 0 0
ZRANGE r 0 -1 REV|ZRANGE r 0 2 REV WITHSCORES|ZREVRANGE r 0 2|ZREVRANGE r 0 -1 WITHSCORES
ZREVRANGE r -2 -1|ZRANGE r x 1|ZRANGE r 0 x|ZRANGE r (1 2|ZRANGE r 0 -1 LIMIT 0 1
ZRANGE r 0 -1 LIMIT 0 -1|ZRANGE r 0 -1 BYLEX|ZRANGE r 0 -1 FOO|ZRANGE r 0 -1 LIMIT 0
ZRANGE r 0 -1 LIMIT x 1|ZRANGE r 0 -1 BYSCORE BYLEX|ZRANGE r 0 -1 REV REV|ZRANGE r 0 -1 WITHSCORES WITHSCORES
ZRANGE r 2 5 BYSCORE|ZRANGE r (2 5 BYSCORE|ZRANGE r 2 (5 BYSCORE|ZRANGE r (2 (5 BYSCORE WITHSCORES
ZRANGE r -inf +inf BYSCORE|ZRANGE r +inf -inf BYSCORE|ZRANGE r +inf -inf BYSCORE REV
ZRANGE r 5 2 BYSCORE REV WITHSCORES|ZRANGE r (5 2 BYSCORE REV|ZRANGE r 5 (5 BYSCORE
ZRANGE r 5 5 BYSCORE|ZRANGE r (5 (5 BYSCORE|ZRANGE r x 5 BYSCORE|ZRANGE r 1 nan BYSCORE
ZRANGE r ( 5 BYSCORE|ZRANGE r '' 5 BYSCORE|ZRANGE r ' 1' 5 BYSCORE|ZRANGE r 0x2 5 BYSCORE
ZRANGE r -inf +inf BYSCORE LIMIT 1 3|ZRANGE r -inf +inf BYSCORE LIMIT 1 -1|ZRANGE r -inf +inf BYSCORE LIMIT -1 3
ZRANGE r -inf +inf BYSCORE LIMIT 0 0|ZRANGE r -inf +inf BYSCORE LIMIT 100 1|ZRANGE r +inf -inf BYSCORE REV LIMIT 2 2 WITHSCORES
ZRANGE r -inf +inf BYSCORE LIMIT 1 2 LIMIT 0 1|ZRANGEBYSCORE r -inf +inf|ZRANGEBYSCORE r 2 4 WITHSCORES
ZRANGEBYSCORE r -inf +inf WITHSCORES LIMIT 2 3|ZRANGEBYSCORE r -inf +inf LIMIT 0 1 FOO
ZRANGEBYSCORE r 0 1 BYSCORE|ZRANGEBYSCORE r 0 1 REV|ZREVRANGEBYSCORE r +inf -inf|ZREVRANGEBYSCORE r 5 (2 WITHSCORES
ZREVRANGEBYSCORE r +inf -inf LIMIT 1 2|ZREVRANGEBYSCORE r 2 5|ZCOUNT r -inf +inf|ZCOUNT r (1 (5
ZCOUNT r 5 5|ZCOUNT r (5 5|ZCOUNT r a b|ZCOUNT r 3 1|ZCOUNT nokey 0 1|ZCOUNT r '' (
ZADD l 0 a 0 b 0 c 0 d 0 e 0 f 0 g|ZRANGE l - + BYLEX|ZRANGE l [b [d BYLEX|ZRANGE l (b (d BYLEX
ZRANGE l [b (d BYLEX|ZRANGE l - (c BYLEX|ZRANGE l (c + BYLEX|ZRANGE l + - BYLEX REV
ZRANGE l [d [b BYLEX REV|ZRANGE l (d - BYLEX REV|ZRANGE l + - BYLEX REV LIMIT 1 2
ZRANGE l - + BYLEX LIMIT 2 2|ZRANGE l - + BYLEX LIMIT 2 -1|ZRANGE l a c BYLEX|ZRANGE l [a c BYLEX
ZRANGE l +a [c BYLEX|ZRANGE l + - BYLEX|ZRANGE l [c [a BYLEX|ZRANGE l [c (c BYLEX|ZRANGE l [c [c BYLEX
ZRANGE l - + BYLEX WITHSCORES|ZRANGEBYLEX l - +|ZRANGEBYLEX l [aa (f LIMIT 1 2|ZREVRANGEBYLEX l + -
ZREVRANGEBYLEX l (f [b LIMIT 0 2|ZRANGEBYLEX l - + WITHSCORES|ZREVRANGEBYLEX l - +
ZLEXCOUNT l - +|ZLEXCOUNT l [b (e|ZLEXCOUNT l a b|ZLEXCOUNT nokey - +|ZLEXCOUNT l + -
ZADD mixed 1 b 2 a 3 d 4 c|ZRANGEBYLEX mixed - +|ZRANGEBYLEX mixed [b [c|ZREVRANGEBYLEX mixed [c [a
ZADD mixed2 -2 a -1 1|ZRANGEBYLEX mixed2 [a [d|ZREVRANGEBYLEX mixed2 [d [a|ZRANGEBYLEX mixed2 - [0
ZLEXCOUNT mixed [a [b|ZRANGESTORE d r 0 -1|ZRANGE d 0 -1 WITHSCORES|ZRANGESTORE d r 1 3 REV
ZRANGE d 0 -1 WITHSCORES|ZRANGESTORE d r (2 +inf BYSCORE LIMIT 1 2|ZRANGE d 0 -1 WITHSCORES
ZRANGESTORE d l [b [d BYLEX|ZRANGE d 0 -1 WITHSCORES|ZRANGESTORE d r 0 -1 WITHSCORES
ZRANGESTORE d r 5 1|EXISTS d|ZRANGESTORE d nokey 0 -1|ZRANGESTORE d r x 1|ZRANGESTORE d r 0 -1 LIMIT 0 1
ZADD big 1 a|ZRANGESTORE big r 0 2|TYPE big|ZRANGE big 0 -1|SET s v|ZRANGESTORE s r 0 1|TYPE s
"""

MUTATIONS = """
ZADD m 1 a 2 b 3 c 4 d 5 e|ZREM m a nope|ZREM m nope|ZREM nokey a|ZREMRANGEBYRANK m 0 0
ZRANGE m 0 -1|ZREMRANGEBYRANK m -1 -1|ZREMRANGEBYRANK m 5 10|ZREMRANGEBYRANK m x 1|ZREMRANGEBYRANK nokey 0 -1
ZREMRANGEBYSCORE m (2 3|ZRANGE m 0 -1|ZREMRANGEBYSCORE m x 1|ZREMRANGEBYSCORE m -inf +inf|EXISTS m
ZADD m 0 a 0 b 0 c 0 d|ZREMRANGEBYLEX m [b (d|ZRANGE m 0 -1|ZREMRANGEBYLEX m x y|ZREMRANGEBYLEX m - +|EXISTS m
ZADD p 1 a 2 b 3 c 4 d 5 e|ZPOPMIN p|ZPOPMAX p|ZPOPMIN p 2|ZPOPMAX p 0|ZPOPMIN p -1|ZPOPMIN p x
ZPOPMIN p 1 2|ZPOPMAX p 10|EXISTS p|ZPOPMIN p|ZPOPMIN p 2|ZPOPMAX nokey|ZPOPMIN nokey 0
ZADD q 1 a 2 b 3 c|ZMPOP 1 q MIN|ZMPOP 1 q MAX COUNT 10|EXISTS q|ZMPOP 1 q MIN|ZMPOP 2 nokey q MAX
ZADD q 1 a 2 b|ZMPOP 2 nokey q MAX COUNT 1|ZMPOP 1 q min count 0|ZMPOP 1 q foo|ZMPOP 1 q min count 1 count 2
ZMPOP 1 q min count x|ZMPOP 0 q min|ZMPOP x q min|ZMPOP 3 q min|ZMPOP 1 q|ZMPOP -1 q min
ZRANDMEMBER nokey|ZRANDMEMBER nokey 2|ZRANDMEMBER nokey -2 WITHSCORES|ZRANDMEMBER q x|ZRANDMEMBER q 1 foo
ZRANDMEMBER q -9223372036854775808|ZRANDMEMBER q 9223372036854775807 WITHSCORES|ZRANDMEMBER q 0
?ZRANDMEMBER q|?ZRANDMEMBER q 5|?ZRANDMEMBER q -5|?ZRANDMEMBER q -3 WITHSCORES|ZRANDMEMBER q 1 WITHSCORES WITHSCORES
ZADD u1 1 a 2 b 3 c|ZADD u2 4 b 5 c 6 d|SADD us c d e|ZUNION 2 u1 u2|ZUNION 2 u1 u2 WITHSCORES
ZUNION 3 u1 u2 us WITHSCORES|ZUNION 2 u1 u2 WEIGHTS 2 3 WITHSCORES|ZUNION 2 u1 u2 AGGREGATE MIN WITHSCORES
ZUNION 2 u1 u2 AGGREGATE MAX WITHSCORES|ZUNION 2 u1 nokey WITHSCORES|ZUNION 0 u1|ZUNION x u1|ZUNION 2 u1
ZUNION 1 u1 WEIGHTS 1 2|ZUNION 1 u1 WEIGHTS x|ZUNION 1 u1 AGGREGATE foo|ZUNION 1 u1 FOO|ZUNION -1 u1
ZINTER 2 u1 u2 WITHSCORES|ZINTER 3 u1 u2 us WITHSCORES|ZINTER 2 u1 nokey|ZINTER 2 u1 u2 WEIGHTS 1 -1 AGGREGATE SUM WITHSCORES
ZDIFF 2 u1 u2 WITHSCORES|ZDIFF 2 u2 us WITHSCORES|ZDIFF 1 u1 WEIGHTS 1|ZDIFF 1 u1 AGGREGATE MIN|ZDIFF 2 nokey u1
ZUNIONSTORE d 2 u1 u2|ZRANGE d 0 -1 WITHSCORES|ZUNIONSTORE d 2 u1 u2 WITHSCORES|ZINTERSTORE d 2 u1 u2 AGGREGATE MAX
ZRANGE d 0 -1 WITHSCORES|ZDIFFSTORE d 2 u1 u2|ZRANGE d 0 -1 WITHSCORES|ZINTERSTORE d 2 u1 nokey|EXISTS d
ZUNIONSTORE d 0 u1|ZINTERSTORE d 0 u1|ZDIFFSTORE d 0 u1|ZUNIONSTORE d 3 u1|ZUNIONSTORE d 1 str
ZADD w1 inf a -inf b 1 c|ZADD w2 -inf a inf b 2 c|ZUNION 2 w1 w2 WITHSCORES|ZINTER 2 w1 w2 WITHSCORES
ZUNION 2 w1 w2 WEIGHTS 0 1 WITHSCORES|ZINTER 2 w1 w2 WEIGHTS 0 0 WITHSCORES|ZUNION 1 w1 WEIGHTS inf WITHSCORES
ZINTERCARD 2 u1 u2|ZINTERCARD 2 u1 u2 LIMIT 1|ZINTERCARD 2 u1 u2 LIMIT 0|ZINTERCARD 1 u1 LIMIT -1|ZINTERCARD 0 u1
ZINTERCARD x u1|ZINTERCARD 2 u1|ZINTERCARD 1 u1 WEIGHTS 1|ZINTERCARD 1 u1 WITHSCORES|ZINTERCARD 2 u1 us
ZINTERCARD 1 u1 LIMIT|ZINTERCARD -1 u1
ZADD sc 1 a 2.5 b|ZSCAN sc 0|ZSCAN sc 0 MATCH a|ZSCAN sc 0 COUNT 0|ZSCAN sc x|ZSCAN nokey 0|ZSCAN sc 0 COUNT 1
ZADD enc 1 a|OBJECT ENCODING enc|ZADD enc 2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|OBJECT ENCODING enc
ZREM enc aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa|OBJECT ENCODING enc
ZADD|ZADD z|ZINCRBY z 1|ZRANGE z 0|ZSCORE z|ZPOPMIN|ZMPOP 1|ZUNION 1|ZRANGESTORE d z 0
"""

SORTING = """
SADD s 3 1 2 10|SORT s|SORT s DESC|SORT s ALPHA|SORT s ALPHA DESC|SORT s LIMIT 1 2|SORT s LIMIT 0 -1
SORT s LIMIT -5 2|SORT s LIMIT 10 2|SORT s LIMIT 2 0|SORT s LIMIT x 1|SORT s LIMIT 1|SORT s FOO
SORT nokey|SORT nokey STORE d|EXISTS d|SET str v|SORT str|SORT_RO str|SORT s STORE d|SORT d
SORT_RO s STORE d|SORT_RO s DESC|SADD w a b c|SORT w|SORT w ALPHA|SORT_RO w ALPHA LIMIT 1 5
MSET w_1 30 w_2 10 w_3 20 w_10 5 v_1 one v_2 two v_3 three|SORT s BY w_*|SORT s BY w_* DESC
SORT s BY w_* GET v_*|SORT s BY w_* GET # GET v_*|SORT s BY nosort GET v_*|SORT s GET nokey
SORT s BY w_* GET # GET v_* STORE d|SORT d BY nosort|SORT s BY w_* ALPHA|SORT s BY v_* ALPHA
SORT s BY v_* ALPHA DESC GET #|SORT s BY v_*|SORT s BY missing_*|SORT s BY missing_* DESC
SORT s BY nosort STORE d|SORT d BY nosort|SET bad x|SADD badset 1 2|SET w_bad abc
SADD mix 1 bad|SORT mix BY w_*|SORT mix|SORT mix ALPHA|SORT badset BY bad
ZADD z 3 a 1 b 2 c|SORT z ALPHA|SORT z BY nosort|SORT z BY nosort DESC|SORT z BY nosort LIMIT 1 1
SORT z BY nosort DESC LIMIT 0 2|OBJECT ENCODING z|ZADD z2 1 x|SORT z2 ALPHA|OBJECT ENCODING z2
SORT z BY nosort STORE zl|SORT zl BY nosort|SORT zl BY nosort DESC LIMIT 1 5|SORT zl ALPHA DESC
SADD f 1.5 -2 1e3 ' 7' inf -inf|SORT f|SORT f DESC LIMIT 0 3|SADD nanset nan|SORT nanset
SADD e ''|SORT e|SORT s BY w_* LIMIT 1 2|SORT s GET #|SORT s GET|SORT s BY|SORT s STORE
"""


def _lines(text: str) -> Iterator[str]:
    for line in text.strip().splitlines():
        yield from line.split("|")


def _argv(command: str) -> list[bytes]:
    words = command.split(" ")
    out: list[bytes] = []
    quoted: list[str] | None = None
    for word in words:
        if quoted is not None:
            quoted.append(word)
            if word.endswith("'"):
                out.append(" ".join(quoted)[1:-1].encode())
                quoted = None
        elif word.startswith("'") and (len(word) == 1 or not word.endswith("'")):
            quoted = [word]
        elif word == "''":
            out.append(b"")
        else:
            out.append(word.encode())
    return out


_COMPARE: dict[str, Callable[[Any], Any]] = {"~": unordered, "?": shape, "%": scan_members}


def run_scenario(redis_port: int, ferrite_port: int, text: str, protocol: int) -> list[str]:
    theirs, ours = RawClient(redis_port, protocol), RawClient(ferrite_port, protocol)
    try:
        theirs.call("FLUSHALL")
        ours.call("FLUSHALL")
        mismatches = []
        for line in _lines(text):
            view = _COMPARE.get(line[0], lambda reply: reply)
            command = line[1:] if line[0] in _COMPARE else line
            argv = _argv(command)
            expected, got = view(theirs.call(*argv)), view(ours.call(*argv))
            if expected != got:
                mismatches.append(
                    f"RESP{protocol} {command!r}: redis {expected!r}, ferrite {got!r}"
                )
        return mismatches
    finally:
        theirs.close()
        ours.close()


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis()


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", ["SETS", "ZSETS", "RANGES", "MUTATIONS", "SORTING"])
def test_same_replies_as_redis(
    redis_port: int, server: FerriteProcess, protocol: int, name: str
) -> None:
    mismatches = run_scenario(redis_port, server.port, globals()[name], protocol)
    assert not mismatches, "\n".join(mismatches)


def _encoding_scenario() -> str:
    ints = " ".join(str(i) for i in range(512))
    pairs = " ".join(f"{i} m{i}" for i in range(128))
    long_member = "x" * 64
    return "\n".join(
        [
            f"SADD i {ints}|OBJECT ENCODING i|SADD i 512|OBJECT ENCODING i|SREM i 512 511",
            "OBJECT ENCODING i|SCARD i",
            f"SADD j {ints}|SADD j notanint|OBJECT ENCODING j|SREM j notanint|OBJECT ENCODING j",
            f"ZADD z {pairs}|OBJECT ENCODING z|ZADD z 0 one|OBJECT ENCODING z|ZREM z one",
            f"OBJECT ENCODING z|ZADD l 0 {long_member}|OBJECT ENCODING l|ZADD l 0 {long_member}y",
            "OBJECT ENCODING l|ZADD m 1 a|SORT m ALPHA|OBJECT ENCODING m",
            "ZUNIONSTORE u 1 z|OBJECT ENCODING u|ZRANGESTORE r z 0 9|OBJECT ENCODING r",
            "SINTERSTORE si i|OBJECT ENCODING si|SUNIONSTORE su i j|OBJECT ENCODING su",
            "~SRANDMEMBER i 1000|~SPOP i 1000|EXISTS i",
        ]
    )


ENCODINGS = _encoding_scenario()


@pytest.mark.parametrize("protocol", [2, 3])
def test_encoding_transitions_match_redis(
    redis_port: int, server: FerriteProcess, protocol: int
) -> None:
    mismatches = run_scenario(redis_port, server.port, ENCODINGS, protocol)
    assert not mismatches, "\n".join(mismatches)


INLINE = (
    b"SADD s 3 1 2\r\nSMEMBERS s\r\nZADD z 1.5 a 2 b\r\nZRANGE z 0 -1 WITHSCORES\r\n"
    b"ZADD z xx nx 1 a\r\nZRANGEBYSCORE z (1 +inf\r\nZSCORE z a\r\nSINTERCARD 0 s\r\n"
)


def _raw_exchange(port: int, data: bytes, replies: int) -> list[object]:
    client = RawClient(port)
    try:
        client.sock.sendall(data)
        return [client.read() for _ in range(replies)]
    finally:
        client.close()


def test_inline_pipelined_commands_match_redis(redis_port: int, server: FerriteProcess) -> None:
    for port in (redis_port, server.port):
        RawClient(port).call("FLUSHALL")
    count = INLINE.count(b"\r\n")
    assert _raw_exchange(server.port, INLINE, count) == _raw_exchange(redis_port, INLINE, count)
