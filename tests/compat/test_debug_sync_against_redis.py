"""Differential tests for what Redis's own Tcl suite leans on: DEBUG DIGEST / DIGEST-VALUE
(its algorithm, per type), DEBUG LOADAOF, and the SYNC propagation stream that its
attach_to_replication_stream helper reads. Same calls to a real redis-server and to Ferrite,
replies compared."""

from __future__ import annotations

import shlex
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

DEBUG_AND_AOF = ("--enable-debug-command", "yes", "--appendonly", "yes")


@pytest.fixture(scope="module")
def redis_port(
    reference_redis: Callable[..., int], tmp_path_factory: pytest.TempPathFactory
) -> int:
    directory = tmp_path_factory.mktemp("redis-aof")
    return reference_redis(*DEBUG_AND_AOF, "--dir", str(directory))


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(*DEBUG_AND_AOF, modules=[]) as proc:
        proc.start()
        yield proc


@pytest.fixture
def pair(redis_port: int, ferrite: FerriteProcess) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    theirs = redis.Redis(port=redis_port, socket_timeout=10, single_connection_client=True)
    ours = ferrite.client(socket_timeout=10, single_connection_client=True)
    for client in (theirs, ours):
        client.flushall()
    yield theirs, ours
    theirs.close()
    ours.close()


def _run(client: redis.Redis, argv: list[str]) -> Any:
    try:
        return client.execute_command(*argv)
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"


def _compare(pair: tuple[redis.Redis, redis.Redis], script: str) -> None:
    theirs, ours = pair
    mismatches = []
    for line in script.strip().splitlines():
        argv = line.split()
        expected, got = _run(theirs, argv), _run(ours, argv)
        if expected != got:
            mismatches.append(f"{line!r}: redis {expected!r}, ferrite {got!r}")
    assert not mismatches, "\n".join(mismatches)


def test_digests_follow_redis_per_type(pair: tuple[redis.Redis, redis.Redis]) -> None:
    for client in pair:
        client.zadd("bigz", {f"m{i}": i / 3 for i in range(200)})  # a skiplist
        client.hset("bigh", mapping={f"f{i}": i for i in range(600)})  # a hashtable
        client.rpush("bigl", *range(300))
    _compare(
        pair,
        """
        DEBUG DIGEST
        RPUSH l a b 1 2
        SADD s a b 1 2
        SADD ints 3 1 2
        HSET h a 1 b 2
        ZADD z 1 a 2.5 b -3 c 0.1 d 1e300 e inf f
        SET str hello
        SET num 12345
        DEBUG DIGEST-VALUE l s ints h z str num nokey bigz bigh bigl
        DEBUG DIGEST
        PEXPIRE l 100000
        DEBUG DIGEST-VALUE l
        DEBUG DIGEST
        SELECT 3
        SET x 1
        DEBUG DIGEST
        FLUSHALL
        DEBUG DIGEST
        """,
    )


def test_debug_loadaof_keeps_what_the_aof_has(pair: tuple[redis.Redis, redis.Redis]) -> None:
    _compare(
        pair,
        """
        SET foo bar EX 100
        SET foo bar2 KEEPTTL
        SET p v EX 100
        GETEX p PERSIST
        RPUSH l a b c
        DEBUG LOADAOF
        GET foo
        TTL p
        LRANGE l 0 -1
        DBSIZE
        DEBUG LOADAOF EXTRA
        """,
    )
    for client in pair:
        assert 90 < client.ttl("foo") <= 100


# -- the SYNC stream ---------------------------------------------------------------------------


class ReplicaStream:
    """A connection that sent SYNC: skips the snapshot payload, then parses commands."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""
        self.sock.sendall(b"SYNC\r\n")
        line = self._line()
        while not line:  # Redis sends newlines while it prepares the snapshot
            line = self._line()
        assert line.startswith(b"$"), line
        self._take(int(line[1:]))

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the SYNC connection")
        self.buffer += data

    def _line(self) -> bytes:
        while b"\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r")

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def command(self) -> list[str]:
        line = self._line()
        while not line.startswith(b"*"):
            line = self._line()
        argv = []
        for _ in range(int(line[1:])):
            size = int(self._line()[1:])
            argv.append(self._take(size + 2)[:-2].decode())
        return argv

    def until(self, marker: str) -> list[list[str]]:
        """Every command up to (not including) `SET <marker> ...`."""
        seen = []
        while True:
            argv = self.command()
            if argv[0].lower() == "ping":
                continue  # Redis's keepalive to replicas
            if argv[0].lower() == "set" and argv[1] == marker:
                return seen
            seen.append(["*" if arg.isdigit() and len(arg) >= 12 else arg for arg in argv])

    def close(self) -> None:
        self.sock.close()


def _stream_of(client: redis.Redis, port: int, commands: list[list[str]]) -> list[list[str]]:
    client.config_set("repl-ping-replica-period", 3600)
    stream = ReplicaStream(port)
    try:
        for argv in commands:
            if argv[0] == "sleep":
                time.sleep(float(argv[1]))
            else:
                _run(client, argv)
        client.set("end-marker", 1)
        return stream.until("end-marker")
    finally:
        stream.close()
        client.config_set("repl-ping-replica-period", 10)


def test_sync_streams_what_commands_propagate(
    pair: tuple[redis.Redis, redis.Redis], redis_port: int, ferrite: FerriteProcess
) -> None:
    script = """
    SELECT 9
    SET foo bar EX 100
    GETEX foo PERSIST
    GETEX foo
    GETEX foo EXAT 1
    DEL nokey
    MULTI
    INCR n
    SET k v
    EXEC
    DEBUG SET-ACTIVE-EXPIRE 0
    SET e1 v PX 1
    SET e2 v PX 1
    sleep 0.05
    SCAN 0
    DEBUG SET-ACTIVE-EXPIRE 1
    EXPIRE n -1
    MULTI
    SET single write
    EXEC
    MULTI
    SELECT 1
    SET a b
    GET a
    SELECT 2
    SET c d
    EXEC
    EVAL "redis.call('set','s1','v');redis.call('select','4');redis.call('set','s2','v')" 0
    EVAL "redis.call('set','s3','v')" 0
    SELECT 9
    """
    commands = [shlex.split(line) for line in script.strip().splitlines()]
    theirs, ours = pair
    expected = _stream_of(theirs, redis_port, commands)
    got = _stream_of(ours, ferrite.port, commands)
    # The order of the two lazy-expire DELs follows each server's hash table.
    dels = [i for i, argv in enumerate(expected) if argv[0].lower() == "del" and argv[1] < "f"]
    assert sorted(expected[i] for i in dels) == sorted(got[i] for i in dels)
    assert [c for i, c in enumerate(expected) if i not in dels] == [
        c for i, c in enumerate(got) if i not in dels
    ]


def test_sync_refused_inside_multi(pair: tuple[redis.Redis, redis.Redis]) -> None:
    _compare(pair, "MULTI\nSYNC\nEXEC")


def test_repl_ping_replica_period_config(pair: tuple[redis.Redis, redis.Redis]) -> None:
    _compare(
        pair,
        """
        CONFIG GET repl-ping*
        CONFIG SET repl-ping-slave-period 0
        CONFIG SET repl-ping-replica-period abc
        CONFIG SET repl-ping-slave-period 20
        CONFIG GET repl-ping-replica-period
        CONFIG SET repl-ping-replica-period 10
        """,
    )


def test_debug_error_replies_the_given_error(pair: tuple[redis.Redis, redis.Redis]) -> None:
    """Client libraries fake LOADING/READONLY/OOM replies with DEBUG ERROR in their tests."""

    def run(client: redis.Redis) -> list[str]:
        seen = []
        for argv in (
            ("DEBUG", "ERROR", "LOADING fake message"),
            ("DEBUG", "ERROR", "READONLY You can't write"),
            ("DEBUG", "ERROR", "two\r\nlines"),
            ("DEBUG", "ERROR"),
            ("DEBUG", "ERROR", "a", "b"),
        ):
            try:
                seen.append(repr(client.execute_command(*argv)))
            except redis.RedisError as exc:
                seen.append(f"{type(exc).__name__}: {exc}")
        return seen

    theirs, ours = pair
    assert run(ours) == run(theirs)
