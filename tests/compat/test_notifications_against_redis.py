"""Differential test of keyspace notifications: a subscriber to `__key*__:*` on a real
redis-server and on Ferrite, the same commands run on both under several
`notify-keyspace-events` settings, and the message sequences compared. Also CONFIG SET/GET of
the setting itself (canonical spelling, `A`, bad letters). Skipped without redis-server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess

#: Commands whose announcements are compared (no timing: expiries use times already past);
#: commands joined by ";" run as one MULTI/EXEC transaction; "DUMP-RESTORE source target
#: [options] [ttl]" restores DUMP's payload of source.
COMMANDS = [
    "SET a 1",
    "SET a 2",
    "SET a 3 EX 100",
    "SET a 4 KEEPTTL",
    "SET a 5 GET",
    "SET a 6 NX",
    "SET a 7 XX PX 100000",
    "SET nope 1 XX",
    "SETNX a 1",
    "SETNX b 1",
    "SETEX c 100 v",
    "PSETEX d 100000 v",
    "MSET e 1 f 2",
    "MSETNX g 1 h 2",
    "MSETNX g 1 zz 2",
    "GETSET g 5",
    "GETSET newg 5",
    "GETEX g EX 100",
    "GETEX g",
    "GETEX g PERSIST",
    "GETEX g PXAT 1",
    "GETDEL h",
    "GETDEL zz",
    "SETRANGE a 0 x",
    "SETRANGE nk 2 x",
    "SETRANGE a 0 ''",
    "APPEND a b",
    "APPEND nk2 b",
    "INCR i",
    "INCRBY i 2",
    "DECR i",
    "DECRBY i 3",
    "INCRBYFLOAT j 1.5",
    "INCR a",
    "DEL a b zz",
    "UNLINK c",
    "EXISTS d",
    "EXPIRE d 100",
    "PEXPIRE d 100000",
    "EXPIRE d 0",
    "SET e 1",
    "PEXPIRE e -1",
    "SET e 1",
    "EXPIREAT e 1",
    "SET e 1",
    "PEXPIREAT e 99999999999999",
    "EXPIRE e 100 NX",
    "EXPIRE e 50 GT",
    "EXPIRE e 50 LT",
    "EXPIRE nope 10",
    "PERSIST e",
    "PERSIST e",
    "RENAME e e2",
    "SET f 1",
    "RENAME f e2",
    "RENAMENX e2 f",
    "SET x 1",
    "RENAMENX f x",
    "RENAME f f",
    "MOVE f 1",
    "SELECT 1",
    "SET f other",
    "MOVE f 0",
    "MOVE x 0",
    "SELECT 0",
    "COPY f f3",
    "COPY f f3",
    "COPY f f3 REPLACE",
    "COPY f f4 DB 2",
    "SET k 1 PXAT 1",
    "GET k",
    "SET k2 1 EXAT 1",
    "EXISTS k2",
    "SETEX k3 100 v",
    "SET m1 1; INCR m1; DEL m1; SET m2 x",
    "SWAPDB 0 1",
    "FLUSHDB",
    "SELECT 1",
    "SET s v",
    "DUMP-RESTORE s s2",
    "DUMP-RESTORE s s2 REPLACE",
    "DUMP-RESTORE s s REPLACE",
    "DUMP-RESTORE s s3 REPLACE ABSTTL 1",
    "DUMP-RESTORE s s4 ABSTTL 99999999999999",
    "DUMP-RESTORE s s REPLACE ABSTTL 1",
    "FLUSHALL",
]

SETTINGS = ["KEA", "AKEn", "Kg", "E$", "Kx", "KEg$n", "E", "A", "KEm", "AKEm"]


def _announcements(client: redis.Redis, listener: redis.client.PubSub) -> list[object]:
    """Run COMMANDS; after each one, everything the listener got before a sync message."""
    seen: list[object] = []
    for number, line in enumerate(COMMANDS):
        try:
            if line.startswith("DUMP-RESTORE"):
                _, source, target, *options = line.split()
                payload = client.dump(source)
                ttl = options.pop() if "ABSTTL" in options else "0"
                client.execute_command("RESTORE", target, ttl, payload, *options)
            elif ";" in line:
                with client.pipeline(transaction=True) as tx:
                    for command in line.split(";"):
                        tx.execute_command(*command.split())
                    seen.append(("exec", line, tx.execute()))
            else:
                client.execute_command(*["" if w == "''" else w for w in line.split()])
        except redis.ResponseError as exc:
            seen.append(("error", line, str(exc)))
        client.publish("sync", number)
        deadline = time.monotonic() + 10
        while True:
            assert time.monotonic() < deadline, f"no sync message after {line!r}"
            message = listener.get_message(timeout=1)
            if message is None:
                continue  # a subscription confirmation, or nothing yet
            if message["channel"] == b"sync":
                break
            seen.append((message["channel"], message["data"]))
    return seen


def _run(port: int, setting: str) -> list[object]:
    client = redis.Redis(port=port, protocol=2, single_connection_client=True)
    try:
        client.flushall()
        client.config_set("notify-keyspace-events", setting)
        listener = client.pubsub(ignore_subscribe_messages=True)
        listener.psubscribe("__key*__:*")
        listener.subscribe("sync")
        try:
            return _announcements(client, listener)
        finally:
            listener.close()
            client.config_set("notify-keyspace-events", "")
    finally:
        client.close()


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> Iterator[int]:
    # A reference server of its own: these tests change its notification setting.
    yield reference_redis("--notify-keyspace-events", "")


@pytest.mark.parametrize("setting", SETTINGS)
def test_announcements_match_redis(redis_port: int, server: FerriteProcess, setting: str) -> None:
    expected = _run(redis_port, setting)
    assert expected or setting in ("E", "Kx"), "the scenario announced nothing"
    assert _run(server.port, setting) == expected


CONFIG_VALUES = [
    "",
    "KEA",
    "A",
    "AKEn",
    "$lshzxegtmdnKE",
    "ndtexzhsl$gEKm",
    "nK",
    "An",
    "Ezg",
    "AKEm",
    "ndg",
    "dtn",
    "EKmn",
    "$g",
    "xe",
    "KEAKEA",
    "Kq",
    "k",
    "K E",
    "KE!",
]


def _config_roundtrip(port: int) -> list[object]:
    client = redis.Redis(port=port, protocol=3, single_connection_client=True)
    seen: list[object] = []
    try:
        for value in CONFIG_VALUES:
            try:
                seen.append(client.config_set("notify-keyspace-events", value))
            except redis.ResponseError as exc:
                seen.append(str(exc))
            seen.append(client.config_get("notify-keyspace-events"))
        client.config_set("notify-keyspace-events", "")
    finally:
        client.close()
    return seen


def test_config_spelling_matches_redis(redis_port: int, server: FerriteProcess) -> None:
    assert _config_roundtrip(server.port) == _config_roundtrip(redis_port)
