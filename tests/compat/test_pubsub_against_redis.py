"""Differential test of pub/sub at the byte level: the same scripts of commands, on several
connections, sent to a real redis-server and to Ferrite must get the same bytes back on
every connection (subscription confirmations, messages, subscribed-mode errors, PING's
shapes, RESP2 arrays and RESP3 pushes). Skipped where redis-server is not installed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from raw_script import run_script

from ferrite_host.testing import FerriteProcess

#: Steps: (connection number, commands separated by ";", sent in one write). A step that
#: starts with "!" has its reply dropped from the comparison (HELLO: client ids and versions
#: differ); one that starts with "~" answers an array in hash order (PUBSUB CHANNELS), so
#: its elements are compared sorted.
Script = list[tuple[int, str]]  # see raw_script.py

SCRIPTS: dict[str, Script] = {
    "resp2-subscribe-flow": [
        (0, "UNSUBSCRIBE"),
        (0, "PUNSUBSCRIBE"),
        (0, "SUNSUBSCRIBE"),
        (0, "SUBSCRIBE a b a"),
        (0, "PSUBSCRIBE p* a*"),
        (0, "SSUBSCRIBE s1 s2"),
        (0, "GET x"),
        (0, "CLIENT ID"),
        (0, "NOSUCHCMD x"),
        (0, "SUBSCRIBE"),
        (0, "PING"),
        (0, "PING hi"),
        (0, "PING a b"),
        (0, "MULTI;UNSUBSCRIBE a;EXEC"),
        (0, "UNSUBSCRIBE a"),
        (0, "UNSUBSCRIBE"),
        (0, "PUNSUBSCRIBE nothere"),
        (0, "PUNSUBSCRIBE"),
        (0, "GET x"),
        (0, "SUNSUBSCRIBE s1"),
        (0, "SUNSUBSCRIBE"),
        (0, "PING"),
        (0, "GET x"),
    ],
    "resp2-reset-and-quit": [
        (0, "SUBSCRIBE a"),
        (0, "RESET"),
        (0, "PING"),
        (1, "PUBLISH a m"),
        (0, "SUBSCRIBE a"),
        (1, "PUBSUB NUMSUB a"),
        (0, "QUIT"),
        (1, "PUBSUB NUMSUB a"),
        (1, "PUBLISH a m"),
    ],
    "resp3-subscribe-flow": [
        (0, "!HELLO 3"),
        (0, "SUBSCRIBE a"),
        (0, "GET x"),
        (0, "PING"),
        (0, "PING hi"),
        (0, "PUBLISH a m"),
        (0, "SSUBSCRIBE x"),
        (0, "SPUBLISH x m"),
        (0, "SSUBSCRIBE x y"),
        (0, "UNSUBSCRIBE"),
        (0, "SUNSUBSCRIBE x y z"),
        (0, "PSUBSCRIBE *"),
        (0, "PUBLISH q m"),
        (0, "!HELLO 2"),
        (0, "GET x"),
        (0, "PUNSUBSCRIBE"),
        (0, "GET x"),
    ],
    "publish-fan-out": [
        (0, "SUBSCRIBE news"),
        (1, "PSUBSCRIBE n* o?her"),
        (2, "!HELLO 3"),
        (2, "SUBSCRIBE news other"),
        (2, "PSUBSCRIBE *"),
        (3, "PUBLISH news hello"),
        (3, "PUBLISH other x"),
        (3, "PUBLISH nothing y"),
        (3, "~PUBSUB CHANNELS"),
        (3, "~PUBSUB CHANNELS n*"),
        (3, "PUBSUB CHANNELS n* x"),
        (3, "PUBSUB NUMSUB"),
        (3, "PUBSUB NUMSUB news other nothing news"),
        (3, "PUBSUB NUMPAT"),
        (3, "PUBSUB NUMPAT x"),
        (1, "PUNSUBSCRIBE n*"),
        (3, "PUBSUB NUMPAT"),
        (3, "PUBLISH news again"),
        (0, "QUIT"),
        (3, "~PUBSUB CHANNELS"),
        (3, "PUBLISH news last"),
    ],
    "sharded": [
        (0, "SSUBSCRIBE s1 s2"),
        (1, "!HELLO 3"),
        (1, "SSUBSCRIBE s2"),
        (2, "SPUBLISH s2 m"),
        (2, "SPUBLISH s1 m"),
        (2, "PUBLISH s1 m"),
        (2, "SPUBLISH nobody m"),
        (2, "~PUBSUB SHARDCHANNELS"),
        (2, "PUBSUB SHARDCHANNELS s1"),
        (2, "PUBSUB SHARDCHANNELS s* x"),
        (2, "PUBSUB SHARDNUMSUB s1 s2 s3"),
        (2, "PUBSUB SHARDNUMSUB"),
        (2, "PUBSUB CHANNELS"),
        (0, "SUNSUBSCRIBE s2"),
        (2, "PUBSUB SHARDNUMSUB s1 s2"),
    ],
    "help-and-errors": [
        (0, "PUBSUB HELP"),
        (0, "PUBSUB"),
        (0, "PUBSUB FOO"),
        (0, "PUBSUB HELP x"),
        (0, "PUBLISH a"),
        (0, "SPUBLISH a"),
        (0, "PSUBSCRIBE"),
        (0, "SSUBSCRIBE"),
        (0, "MULTI;PUBLISH a b;PING;EXEC"),
        (0, "PING"),
        (0, "MULTI;SUBSCRIBE a b;PSUBSCRIBE c;EXEC"),
        (0, "PING x"),
        (0, "MULTI"),
    ],
}


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> Iterator[int]:
    yield reference_redis()


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_pubsub_script_matches_redis(redis_port: int, server: FerriteProcess, name: str) -> None:
    script = [(str(number), line) for number, line in SCRIPTS[name]]
    expected = run_script(redis_port, script)
    got = run_script(server.port, script)
    for want, have in zip(expected, got, strict=True):
        assert have == want
