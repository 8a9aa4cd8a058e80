"""Differential tests of the stream commands: the same calls to a real redis-server and to
Ferrite, every reply compared with its wire type (RESP2 and RESP3), errors included.

IDs are explicit wherever time would make them differ; a scenario line starting with `~`
compares its replies with every integer masked (idle times, delivery times)."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ferrite_host.testing import FerriteProcess
from tests.compat.raw_resp import RawResp, Reply

SCENARIO = r"""
XADD s 1-1 a 1|XADD s 1-1 a 1|XADD s 1-* b 2|XADD s 2-* c 3|XADD s 0-0 a b|XADD s 5 x
XADD s 5-1 x y z|XADD s 5-1|XADD s|XLEN s|XRANGE s - +|XREVRANGE s + -|XRANGE s (1-1 +
XRANGE s - (2-0|XRANGE s - + COUNT 0|XRANGE s - + COUNT 2|XRANGE s - + COUNT -1|XRANGE s ( +
XRANGE s (- +|XRANGE s - + COUNT|XRANGE s - + FOO 1|XREVRANGE s + - COUNT 1|XREVRANGE s (2-0 -
XRANGE nokey - +|XRANGE nokey - + COUNT 0|XRANGE s 2 1|XRANGE s abc +|XRANGE s 1 +|XRANGE s - 1
XRANGE s (18446744073709551615-18446744073709551615 +|XRANGE s - (0-0|XRANGE s 1-2-3 +
XADD s NOMKSTREAM 9-0 a 1|XADD nos NOMKSTREAM 9-0 a 1|EXISTS nos|XADD s MAXLEN 2 10-0 a 1
XLEN s|XADD s MAXLEN ~ 1 11-0 a 1|XLEN s|XADD s MINID 11 12-0 a 1|XRANGE s - +
XADD s MAXLEN 1 MINID 1 13-0 a 1|XADD s LIMIT 5 13-0 a 1|XADD s MAXLEN 1 LIMIT 5 13-0 a 1
XADD s MAXLEN ~ 1 LIMIT 5 13-0 a 1|XADD s MAXLEN -1 14-0 a 1|XADD s MAXLEN ~ 1 LIMIT -1 15-0 a 1
XADD s MAXLEN x 16-0 a 1|XADD s MAXLEN = 5 17-0 a 1|XADD s MINID = x 18-0 a 1|XADD s MAXLEN
SET str x|XADD str 1-1 a b|XLEN str|XRANGE str - +|XDEL str 1-1|XTRIM str MAXLEN 1
XTRIM s|XTRIM s MAXLEN|XTRIM s MAXLEN 1 2|XTRIM s FOO 1|XTRIM s MAXLEN 1|XTRIM nokey MAXLEN 1
XTRIM s MINID 0|XLEN s|XTRIM s MINID ~ 100 LIMIT 1|XTRIM s NOMKSTREAM MAXLEN 1
DEL s|XADD s 1-0 a 1|XADD s 2-0 a 2|XADD s 3-0 a 3|XDEL s 2-0 9-9|XDEL s abc|XDEL s 1-0 3-0
XLEN s|EXISTS s|TYPE s|OBJECT ENCODING s|XDEL nokey 1-1|XADD s 4-0 a 1|XINFO STREAM s
XADD s 18446744073709551615-18446744073709551615 a b|XADD s * a b|XADD s 18446744073709551615-* a b
DEL t|XADD t 18446744073709551615-* a b|XADD t 18446744073709551615-* a b
XADD t 18446744073709551616-0 a b|XADD t -1-0 a b|XADD t 1-a a b|XADD t + a b|XADD t - a b
XADD t2 1 a|XADD t2 2 a b c|XADD t2 3 a b c d
XINFO STREAM t|XINFO STREAM nokey|XINFO STREAM t FULL|XINFO STREAM t FULL COUNT 1
XINFO STREAM t FOO|XINFO STREAM t FULL COUNT|XINFO FOO t|XINFO HELP|XINFO HELP x|XINFO
XINFO GROUPS t|XINFO CONSUMERS t g|XINFO GROUPS nokey|XINFO GROUPS str
FLUSHALL|XADD s 1-0 a 1|XADD s 2-0 b 2|XADD s 3-0 c 3
XGROUP CREATE s g $|XGROUP CREATE s g $|XGROUP CREATE s g0 0|XGROUP CREATE nokey g $
XGROUP CREATE nokey g $ MKSTREAM|XLEN nokey|XGROUP CREATE s g1 0 ENTRIESREAD 2
XGROUP CREATE s g2 0 ENTRIESREAD -2|XGROUP CREATE s g3 0 FOO|XGROUP CREATE s g4 abc
XGROUP CREATE s g5 -|XGROUP CREATE s g6 +|XGROUP CREATE s g7 0 MKSTREAM ENTRIESREAD 1 x
XINFO GROUPS s|XINFO STREAM s
XREADGROUP GROUP g0 alice COUNT 1 STREAMS s >|XREADGROUP GROUP g0 bob STREAMS s >
XREADGROUP GROUP g0 bob STREAMS s >|XREADGROUP GROUP g0 alice STREAMS s 0
XREADGROUP GROUP g0 bob STREAMS s 0-0|XREADGROUP GROUP g0 bob COUNT 1 STREAMS s 2
XREADGROUP GROUP nog alice STREAMS s >|XREADGROUP GROUP g0 alice STREAMS s $
XREADGROUP GROUP g0 alice STREAMS s nokey > >|XREADGROUP GROUP g0 alice STREAMS str >
XREAD STREAMS s >|XREAD STREAMS s 0|XREAD COUNT 1 STREAMS s 0 nokey 0|XREAD STREAMS s
XREAD GROUP g a STREAMS s 0|XREAD NOACK STREAMS s 0|XREADGROUP STREAMS s 0
XREADGROUP GROUP g0 bob STREAMS s|XREAD STREAMS s $|XREAD COUNT x STREAMS s 0
XREAD BLOCK -1 STREAMS s 0|XREAD BLOCK x STREAMS s 0|XREAD FOO STREAMS s 0|XREAD STREAMS str 0
XREAD COUNT -5 STREAMS s 1|XREAD STREAMS s s 0 1|XREAD STREAMS s 3-0|XREAD STREAMS s abc
XINFO GROUPS s
XPENDING s g0|XPENDING s nog|XPENDING nokey g|XPENDING s g0 - + 10 nobody|XPENDING s g0 - +
XPENDING s g0 IDLE x - + 10|XPENDING s g0 - + x|XPENDING s g0 - + 0|XPENDING s g0 + - 10
XPENDING s g0 IDLE 1 - +|XPENDING s g0 ( + 10|XPENDING s g0 - (0-0 10
~XPENDING s g0 - + 10 bob|~XPENDING s g0 IDLE 0 - + 10|~XPENDING s g0 (1-0 + 10 bob
~XPENDING s g0 - + 1|~XINFO CONSUMERS s g0
XACK s g0 1-0 9-0|XACK s g0 1-0|XACK s nog 1-0|XACK nokey g 1-0|XACK s g0 abc|XPENDING s g0
XCLAIM s g0 carol 0 2-0 JUSTID|XCLAIM s g0 carol 0 2-0 TIME 1000 RETRYCOUNT 7
~XPENDING s g0 - + 10 carol|XCLAIM s g0 carol 0 3-0 FORCE JUSTID
XCLAIM s g0 carol 0 1-0 FORCE TIME 5000 RETRYCOUNT 3|XCLAIM s g0 carol x 1-0
XCLAIM s g0 carol 0 1-0 FOO|XCLAIM s g0 carol 0 1-0 IDLE x|XCLAIM s g0 carol 0 1-0 TIME x
XCLAIM s g0 carol 0 1-0 RETRYCOUNT x|XCLAIM s nog carol 0 1-0|XCLAIM s g0 carol 0 1-0 LASTID x
XCLAIM s g0 carol 3600000 1-0 JUSTID|XCLAIM s g0 dan 0 1-0 LASTID 50-0 JUSTID
XCLAIM s g0 dan 0 JUSTID|XCLAIM s g0 dan 0 77-0 FORCE|XCLAIM str g c 0 1-0
XINFO GROUPS s
XAUTOCLAIM s g0 dave 0 0 COUNT 1|XAUTOCLAIM s g0 dave 0 0 JUSTID|XAUTOCLAIM s g0 dave 0 0 COUNT 0
XAUTOCLAIM s g0 dave 0 0 COUNT x|XAUTOCLAIM s g0 dave x 0|XAUTOCLAIM s nog dave 0 0
XAUTOCLAIM s g0 dave 0 0 FOO|XAUTOCLAIM s g0 dave 0 (0-0|XAUTOCLAIM s g0 dave 3600000 0
XAUTOCLAIM s g0 dave 0 (18446744073709551615-18446744073709551615|XAUTOCLAIM nokey g c 0 0
XDEL s 2-0|XAUTOCLAIM s g0 erin 0 0|XINFO GROUPS s|XINFO STREAM s
XGROUP SETID s g0 0|XGROUP SETID s g0 $ ENTRIESREAD 3|XGROUP SETID s nog 0
XGROUP SETID nokey2 g 0|XGROUP SETID s g0 abc|XGROUP SETID s g0 1 FOO|XGROUP SETID s g0 -
XGROUP SETID s g0 1 ENTRIESREAD|XINFO GROUPS s
XGROUP CREATECONSUMER s g0 zed|XGROUP CREATECONSUMER s g0 zed|XGROUP CREATECONSUMER s nog zed
XGROUP DELCONSUMER s g0 zed|XGROUP DELCONSUMER s g0 zed|XGROUP DELCONSUMER s g0 dave
XGROUP DELCONSUMER nokey2 g c|XGROUP DESTROY s g1|XGROUP DESTROY s g1|XGROUP DESTROY nokey2 g1
XGROUP HELP|XGROUP FOO|XGROUP CREATE s|XGROUP DESTROY s g x|XGROUP|XGROUP HELP x
XSETID s 1-0|XSETID s 100-0|XSETID s 200-0 ENTRIESADDED 1|XSETID s 200-0 ENTRIESADDED -1
XSETID s 200-0 MAXDELETEDID 300-0|XSETID s 200-0 MAXDELETEDID 150-0 ENTRIESADDED 50
XSETID nokey3 1-0|XSETID s abc|XSETID s 300 FOO|XSETID s 300 ENTRIESADDED|XINFO STREAM s
XSETID s -|XSETID s +|XSETID s 400-0 ENTRIESADDED x
XGROUP CREATE str g $|XREADGROUP GROUP g c STREAMS str >|XPENDING str g|XACK str g 1-0
XCLAIM str g c 0 1-0|XAUTOCLAIM str g c 0 0|XINFO GROUPS str|XSETID str 1-0
FLUSHALL|XADD lag 1-0 a 1|XADD lag 2-0 a 1|XADD lag 3-0 a 1|XADD lag 4-0 a 1
XGROUP CREATE lag g 0|XGROUP CREATE lag g2 2-0|XGROUP CREATE lag g3 $|XINFO GROUPS lag
XREADGROUP GROUP g c COUNT 1 STREAMS lag >|XINFO GROUPS lag|XDEL lag 3-0|XINFO GROUPS lag
XREADGROUP GROUP g c STREAMS lag >|XINFO GROUPS lag|XREADGROUP GROUP g2 c NOACK STREAMS lag >
XINFO GROUPS lag|XPENDING lag g2|XDEL lag 1-0 2-0 4-0|XINFO GROUPS lag|XINFO STREAM lag
XADD lag 5-0 a 1|XINFO GROUPS lag|XTRIM lag MAXLEN 0|XINFO GROUPS lag|XINFO STREAM lag
COPY lag lag2|XINFO GROUPS lag2|XRANGE lag2 - +|RENAME lag lag3|XLEN lag3|TYPE lag3
FLUSHALL|CONFIG SET stream-node-max-entries 3|XADD n 1 a 1|XADD n 2 a 1|XADD n 3 a 1
XADD n 4 b 1|XADD n 5 a 1|XADD n 6 a 1|XADD n 7 a 1|XINFO STREAM n|XTRIM n MAXLEN ~ 5|XLEN n
XTRIM n MAXLEN ~ 1|XLEN n|XDEL n 7-0|XADD n MAXLEN ~ 0 8 a 1|XINFO STREAM n
XTRIM n MINID ~ 9|XLEN n|CONFIG SET stream-node-max-entries 100
CONFIG SET stream-node-max-bytes 40|XADD b 1 field value|XADD b 2 field value
XADD b 3 field value|XINFO STREAM b|CONFIG SET stream-node-max-bytes 4096
CONFIG GET stream-node-max-entries|CONFIG GET stream-node-max-bytes
CONFIG SET stream-node-max-bytes 1kb|CONFIG GET stream-node-max-bytes
CONFIG SET stream-node-max-entries -1|CONFIG SET stream-node-max-bytes 4096
"""


def _scenario() -> list[tuple[bool, list[str]]]:
    steps = []
    for line in SCENARIO.strip().splitlines():
        for command in line.split("|"):
            masked = command.startswith("~")
            steps.append((masked, shlex.split(command.lstrip("~"))))
    return steps


def _masked(reply: Reply) -> Reply:
    """The reply with every integer replaced by 0 (times that differ between servers)."""
    kind, value = reply
    if kind == ":":
        return kind, b"0"
    if kind in "*~>" and value is not None:
        return kind, [_masked(item) for item in value]
    if kind in "%|":
        return kind, [(_masked(k), _masked(v)) for k, v in value]
    return reply


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis()


@pytest.fixture(scope="module")
def ferrite() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as server:
        yield server


def _pair(redis_port: int, ferrite: FerriteProcess, protocol: int) -> tuple[RawResp, RawResp]:
    theirs, ours = RawResp(redis_port, protocol), RawResp(ferrite.port, protocol)
    for client in (theirs, ours):
        client.call("FLUSHALL")
    return theirs, ours


@pytest.mark.parametrize("protocol", [2, 3])
def test_stream_commands_reply_as_redis(
    redis_port: int, ferrite: FerriteProcess, protocol: int
) -> None:
    theirs, ours = _pair(redis_port, ferrite, protocol)
    mismatches = []
    for masked, argv in _scenario():
        expected, got = theirs.call(*argv), ours.call(*argv)
        if masked:
            expected, got = _masked(expected), _masked(got)
        if expected != got:
            mismatches.append(f"{' '.join(argv)!r}:\n  redis   {expected!r}\n  ferrite {got!r}")
    theirs.close()
    ours.close()
    assert not mismatches, "\n".join(mismatches)


def _send(client: RawResp, *args: str) -> None:
    parts = [a.encode() for a in args]
    client.sock.sendall(
        b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    )


def _blocked(port: int, clients: int, protocol: int) -> RawResp:
    """A control connection, once `clients` more clients are blocked on the server."""
    control = RawResp(port, protocol)
    for _ in range(200):
        info = control.call("INFO", "clients")[1]
        text = info.decode() if isinstance(info, bytes) else str(info)
        if f"blocked_clients:{clients}" in text:
            return control
        time.sleep(0.01)
    raise AssertionError(f"{clients} client(s) never blocked")


BLOCKING_CASES: dict[str, tuple[list[str], list[list[str]], list[list[str]]]] = {
    # name: (setup, blocked commands in arrival order, what the control client then runs)
    "xread-served-by-xadd": (
        ["XADD s 1-0 a 1"],
        [["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]],
        [["XADD", "s", "2-0", "b", "2"]],
    ),
    "xread-fifo-two-clients-and-two-keys": (
        ["XADD s 1-0 a 1"],
        [
            ["XREAD", "BLOCK", "0", "STREAMS", "t", "s", "0", "$"],
            ["XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "s", "$"],
        ],
        [["XADD", "s", "2-0", "b", "2"], ["XADD", "t", "1-0", "c", "3"]],
    ),
    "xread-timeout-is-a-null-array": (
        [],
        [["XREAD", "BLOCK", "50", "STREAMS", "missing", "$"]],
        [],
    ),
    "xread-not-woken-by-a-list": (
        ["XADD s 1-0 a 1"],
        [["XREAD", "BLOCK", "200", "STREAMS", "s", "$"]],
        [["DEL", "s"], ["LPUSH", "s", "x"]],
    ),
    "xreadgroup-served-and-pending": (
        ["XADD s 1-0 a 1", "XGROUP CREATE s g $"],
        [["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]],
        [["XADD", "s", "2-0", "b", "2"], ["XPENDING", "s", "g"], ["XINFO", "GROUPS", "s"]],
    ),
    "xreadgroup-noack-two-consumers": (
        ["XADD s 1-0 a 1", "XGROUP CREATE s g $"],
        [
            ["XREADGROUP", "GROUP", "g", "c1", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"],
            ["XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">"],
        ],
        [["XADD", "s", "2-0", "b", "2"], ["XADD", "s", "3-0", "c", "3"], ["XPENDING", "s", "g"]],
    ),
    "xreadgroup-key-deleted": (
        ["XADD s 1-0 a 1", "XGROUP CREATE s g $"],
        [["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]],
        [["DEL", "s"]],
    ),
    "xreadgroup-key-replaced-by-a-set": (
        ["XADD s 1-0 a 1", "XGROUP CREATE s g $"],
        [["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]],
        [["MULTI"], ["DEL", "s"], ["SADD", "s", "m"], ["EXEC"]],
    ),
    "xreadgroup-flushall": (
        ["XADD s 1-0 a 1", "XGROUP CREATE s g $"],
        [["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]],
        [["FLUSHALL"]],
    ),
    "xreadgroup-group-destroyed": (
        ["XADD s 1-0 a 1", "XGROUP CREATE s g $"],
        [["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"]],
        [["XGROUP", "DESTROY", "s", "g"]],
    ),
    "xreadgroup-timeout": (
        ["XADD s 1-0 a 1", "XGROUP CREATE s g $"],
        [["XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "s", ">"]],
        [["XINFO", "CONSUMERS", "s", "g"]],
    ),
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("case", sorted(BLOCKING_CASES))
def test_blocking_reads_as_redis(
    redis_port: int, ferrite: FerriteProcess, case: str, protocol: int
) -> None:
    setup, blocked, actions = BLOCKING_CASES[case]
    outcomes = []
    for port in (redis_port, ferrite.port):
        setup_client = RawResp(port, protocol)
        setup_client.call("FLUSHALL")
        for command in setup:
            setup_client.call(*command.split())
        waiting = [RawResp(port, protocol) for _ in blocked]
        for client, command in zip(waiting, blocked, strict=True):
            _send(client, *command)
            _blocked(port, waiting.index(client) + 1, protocol).close()
        seen: list[Any] = [setup_client.call(*command) for command in actions]
        seen += [_masked(client._read()) for client in waiting]
        outcomes.append(seen)
        for client in (setup_client, *waiting):
            client.close()
    assert outcomes[1] == outcomes[0]


def test_xread_block_inside_multi_and_scripts(redis_port: int, ferrite: FerriteProcess) -> None:
    steps = [
        ["MULTI"],
        ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
        ["EXEC"],
        ["EVAL", "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')", "0"],
        [
            "EVAL",
            "return redis.pcall('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', '1', 'STREAMS', 's',"
            " '>')",
            "0",
        ],
    ]
    theirs, ours = _pair(redis_port, ferrite, 2)
    assert [ours.call(*step) for step in steps] == [theirs.call(*step) for step in steps]


EVENTS = """XADD s 1-0 a 1|XADD s MAXLEN 1 2-0 b 2|XADD s 3-0 c 3|XTRIM s MAXLEN 1|XTRIM s MAXLEN 5
XDEL s 3-0|XDEL s 9-0|XADD s 4-0 a 1|XGROUP CREATE s g 0|XGROUP CREATE s g 0
XGROUP CREATE m g $ MKSTREAM|XGROUP SETID s g 0|XGROUP CREATECONSUMER s g c1
XGROUP CREATECONSUMER s g c1|XREADGROUP GROUP g c2 STREAMS s >|XACK s g 4-0
XCLAIM s g c3 0 4-0 FORCE|XAUTOCLAIM s g c4 0 0|XGROUP DELCONSUMER s g c1|XGROUP DESTROY s g
XSETID s 10-0|XADD n NOMKSTREAM * a 1|XREADGROUP GROUP g c5 NOACK STREAMS s 0
XADD s MAXLEN ~ 0 11-0 a 1|XTRIM s MINID 20|DEL s"""


def _events(port: int) -> list[Any]:
    control = RawResp(port)
    control.call("FLUSHALL")
    control.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
    listener = RawResp(port)
    listener.call("PSUBSCRIBE", "__key*__:*")
    for command in EVENTS.replace("\n", "|").split("|"):
        control.call(*command.split())
    control.call("PUBLISH", "__keyspace@0__:end", "end")
    seen = []
    while True:
        message = listener._read()
        seen.append(message)
        if message[1][2] == ("$", b"__keyspace@0__:end"):
            break
    control.call("CONFIG", "SET", "notify-keyspace-events", "")
    for client in (control, listener):
        client.close()
    return seen


def test_keyspace_events_as_redis(redis_port: int, ferrite: FerriteProcess) -> None:
    assert _events(ferrite.port) == _events(redis_port)
