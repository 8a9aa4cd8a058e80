"""Differential test: the same commands against a real redis-server and against Ferrite,
comparing every reply and error text. Skipped where redis-server is not installed (.ci/run
installs it with Debian's package)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

#: One scenario per line, run in order on one connection to each server. Replies whose order
#: Redis leaves unspecified (KEYS, SCAN, RANDOMKEY) are not compared here.
SCENARIO = """
SET k v|GET k|APPEND k xyz|GETRANGE k 1 -2|GETRANGE k -100 100|SETRANGE k 10 zz|GET k|STRLEN k
SET n 10|INCRBY n -3|INCRBYFLOAT n 1.5|INCRBYFLOAT n 1e3|DECR k|INCR nn
INCRBY n 9223372036854775807
SET f 3.0|INCRBYFLOAT f 0.1|INCRBYFLOAT f -3.1|SET e 1e5|INCRBYFLOAT e 1|INCRBYFLOAT x abc
MSET a 1 b 2|MGET a b c|MSETNX a 1 z 2|MSETNX y 1 z 2|GETSET a 9|GETDEL a|GETDEL a
SET t 1 EX 100|TTL t|EXPIRE t 50 GT|EXPIRE t 500 GT|TTL t|EXPIRE t 5 NX|PERSIST t|TTL t
EXPIRE t -1|EXISTS t
EXPIRE t 5 NX XX|EXPIRE t 5 GT LT|EXPIRE t abc|PEXPIREAT n 99999999999999|PEXPIRETIME n
EXPIRETIME n
SET s x NX|SET s y XX GET|SET s z NX GET|SET s q KEEPTTL EX 5|SET s q PX 0|SET s q EX 1 PX 1
SET s q EX abc
GETEX s PERSIST|GETEX s EX 10|TTL s|GETEX nokey|GETEX s EX 1 PX 1|TYPE s|TYPE nokey
RENAME s s2|RENAME nokey x|RENAMENX s2 b|COPY s2 s3|COPY s2 s3|COPY s2 s3 REPLACE
COPY s2 s4 DB 1
DEL s2 s3 nokey|UNLINK s4|DBSIZE|OBJECT ENCODING n|OBJECT ENCODING b|OBJECT ENCODING k
OBJECT FOO
SETEX q 0 v|PSETEX q 10 v|SETNX q v|SETNX q w|LCS k k|ECHO hi|PING|PING a b|SELECT 99|SELECT x
SWAPDB 0 99|MOVE b 1|MOVE b 0|EXPIREAT b 1|EXISTS b|SET big 1|SUBSTR big 0 0
FOO|GET|SET a|CLIENT FOO|CONFIG SET foo bar|CONFIG SET maxmemory abc
CONFIG GET maxmemory-policy
HELLO 4|HELLO x|AUTH a b c|WATCH|MULTI|MULTI|SET m 1|EXEC|EXEC|DISCARD
SCAN 0 COUNT x|SCAN abc|TOUCH n nokey|OBJECT FREQ n|SET k2 v EXAT 1|GET k2
SETRANGE k2 -1 x|SETRANGE k3 0 ''|EXISTS k3|GETRANGE k3 0 -1|APPEND k3 ''|EXISTS k3
INCRBYFLOAT big 1.0e-3|INCRBY big 1.5|DECRBY big -9223372036854775808
SET max 9223372036854775807|INCR max
SET z 1 EX 1 EX 1|SET z 1 EX 1 PX 1|GETEX z EX 5 EX 10|GETEX z EX 5 PX 10|SET z 1 KEEPTTL EX 1
GETEX z PERSIST PERSIST|GETEX z PERSIST EX 1|SET z 1 NX NX|SET z 1 GET GET|SET z 1 KEEPTTL KEEPTTL
SET a 1|SET b 12345678901234567890|SET c 12345678901234567890123456789012345678901234
SET d 123456789012345678901234567890123456789012345|SET e -0|SET f 007|SET g 9223372036854775808
OBJECT ENCODING a|OBJECT ENCODING b|OBJECT ENCODING c|OBJECT ENCODING d|OBJECT ENCODING e
OBJECT ENCODING f|OBJECT ENCODING g|INCR e|INCR f|INCR g|SET h 10.50|INCRBYFLOAT h 0
INCRBYFLOAT h 1e308|INCRBYFLOAT h 1e308|SET i 1|INCRBYFLOAT i 5.0e3|INCRBYFLOAT i -5000.00000000001
SET j 3|INCRBYFLOAT j inf|INCRBYFLOAT j nan|INCRBYFLOAT j 0x10|EXPIRE a 9223372036854775807
EXPIRE a 9223372036854775|PEXPIRE a 9223372036854775807|SET k v EX 9223372036854775807
SET k v PX 9223372036854775807|SET k v EXAT 9223372036854775807|SET k v EX -1
GETRANGE d -5 -1|GETRANGE d 10 5|GETRANGE d -1 -5|GETRANGE d 0 9223372036854775807
SETRANGE nk 5 x|GET nk|SETRANGE nk 536870912 x|SETRANGE nk -1 x|RENAME nk nk|RENAMENX nk nk
COPY nk nk|MOVE nk 0|SELECT -1|MSET a|MSET a 1 b|MSETNX a|SCAN 0 COUNT 0|SCAN 0 COUNT -1
SCAN 18446744073709551616|GETEX a PX 0|GETEX a FOO|PING 1 2|EXPIRE a 10 XX NX|SETEX z -1 v
PSETEX z 0 v|INCRBY z 1.5|DECRBY z -9223372036854775808|TIME x|DBSIZE x|SWAPDB 0 x|SWAPDB 0 0
FLUSHDB|DBSIZE|FLUSHALL ASYNC|FLUSHALL BOGUS
WATCH wk|FLUSHDB|MULTI|PING|EXEC|SET wk 1|WATCH wk|FLUSHDB|MULTI|PING|EXEC|WATCH wk|FLUSHALL
MULTI|PING|EXEC|SET w8 1|WATCH w8|SWAPDB 0 1|MULTI|PING|EXEC|WATCH w7|SWAPDB 0 1|MULTI|PING|EXEC
SET w6 1|WATCH w6|DEL w6|FLUSHDB|MULTI|PING|EXEC
ROLE|ROLE x
LOLWUT|LOLWUT VERSION|LOLWUT VERSION 1|LOLWUT VERSION 7|LOLWUT VERSION x|LOLWUT foo
LOLWUT VERSION -1
CLUSTER INFO|CLUSTER HELP|CLUSTER INFO x|CLUSTER|CLUSTER FOO|CLUSTER KEYSLOT foo|CLUSTER SETSLOT 1
REPLICAOF NO ONE|SLAVEOF no one|REPLICAOF|REPLICAOF a|REPLICAOF 127.0.0.1 x|REPLICAOF h 65536
REPLICAOF NO ONE x|READONLY|READWRITE|ASKING|READONLY x
ACL SETUSER cu +cluster +readonly +asking|ACL DELUSER cu
"""


def _commands() -> list[list[str]]:
    commands = []
    for line in SCENARIO.strip().splitlines():
        for command in line.split("|"):
            commands.append(["" if word == "''" else word for word in command.split()])
    return commands


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis()


def _run(client: redis.Redis, argv: list[str]) -> tuple[str, Any]:
    try:
        return "reply", client.execute_command(*argv)
    except redis.RedisError as exc:
        return "error", f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("protocol", [2, 3])
def test_same_replies_as_redis(redis_port: int, server: FerriteProcess, protocol: int) -> None:
    theirs = redis.Redis(
        port=redis_port, protocol=protocol, socket_timeout=5, single_connection_client=True
    )
    ours = server.client(protocol=protocol, socket_timeout=5, single_connection_client=True)
    theirs.flushall()
    ours.flushall()
    mismatches = []
    for argv in _commands():
        expected, got = _run(theirs, argv), _run(ours, argv)
        if expected != got:
            mismatches.append(f"{' '.join(argv)!r}: redis {expected!r}, ferrite {got!r}")
    theirs.close()
    ours.close()
    assert not mismatches, "\n".join(mismatches)
