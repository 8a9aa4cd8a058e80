"""Differential tests of bitmaps, HyperLogLog and geo: the same commands against a real
redis-server and against Ferrite, every reply compared (RESP2 and RESP3), raw error replies
compared byte for byte, and a hypothesis test of BITFIELD/BITCOUNT/BITPOS sequences."""

from __future__ import annotations

import random
import shutil
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrite_host.testing import FerriteProcess

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

BITMAPS = """
SETBIT b 7 1|SETBIT b 7 1|SETBIT b 7 0|GET b|SETBIT b 100 1|STRLEN b|GETBIT b 100|GETBIT b 1000
GETBIT nokey 5|SETBIT b -1 1|SETBIT b x 1|SETBIT b 4294967296 1|GETBIT b 4294967295|SETBIT b 1 2
SETBIT b 1 -1|SETBIT b 1 01|GETBIT b -1|GETBIT b 4294967296|SET s foobar|BITCOUNT s|BITCOUNT s 0 0
BITCOUNT s 1 1|BITCOUNT s 1 -1|BITCOUNT s -2 -1|BITCOUNT s 5 30 BIT|BITCOUNT s 5 30 BYTE
BITCOUNT s -100 100|BITCOUNT s -1 -3|BITCOUNT s 0 -1 bit|BITCOUNT s 0|BITCOUNT s 0 1 2
BITCOUNT s 0 1 BITS|BITCOUNT s a b|BITCOUNT nokey|BITCOUNT nokey 0|BITCOUNT s 3 2
BITCOUNT s -5 -6 BIT|BITCOUNT s 9223372036854775807 -1|BITCOUNT s 7 7 bit|SET z ''|BITCOUNT z
BITPOS z 0|BITPOS z 1|BITCOUNT z 0 -1 BIT|BITPOS z 0 0 -1 BIT|SET p \xff\xf0\x00|BITPOS p 0
BITPOS p 1|BITPOS p 0 1|BITPOS p 1 2|BITPOS p 0 0 0|SET ones \xff\xff\xff|BITPOS ones 0
BITPOS ones 0 1|BITPOS ones 0 0 -1|BITPOS ones 0 0 2 BIT|BITPOS ones 0 3 10 BIT
BITPOS ones 1 23 23 BIT|BITPOS ones 0 5 0|BITPOS ones 1 -1|BITPOS ones 1 -5|BITPOS nokey 0
BITPOS nokey 1|BITPOS nokey 1 x|BITPOS ones 2|BITPOS ones x|BITPOS ones 1 0 1 2
BITPOS ones 1 0 1 BYTE extra|BITPOS ones 1 0 1 WORD|BITPOS ones 1 a|BITPOS ones 1 0 b
SET q \x00\x00\x01|BITPOS q 1|BITPOS q 1 0 1|BITPOS q 1 17 23 BIT|BITPOS q 1 0 22 BIT
BITPOS q 0 16 23 BIT|BITPOS q 1 -3 -1 BIT|BITPOS q 0 -8 -1 BIT|BITPOS q 0 7 3 BIT
BITPOS p 0 12 15 BIT|BITPOS p 0 0 11 BIT|BITPOS p 1 12 20 BIT|BITPOS p 1 12 BIT|SET a abc
SET b2 \x0f\x0f|BITOP AND d a b2|GET d|BITOP OR d a b2 nokey|GET d|BITOP XOR d a b2|GET d
BITOP NOT d a|GET d|BITOP NOT d a b2|BITOP NAND d a|BITOP and d nokey|EXISTS d|BITOP or d a|STRLEN d
SET d v EX 100|BITOP OR d a|TTL d|BITOP XOR d nokey nokey2|EXISTS d
BITFIELD k SET u8 0 255 GET u8 0 GET i8 0|BITFIELD k INCRBY u8 0 10|BITFIELD k INCRBY i8 0 -200
BITFIELD k OVERFLOW SAT INCRBY u8 0 300 INCRBY i8 0 -300 OVERFLOW FAIL INCRBY u8 0 1
BITFIELD k OVERFLOW SAT SET u8 0 -1|BITFIELD k OVERFLOW WRAP SET u8 0 -1|BITFIELD k SET i4 #3 7
BITFIELD k GET i4 #3|BITFIELD k GET u4 #3|GET k|BITFIELD k SET i64 0 -9223372036854775808
BITFIELD k INCRBY i64 0 -1|BITFIELD k OVERFLOW SAT INCRBY i64 0 -1|BITFIELD k GET i64 0
BITFIELD k SET u63 1 9223372036854775807|BITFIELD k GET u63 1|BITFIELD k INCRBY u63 1 1
BITFIELD k GET u64 0|BITFIELD k GET i65 0|BITFIELD k GET x8 0|BITFIELD k GET u0 0
BITFIELD k GET u8 -1|BITFIELD k GET u8 #-1|BITFIELD k GET u8 #x|BITFIELD k SET u8 0 x
BITFIELD k OVERFLOW BOGUS GET u8 0|BITFIELD k GET u8|BITFIELD k FOO|BITFIELD k|BITFIELD nk
BITFIELD nk GET u8 100|EXISTS nk|BITFIELD nk OVERFLOW FAIL INCRBY u2 0 9|EXISTS nk|GET nk
BITFIELD k OVERFLOW|BITFIELD k SET u8 4294967296 1|BITFIELD k SET u8 #536870912 1
BITFIELD_RO k GET u8 0 GET i3 5|BITFIELD_RO k SET u8 0 1|BITFIELD_RO nk2 GET u8 0|BITFIELD_RO k
BITFIELD k SET u1 3 1 SET u1 4 1 GET u8 0 INCRBY u3 3 2 GET u8 0|STRLEN k
BITFIELD k INCRBY i5 100 -17 OVERFLOW SAT INCRBY i5 100 -17 OVERFLOW WRAP INCRBY i5 100 50|SETBIT
GETBIT k|BITOP AND|BITOP AND d|BITPOS k
SET e 0|SETBIT e 7 0|OBJECT ENCODING e|SET e2 1|BITFIELD e2 SET u8 0 49|OBJECT ENCODING e2
SET e3 1|BITFIELD e3 GET u8 0|OBJECT ENCODING e3|SET e4 1|SETRANGE e4 0 1|OBJECT ENCODING e4
"""

HYPERLOGLOG = """
PFADD h|GET h|PFCOUNT h|GET h|PFADD h a b c|GET h|PFADD h a|PFCOUNT h|GET h|PFCOUNT h nokey
PFCOUNT nokey|PFCOUNT nokey nokey2|PFMERGE d h nokey|GET d|PFCOUNT d|PFMERGE nokey2|GET nokey2
PFADD h d e f g h i j k l m n o p q r s t u v w x y z|PFCOUNT h|GET h|APPEND h x|PFCOUNT h
PFADD h zz|TYPE h|OBJECT ENCODING h|STRLEN h|PFADD|PFCOUNT|PFMERGE|SET bad HYLLx|PFADD bad a
PFCOUNT bad|PFMERGE d bad|SET short HYL|PFCOUNT short
SET enc HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff|PFCOUNT enc
SET dense HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00|PFCOUNT dense
SET cut HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe|PFCOUNT cut|PFCOUNT cut h
PFMERGE cut|PFADD cut 1 2 3 4 5 6 7 8 9|GET cut
SET over HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80|PFCOUNT over
PFCOUNT over h|PFMERGE x over
SET cached HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x7f\xff|PFCOUNT cached
PFADD cached q|PFCOUNT cached|GET cached|SET h2 v EX 100|PFADD t1 a|PFMERGE h2 t1|PFADD h3 x
EXPIRE h3 100|PFADD h3 y|TTL h3|PFMERGE h3 t1|TTL h3|PFCOUNT h3
"""

GEO = """
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania|TYPE Sicily
GEOADD Sicily NX 13.361389 38.115556 Palermo 12 37 Marsala|GEOADD Sicily XX CH 13.4 38.1 Palermo
GEOADD Sicily XX 1 1 nobody|GEOADD Sicily CH NX 13.4 38.1 Palermo 14 37.1 Gela|GEOPOS Sicily nobody
GEOADD Sicily NX XX 1 1 a|GEOADD Sicily 1 1|GEOADD Sicily 1 1 a 2|GEOADD Sicily CH 1
GEOADD x NX CH CH|GEOADD Sicily GT 1 1 a|GEOADD Sicily 1 x a|GEOADD Sicily 0x10 1 hex
GEOADD Sicily 1e400 1 big|GEOADD Sicily nan 1 a|GEOADD Sicily 180 85.05112878 corner
GEOADD Sicily -180 -85.05112878 c2|GEOADD Sicily 180.0000001 0 a|GEOADD Sicily 0 -85.06 a
GEOADD Sicily inf 0 a|GEOADD Sicily -inf 0 a|GEOADD newkey XX 1 1 a|EXISTS newkey
GEOADD Sicily 0 0 zero 1e-310 0 tiny|GEOPOS Sicily Palermo Catania corner c2 zero tiny hex missing
GEOPOS nokey a b|GEOPOS Sicily|GEOHASH Sicily Palermo Catania corner c2 zero tiny hex missing
GEOHASH nokey a|GEOHASH Sicily|GEODIST Sicily Palermo Catania|GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo Catania MI|GEODIST Sicily Palermo Catania ft|GEODIST Sicily Palermo Catania M
GEODIST Sicily Palermo Catania yd|GEODIST Sicily Palermo missing|GEODIST nokey a b
GEODIST Sicily Palermo Catania km x|GEODIST Sicily corner c2|GEODIST Sicily zero tiny
GEODIST Sicily Palermo Palermo|GEODIST nokey a b yd|GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km ASC|GEORADIUS Sicily 15 37 200 km DESC
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH COUNT 2|GEORADIUS Sicily 15 37 1 m
GEORADIUS Sicily 15 37 200 km COUNT 1 ANY|GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 2 parsec|GEORADIUS Sicily 15 37 -1 km|GEORADIUS Sicily 15 37 x km
GEORADIUS Sicily 15 37 200 km COUNT 0|GEORADIUS Sicily 15 37 200 km COUNT -3
GEORADIUS Sicily 15 37 200 km COUNT x|GEORADIUS Sicily 15 37 200 km FOO
GEORADIUS Sicily 200 37 200 km|GEORADIUS Sicily 15 37 200 km STORE dst|TYPE dst
GEOPOS dst Gela Palermo|GEORADIUS Sicily 15 37 200 km STOREDIST dst2 DESC COUNT 2
GEOHASH dst2 Gela Catania Palermo|GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
GEORADIUS Sicily 15 37 1 m STORE dst|EXISTS dst|GEORADIUS nokey 15 37 200 km STORE dst2|EXISTS dst2
GEORADIUS nokey 15 37 200 km|GEORADIUS nokey 15 37 x km
GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC|GEORADIUS_RO Sicily 15 37 200 km STORE dst
GEORADIUSBYMEMBER Sicily Palermo 100 km WITHDIST|GEORADIUSBYMEMBER Sicily missing 100 km
GEORADIUSBYMEMBER Sicily Palermo 300 km WITHCOORD DESC COUNT 3|GEORADIUSBYMEMBER nokey x y z
GEORADIUSBYMEMBER nokey x y z WITHDIST STORE q|GEORADIUSBYMEMBER nokey x y z BOGUS
GEORADIUSBYMEMBER Sicily Palermo 300 km STORE dst3|GEOPOS dst3 Palermo|OBJECT ENCODING dst3
GEORADIUSBYMEMBER_RO Sicily Palermo 300 km ASC WITHHASH
GEORADIUSBYMEMBER_RO Sicily Palermo 300 km STOREDIST x|EXPIRE Sicily 1000
GEOADD Sicily 14.5 37.5 Enna|TTL Sicily|SET dd x EX 100
GEOSEARCHSTORE dd Sicily FROMMEMBER Enna BYRADIUS 50 km|TTL dd
GEORADIUS Sicily 15 37 50 km STORE Sicily|GEOPOS Sicily Catania Enna Palermo
GEOSEARCHSTORE Sicily Sicily FROMLONLAT 15 37 BYRADIUS 1 km|EXISTS Sicily
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km DESC WITHCOORD WITHDIST WITHHASH COUNT 2
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 900 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 900 100 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km BYBOX 1 1 km|GEOSEARCH Sicily BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37|GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km
GEOSEARCH Sicily FROMMEMBER missing BYRADIUS 1 km|GEOSEARCH nokey FROMMEMBER missing BYRADIUS 1 km
GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 1 km|GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km|GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX w 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 0 km
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 0 m WITHDIST
GEOSEARCH Sicily FROMLONLAT 0 0 BYRADIUS 20000 km
GEOSEARCH Sicily FROMLONLAT 0 0 BYBOX 40000 40000 km
GEOSEARCH Sicily FROMLONLAT 179 84 BYRADIUS 300 km WITHDIST
GEOSEARCH Sicily FROMLONLAT -179 -84 BYRADIUS 900 km
GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km|GEOHASH d Palermo Gela|TYPE d
GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 2 DESC
GEOPOS d Gela Palermo|GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 m|EXISTS d
GEOSEARCHSTORE d nokey FROMLONLAT 15 37 BYRADIUS 1 km
GEOSEARCHSTORE d Sicily FROMMEMBER Gela BYBOX 1 1 km|SET str v
GEOSEARCHSTORE str Sicily FROMMEMBER Gela BYBOX 1 1 km|TYPE str|GEOSEARCHSTORE d Sicily STOREDIST
GEOADD Sicily 13.361389 38.115556 Twin|GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km ASC
GEOSEARCH Sicily FROMMEMBER Twin BYRADIUS 100 km DESC WITHDIST|GEOADD|GEODIST Sicily
GEORADIUS Sicily 1 2 3|GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200
GEOSEARCHSTORE d Sicily FROMLONLAT 15 37|GEOHASH
"""

WRONGTYPE = """
GEOADD notstring 0 0 x|SETBIT notstring 1 1|GETBIT notstring 1|BITCOUNT notstring|BITPOS notstring 1
BITFIELD notstring|BITFIELD_RO notstring GET u8 0|BITOP AND d notstring|SET a abc
BITOP AND notstring a|TYPE notstring|BITFIELD notstring GET u8 0 SET u8 0 1|PFADD notstring a
PFCOUNT notstring|PFCOUNT a|PFMERGE notstring|PFMERGE a|PFMERGE d notstring|PFADD a|SET s foobar
GEOADD s 0 0 x|GEOPOS s x|GEODIST s a b|GEOHASH s a|GEOSEARCH s FROMLONLAT 0 0 BYRADIUS 1 m
GEOSEARCHSTORE d s FROMLONLAT 0 0 BYRADIUS 1 m
GEOSEARCHSTORE s notstring FROMLONLAT 0 0 BYRADIUS 1 km|TYPE s|GEORADIUS s 0 0 1 m
GEORADIUSBYMEMBER s x 1 m|GEOPOS nokey a b
"""

SCENARIOS = {
    "bitmaps": BITMAPS,
    "hyperloglog": HYPERLOGLOG,
    "geo": GEO,
    "wrongtype": WRONGTYPE,
}


def _decode_escapes(word: str) -> str | bytes:
    if word == "''":
        return ""
    if "\\x" in word:
        return word.encode("latin-1").decode("unicode_escape").encode("latin-1")
    return word


def commands_of(text: str) -> list[list[Any]]:
    return [
        [_decode_escapes(word) for word in command.split()]
        for line in text.strip().splitlines()
        for command in line.split("|")
    ]


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis()


def _run(client: redis.Redis, argv: list[Any]) -> tuple[str, Any]:
    try:
        return "reply", client.execute_command(*argv)
    except redis.RedisError as exc:
        return "error", f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="module")
def pair(redis_port: int, server: FerriteProcess) -> Iterator[Callable[[int], tuple[Any, Any]]]:
    """(theirs, ours) raw-reply clients for a protocol, one connection each, reused."""
    opened: dict[int, tuple[redis.Redis, redis.Redis]] = {}

    def clients(protocol: int) -> tuple[redis.Redis, redis.Redis]:
        if protocol not in opened:
            theirs = redis.Redis(
                port=redis_port, protocol=protocol, socket_timeout=10, single_connection_client=True
            )
            ours = server.client(
                protocol=protocol, socket_timeout=10, single_connection_client=True
            )
            opened[protocol] = (theirs, ours)
        return opened[protocol]

    yield clients
    for theirs, ours in opened.values():
        theirs.close()
        ours.close()


def compare(theirs: redis.Redis, ours: redis.Redis, commands: list[list[Any]]) -> list[str]:
    mismatches = []
    for argv in commands:
        expected, got = _run(theirs, argv), _run(ours, argv)
        if expected != got:
            mismatches.append(f"{argv!r}: redis {expected!r}, ferrite {got!r}")
    return mismatches


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_replies_as_redis(
    pair: Callable[[int], tuple[redis.Redis, redis.Redis]], protocol: int, scenario: str
) -> None:
    theirs, ours = pair(protocol)
    theirs.flushall()
    ours.flushall()
    mismatches = compare(theirs, ours, commands_of(SCENARIOS[scenario]))
    assert not mismatches, "\n".join(mismatches)


# -- HyperLogLog: sparse, promotion, dense, unions -----------------------------------------


def _elements(prefix: str, size: int) -> list[str]:
    return [f"{prefix}:{i}" for i in range(size)]


@pytest.mark.parametrize("protocol", [2, 3])
def test_hll_bytes_and_counts_match_redis(
    pair: Callable[[int], tuple[redis.Redis, redis.Redis]], protocol: int
) -> None:
    """Same PFADDs give byte-identical strings and equal PFCOUNTs, sparse through dense."""
    theirs, ours = pair(protocol)
    theirs.flushall()
    ours.flushall()
    commands: list[list[Any]] = []
    for name, size in (("tiny", 3), ("small", 120), ("mid", 700), ("big", 2500), ("huge", 9000)):
        elements = _elements(name, size)
        for start in range(0, size, 250):
            commands.append(["PFADD", name, *elements[start : start + 250]])
        commands += [["GET", name], ["PFCOUNT", name], ["GET", name], ["STRLEN", name]]
    commands += [
        ["PFCOUNT", "tiny", "mid", "big"],
        ["PFCOUNT", "small", "huge", "nokey"],
        ["PFMERGE", "m1", "tiny", "small", "mid"],
        ["GET", "m1"],
        ["PFCOUNT", "m1"],
        ["PFMERGE", "m2", "small", "huge"],
        ["GET", "m2"],
        ["PFMERGE", "mid", "tiny"],
        ["GET", "mid"],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "200"],
        ["PFADD", "low", *_elements("low", 60)],
        ["GET", "low"],
        ["PFCOUNT", "low"],
        ["PFMERGE", "low2", "tiny", "small"],
        ["GET", "low2"],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
        ["CONFIG", "GET", "hll-sparse-max-bytes"],
    ]
    mismatches = compare(theirs, ours, commands)
    assert not mismatches, "\n".join(m[:300] for m in mismatches)


# -- geo: many points, unsorted searches (cell order), boxes, poles, the antimeridian -------

_CENTRES = [(13.36, 38.11), (-0.12, 51.5), (179.9, 10.0), (-179.95, -20.0), (0.0, 84.9), (25, -84)]


def _geo_commands(seed: int) -> list[list[Any]]:
    rng = random.Random(seed)
    commands: list[list[Any]] = []
    points: list[str] = []
    for index in range(400):
        lon0, lat0 = rng.choice(_CENTRES)
        spread = rng.choice([0.01, 0.5, 3.0])
        lon = max(-180.0, min(180.0, lon0 + rng.uniform(-spread, spread)))
        lat = max(-85.05, min(85.05, lat0 + rng.uniform(-spread, spread)))
        points += [f"{lon:.6f}", f"{lat:.6f}", f"p{index}"]
    for start in range(0, len(points), 150):
        commands.append(["GEOADD", "pts", *points[start : start + 150]])
    for _ in range(40):
        lon0, lat0 = rng.choice(_CENTRES)
        lon = f"{max(-180.0, min(180.0, lon0 + rng.uniform(-1, 1))):.5f}"
        lat = f"{max(-85.0, min(85.0, lat0 + rng.uniform(-1, 1))):.5f}"
        unit = rng.choice(["m", "km", "mi", "ft"])
        size = {"m": 90000, "km": 90, "mi": 60, "ft": 300000}[unit] * rng.choice([0.05, 0.5, 2])
        extras = rng.sample(["WITHDIST", "WITHHASH", "WITHCOORD"], rng.randint(0, 3))
        if rng.random() < 0.5:
            shape = ["BYRADIUS", f"{size:.3f}", unit]
        else:
            shape = ["BYBOX", f"{size:.3f}", f"{size * rng.uniform(0.3, 2):.3f}", unit]
        order = rng.choice([[], ["ASC"], ["DESC"], ["COUNT", "5"], ["COUNT", "3", "ANY"]])
        commands.append(["GEOSEARCH", "pts", "FROMLONLAT", lon, lat, *shape, *order, *extras])
        member = f"p{rng.randrange(400)}"
        commands.append(["GEORADIUSBYMEMBER", "pts", member, f"{size:.3f}", unit, *extras])
        commands.append(["GEOSEARCHSTORE", "out", "pts", "FROMMEMBER", member, *shape, "STOREDIST"])
        commands.append(["GEOSEARCH", "out", "FROMMEMBER", member, "BYRADIUS", "1000", "km"])
    for radius in ("3000", "8000", "15000"):  # huge radii: neighbour cells coincide
        lon0, lat0 = rng.choice(_CENTRES)
        commands.append(["GEOSEARCH", "pts", "FROMLONLAT", lon0, lat0, "BYRADIUS", radius, "km"])
        commands.append(
            ["GEOSEARCH", "pts", "FROMLONLAT", lon0, lat0, "BYBOX", radius, "900", "km"]
        )
    commands.append(["GEOHASH", "pts", *[f"p{i}" for i in range(0, 400, 7)]])
    commands.append(["GEOPOS", "pts", *[f"p{i}" for i in range(0, 400, 11)]])
    commands.append(["GEORADIUS", "pts", "0", "0", "20000", "km", "COUNT", "7", "WITHHASH"])
    return commands


@pytest.mark.parametrize(("protocol", "seed"), [(2, 1), (3, 2), (2, 3)])
def test_geo_searches_match_redis(
    pair: Callable[[int], tuple[redis.Redis, redis.Redis]], protocol: int, seed: int
) -> None:
    theirs, ours = pair(protocol)
    theirs.flushall()
    ours.flushall()
    mismatches = compare(theirs, ours, _geo_commands(seed))
    assert not mismatches, "\n".join(m[:400] for m in mismatches[:10])


def _corrupted_hll_commands(seed: int) -> list[list[Any]]:
    """Redis's own fuzzing idea: PFADD, overwrite a few random bytes, use the HLL again."""
    rng = random.Random(seed)
    commands: list[list[Any]] = []
    for _ in range(30):
        size = rng.choice([3, 50, 300, 1200])
        commands += [
            ["DEL", "hll", "h2"],
            ["PFADD", "hll", *[str(rng.random()) for _ in range(size)]],
            ["PFADD", "h2", "a", "b"],
        ]
        for _ in range(5):
            where = rng.randrange(12304 if rng.random() < 0.3 else 400)
            commands.append(["SETRANGE", "hll", where, bytes([rng.randrange(256)])])
            if rng.random() < 0.5:
                break
        commands += [
            ["PFCOUNT", "hll"],
            ["PFADD", "hll", "x", "y", "z"],
            ["PFCOUNT", "hll", "h2"],
            ["PFMERGE", "h2", "hll"],
            ["GET", "h2"],
            ["PFMERGE", "hll", "h2"],
            ["GET", "hll"],
        ]
    return commands


@pytest.mark.parametrize("seed", [5])
def test_corrupted_hlls_are_handled_as_redis_does(
    pair: Callable[[int], tuple[redis.Redis, redis.Redis]], seed: int
) -> None:
    theirs, ours = pair(2)
    theirs.flushall()
    ours.flushall()
    mismatches = compare(theirs, ours, _corrupted_hll_commands(seed))
    assert not mismatches, "\n".join(m[:300] for m in mismatches[:5])


# -- raw error replies --------------------------------------------------------------------

#: Each case runs on one fresh connection; every command answers a one-line reply.
RAW_ERRORS: list[list[list[str]]] = [
    [["SETBIT", "k", "-1", "1"]],
    [["SETBIT", "k", "0", "5"]],
    [["BITPOS", "k", "3"]],
    [["BITOP", "NOT", "d", "a", "b"]],
    [["BITOP", "FOO", "d", "a"]],
    [["BITFIELD", "k", "GET", "u64", "0"]],
    [["BITFIELD", "k", "OVERFLOW", "X"]],
    [["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"]],
    [["SET", "nothll", "x"], ["PFADD", "nothll", "a"], ["PFCOUNT", "nothll", "nokey"]],
    [["SET", "cut", "HYLL\x01" + "\x00" * 10 + "\x80\x7f\xfe"], ["PFCOUNT", "cut"]],
    [["GEOADD", "g", "200", "0", "m"]],
    [["GEOADD", "g", "0", "86", "m"]],
    [["GEOADD", "g", "x", "0", "m"]],
    [["GEOADD", "g", "NX", "XX", "0", "0", "m"]],
    [["GEOSEARCH", "nokey", "FROMMEMBER", "m", "BYRADIUS", "1", "m", "ANY"]],
    [["GEOADD", "g", "1e400", "0", "m"]],
    [["GEOADD", "g", "0", "1e-400", "m"]],
    [["GEOADD", "g", "0", "-90", "m"]],
    [["GEOADD", "g", "0", "0", "m"], ["GEOSEARCH", "g", "FROMMEMBER", "x", "BYRADIUS", "1", "m"]],
    [["GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "parsec"]],
    [["GEORADIUS", "g", "0", "0", "-1", "m"]],
]


def _encode(argv: list[str]) -> bytes:
    words = [word.encode("latin-1").decode("unicode_escape").encode("latin-1") for word in argv]
    return f"*{len(words)}\r\n".encode() + b"".join(
        b"$%d\r\n%s\r\n" % (len(word), word) for word in words
    )


def _raw(port: int, commands: list[list[str]]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"".join(_encode(argv) for argv in commands))
        data = b""
        while data.count(b"\r\n") < len(commands):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


@pytest.mark.parametrize("commands", RAW_ERRORS, ids=lambda cmds: " ".join(cmds[-1]))
def test_raw_error_bytes(
    redis_port: int, server: FerriteProcess, commands: list[list[str]]
) -> None:
    redis.Redis(port=redis_port).flushall()
    server.client().flushall()
    expected = _raw(redis_port, commands)
    assert expected.split(b"\r\n")[-2].startswith(b"-")
    assert _raw(server.port, commands) == expected


# -- hypothesis: random bit operations on one key ----------------------------------------

_TYPES = st.sampled_from(["i1", "u1", "i7", "u8", "i16", "u31", "i33", "u63", "i64"])
_OFFSETS = st.integers(min_value=0, max_value=90)
_OPERAND = st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.integers(-300, 300)
_OVERFLOW = st.sampled_from(["WRAP", "SAT", "FAIL"])
_RANGE = st.integers(min_value=-15, max_value=15)


def _bitfield_cmd() -> st.SearchStrategy[list[Any]]:
    op = st.one_of(
        st.tuples(st.just("GET"), _TYPES, _OFFSETS),
        st.tuples(st.just("SET"), _TYPES, _OFFSETS, _OPERAND),
        st.tuples(st.just("INCRBY"), _TYPES, _OFFSETS, _OPERAND),
        st.tuples(st.just("OVERFLOW"), _OVERFLOW),
    )
    return st.lists(op, min_size=1, max_size=4).map(
        lambda ops: ["BITFIELD", "h", *[str(part) for o in ops for part in o]]
    )


_COMMANDS = st.one_of(
    _bitfield_cmd(),
    st.tuples(_OFFSETS, st.integers(0, 1)).map(lambda t: ["SETBIT", "h", t[0], t[1]]),
    st.tuples(_RANGE, _RANGE, st.sampled_from(["BYTE", "BIT"])).map(
        lambda t: ["BITCOUNT", "h", t[0], t[1], t[2]]
    ),
    st.tuples(st.integers(0, 1), _RANGE, _RANGE, st.sampled_from(["BYTE", "BIT", ""])).map(
        lambda t: ["BITPOS", "h", t[0], t[1], t[2], t[3]][: 6 if t[3] else 5]
    ),
    st.tuples(st.integers(0, 1), _RANGE).map(lambda t: ["BITPOS", "h", t[0], t[1]]),
    st.just(["GET", "h"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=st.lists(_COMMANDS, min_size=1, max_size=12))
def test_bit_commands_match_redis(
    pair: Callable[[int], tuple[redis.Redis, redis.Redis]], sequence: list[list[Any]]
) -> None:
    theirs, ours = pair(2)
    theirs.delete("h")
    ours.delete("h")
    mismatches = compare(theirs, ours, sequence)
    assert not mismatches, "\n".join(mismatches)


# -- hypothesis: random PFADD / PFMERGE sequences give byte-identical HLLs ----------------

_HLL_KEYS = st.sampled_from(["x", "y", "z"])
_HLL_ELEMENTS = st.lists(st.integers(0, 100_000).map(str), min_size=0, max_size=300)
_HLL_COMMANDS = st.one_of(
    st.tuples(_HLL_KEYS, _HLL_ELEMENTS).map(lambda t: ["PFADD", t[0], *t[1]]),
    st.tuples(_HLL_KEYS, st.lists(_HLL_KEYS, max_size=3)).map(lambda t: ["PFMERGE", t[0], *t[1]]),
    st.lists(_HLL_KEYS, min_size=1, max_size=3).map(lambda keys: ["PFCOUNT", *keys]),
    _HLL_KEYS.map(lambda key: ["GET", key]),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=st.lists(_HLL_COMMANDS, min_size=1, max_size=10))
def test_hll_sequences_match_redis(
    pair: Callable[[int], tuple[redis.Redis, redis.Redis]], sequence: list[list[Any]]
) -> None:
    theirs, ours = pair(2)
    theirs.delete("x", "y", "z")
    ours.delete("x", "y", "z")
    sequence = [*sequence, ["GET", "x"], ["GET", "y"], ["GET", "z"]]
    mismatches = compare(theirs, ours, sequence)
    assert not mismatches, "\n".join(m[:300] for m in mismatches)
