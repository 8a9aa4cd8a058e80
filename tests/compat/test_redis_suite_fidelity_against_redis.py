"""Differential tests for the differences Redis 7.0.15's own Tcl suite (unit/type/*, sort,
bitops, hyperloglog, geo, dump, scan) found: the same calls against a real redis-server and
against Ferrite, in RESP2 and RESP3, every reply compared with its wire type. Each scenario
names the behaviour it pins down; none of it is copied from the suite."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator

import pytest
from raw_resp import RawResp

from ferrite_host.testing import FerriteProcess

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

#: Words standing for arguments a scenario line cannot spell.
TOKENS = {"''": b""}

SCENARIOS = {
    # COMMAND GETKEYS walks SORT's options: the last STORE wins, GET/BY/LIMIT arguments are
    # stepped over (so `GET store` is no STORE).
    "sort-getkeys": """
COMMAND GETKEYS sort abc store def|COMMAND GETKEYS sort abc store invalid store stillbad store def
COMMAND GETKEYS sort abc store store def|COMMAND GETKEYS sort abc get store store def
COMMAND GETKEYS sort abc limit store store x store y|COMMAND GETKEYS sort abc by store z
COMMAND GETKEYS sort abc store|COMMAND GETKEYS sort_ro abc by x get y
COMMAND GETKEYSANDFLAGS sort abc store def|COMMAND GETKEYSANDFLAGS sort abc BY w GET g
""",
    # PFDEBUG: GETREG and TODENSE turn a sparse HLL dense (and say so), DECODE lists the
    # sparse opcodes, errors for missing keys, non-HLL strings, unknown subcommands.
    "pfdebug": """
PFADD h a b c|PFDEBUG ENCODING h|PFDEBUG DECODE h|PFDEBUG encoding h|PFDEBUG GETREG h
PFDEBUG ENCODING h|PFDEBUG DECODE h|PFDEBUG TODENSE h|GET h|PFCOUNT h|PFADD s x|PFDEBUG TODENSE s
PFDEBUG ENCODING s|PFCOUNT s|PFADD z|PFDEBUG DECODE z|PFADD big 1 2 3 4 5 6 7 8 9 10 11 12 13
PFDEBUG DECODE big|PFDEBUG ENCODING nokey|PFDEBUG GETREG nokey|SET str foo|PFDEBUG ENCODING str
RPUSH l a|PFDEBUG ENCODING l|PFDEBUG FOO h|PFDEBUG GETREG|PFDEBUG GETREG h extra|PFSELFTEST
PFSELFTEST x|COMMAND INFO pfdebug pfselftest|COMMAND DOCS pfdebug pfselftest
""",
    # DEBUG QUICKLIST-PACKED-THRESHOLD's bounds (memory units, 0 = default, below 4GB-1MB);
    # DEBUG LISTPACK / QUICKLIST accept only values of their encoding.
    "debug-encodings": """
RPUSH L a|HSET h a 1|SET s v|ZADD z 1 a|SADD st 1|DEBUG LISTPACK L|DEBUG LISTPACK h
DEBUG LISTPACK s|DEBUG LISTPACK z|DEBUG LISTPACK st|DEBUG LISTPACK nokey|DEBUG QUICKLIST L
DEBUG QUICKLIST L 1|DEBUG QUICKLIST h|DEBUG QUICKLIST nokey|DEBUG QUICKLIST L 1 2|DEBUG LISTPACK
DEBUG QUICKLIST-PACKED-THRESHOLD 1b|DEBUG QUICKLIST-PACKED-THRESHOLD 0
DEBUG QUICKLIST-PACKED-THRESHOLD abc|DEBUG QUICKLIST-PACKED-THRESHOLD 5gb
DEBUG QUICKLIST-PACKED-THRESHOLD 4293918720|DEBUG QUICKLIST-PACKED-THRESHOLD 4293918721
DEBUG QUICKLIST-PACKED-THRESHOLD -1|DEBUG QUICKLIST-PACKED-THRESHOLD 1k
DEBUG QUICKLIST-PACKED-THRESHOLD|OBJECT ENCODING L
""",
    # Blocking timeouts round up to whole milliseconds: a sub-millisecond wait times out
    # (a null reply) instead of blocking forever.
    "blocking-timeouts": """
BLPOP nolist 0.0001|BRPOP nolist 0.001|BLMPOP 0.0001 1 nolist LEFT|BZPOPMIN nolist 0.0001
BZMPOP 1e-20 1 nolist MIN|BLMOVE a b LEFT LEFT 0.0001|BRPOPLPUSH a b 1e-20|BLPOP nolist -0.9
BLPOP nolist -1.5
""",
}


def _commands(scenario: str) -> list[list[bytes]]:
    return [
        [TOKENS.get(word, word.encode()) for word in command.split()]
        for line in scenario.strip().splitlines()
        for command in line.split("|")
    ]


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis("--enable-debug-command", "yes")


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def clients(
    request: pytest.FixtureRequest, redis_port: int, server: FerriteProcess
) -> Iterator[tuple[RawResp, RawResp]]:
    theirs, ours = RawResp(redis_port, request.param), RawResp(server.port, request.param)
    for client in (theirs, ours):
        client.call("FLUSHALL")
    yield theirs, ours
    theirs.close()
    ours.close()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_replies_as_redis(clients: tuple[RawResp, RawResp], name: str) -> None:
    theirs, ours = clients
    mismatches = []
    for argv in _commands(SCENARIOS[name]):
        expected, got = theirs.call(*argv), ours.call(*argv)
        if expected != got:
            shown = b" ".join(a[:40] for a in argv)
            mismatches.append(f"{shown!r}: redis {expected!r}, ferrite {got!r}")
    assert not mismatches, "\n".join(mismatches)


def test_pfadd_batches_leave_redis_bytes(clients: tuple[RawResp, RawResp]) -> None:
    """A PFADD of many elements edits the sparse opcodes in argument order, as Redis does:
    the HLL's bytes (GET) match after each batch, through the promotion to dense."""
    theirs, ours = clients
    rng = random.Random(7)
    for key, alphabet in ((b"wide", 1 << 40), (b"narrow", 60)):
        for size in (3, 40, 200, 5, 400, 900, 1500):
            elements = [b"%d" % rng.randrange(alphabet) for _ in range(size)]
            for client in clients:
                client.call(b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000")
            expected, got = (
                theirs.call(b"PFADD", key, *elements),
                ours.call(b"PFADD", key, *elements),
            )
            assert expected == got, (key, size)
            assert theirs.call(b"GET", key) == ours.call(b"GET", key), (key, size)
            assert theirs.call(b"PFCOUNT", key) == ours.call(b"PFCOUNT", key), (key, size)


def _send(client: RawResp, *args: bytes) -> None:
    """Send a command without waiting for its reply (a client about to block)."""
    client.sock.sendall(
        b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    )


def test_swapdb_wakes_clients_blocked_in_either_database(
    clients: tuple[RawResp, RawResp], redis_port: int, server: FerriteProcess
) -> None:
    """SWAPDB brings a list into the database a BLPOP waits on: the client is served; one
    waiting for a key that is a string after the swap keeps waiting until its timeout."""
    replies = []
    for control, port in zip(clients, (redis_port, server.port), strict=True):
        control.call(b"SELECT", b"1")
        control.call(b"RPUSH", b"k", b"hello")
        control.call(b"SET", b"s", b"str")
        waiting = [RawResp(port), RawResp(port)]
        for waiter, key in zip(waiting, (b"k", b"s"), strict=True):
            waiter.call(b"SELECT", b"9")
            _send(waiter, b"BLPOP", key, b"1")
        while control.call(b"INFO", b"clients")[1].count(b"blocked_clients:2") == 0:
            pass
        control.call(b"SWAPDB", b"1", b"9")
        replies.append([waiter._read() for waiter in waiting])
        control.call(b"SELECT", b"9")
        replies[-1].append(control.call(b"LLEN", b"k"))
        for waiter in waiting:
            waiter.close()
    assert replies[0] == replies[1]
