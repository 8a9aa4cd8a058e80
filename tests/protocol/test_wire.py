"""The wire protocol against a real server: bad frames, split frames, pipelines, limits.

Every test runs twice: on the default stack (uvloop + hiredis parser) and on plain asyncio
with the pure-Python parser, which must behave byte for byte the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.protocol.parser import INLINE_MAX_SIZE
from ferrite_host.testing import FerriteProcess

MB = 1024 * 1024
#: The `raw_factory` fixture: RawClient(port, source=None) opened and closed for the test.
RawFactory = Callable[..., Any]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param((), id="uvloop-hiredis"),
        pytest.param(("--event-loop", "asyncio", "--parser", "python"), id="asyncio-python"),
    ],
)
def wire_server(request: pytest.FixtureRequest) -> Iterator[FerriteProcess]:
    with FerriteProcess(*request.param, modules=[]) as proc:
        yield proc


@pytest.fixture
def other(wire_server: FerriteProcess) -> Iterator[redis.Redis]:
    """A second, well-behaved client that must not notice what the raw one does."""
    client = wire_server.client()
    client.flushall()
    yield client
    client.close()


def frame(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def test_start_line_names_version_port_pid_loop_and_parser(wire_server: FerriteProcess) -> None:
    loop, parser = (
        ("asyncio", "python") if "--parser" in wire_server.extra_args else ("uvloop", "hiredis")
    )
    line = re.search(
        r"Ferrite (\S+) started: port=(\d+) pid=(\d+) event-loop=(\w+) parser=(\w+)",
        wire_server.log(),
    )
    assert line is not None, wire_server.log()
    assert line.group(2) == str(wire_server.port)
    assert wire_server.proc is not None and line.group(3) == str(wire_server.proc.pid)
    assert (line.group(4), line.group(5)) == (loop, parser)


BAD_FRAMES = [
    (b"*abc\r\n", b"invalid multibulk length"),
    (b"*1\r\n$abc\r\n", b"invalid bulk length"),
    (b"*1\r\n$-1\r\n", b"invalid bulk length"),
    (b"*1\r\n$600000000\r\n", b"invalid bulk length"),  # above proto-max-bulk-len (512mb)
    (b"*1\r\nxyz\r\n", b"expected '$', got 'x'"),
    (b"*2\r\n*1\r\n", b"expected '$', got '*'"),
    (b'SET k "unclosed\r\n', b"unbalanced quotes in request"),
    (b"X" * (INLINE_MAX_SIZE + 10), b"too big inline request"),
    (b"*" + b"9" * (INLINE_MAX_SIZE + 10), b"too big mbulk count string"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_FRAMES, ids=[r.decode() for _, r in BAD_FRAMES])
def test_bad_frame_closes_only_that_connection(
    wire_server: FerriteProcess,
    other: redis.Redis,
    raw_factory: RawFactory,
    bad: bytes,
    reason: bytes,
) -> None:
    raw = raw_factory(wire_server.port)
    after = b"" if b"too big" in reason else frame(b"SET", b"after", b"1")
    raw.send(frame(b"SET", b"before", b"1") + bad + after)
    assert raw.read_until_closed() == b"+OK\r\n-ERR Protocol error: " + reason + b"\r\n"
    assert other.get("before") == b"1"
    assert other.exists("after") == 0
    assert other.ping() is True


@pytest.mark.parametrize("start", [b"\x00", b"*\x00", b"$\x00"])
def test_protocol_desync_regression(
    wire_server: FerriteProcess, raw_factory: RawFactory, start: bytes
) -> None:
    """Redis's own regression test: an endless unterminated stream must end in an error."""
    raw = raw_factory(wire_server.port)
    raw.send(start)
    sent = 0
    try:
        while sent < 4 * INLINE_MAX_SIZE:
            raw.send(b"payload" * 1024)
            sent += 7 * 1024
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert b"Protocol error" in raw.read_until_closed()


def test_frames_split_one_byte_at_a_time(
    wire_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    raw = raw_factory(wire_server.port)
    data = frame(b"SET", b"split", b"a\r\nb") + b"GET split\r\n" + frame(b"STRLEN", b"split")
    for i in range(len(data)):
        raw.send(data[i : i + 1])
    raw.expect(b"+OK\r\n$4\r\na\r\nb\r\n:4\r\n")


def test_pipeline_of_10k_commands_in_one_write(
    wire_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    raw = raw_factory(wire_server.port)
    raw.send(frame(b"DEL", b"counter") + frame(b"INCR", b"counter") * 10_000 + b"GET counter\r\n")
    replies = raw.read_lines(10_003)  # DEL, 10k INCR, and GET (two lines)
    assert replies.startswith(b":0\r\n:1\r\n:2\r\n")
    assert replies.endswith(b":10000\r\n$5\r\n10000\r\n")


def test_pipelined_replies_keep_order_with_errors_in_between(
    wire_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    raw = raw_factory(wire_server.port)
    raw.send(b"SET a 1\r\nINCR a\r\nGET\r\nNOSUCH x\r\nGET a\r\n*0\r\n\r\nPING\r\n")
    raw.expect(
        b"+OK\r\n:2\r\n-ERR wrong number of arguments for 'get' command\r\n"
        b"-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n$1\r\n2\r\n+PONG\r\n"
    )


def _rss(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory_rss"])


def test_declared_lengths_never_allocate(
    wire_server: FerriteProcess, other: redis.Redis, raw_factory: RawFactory
) -> None:
    before = _rss(other)
    big_bulk = raw_factory(wire_server.port)
    big_bulk.send(b"*1\r\n$500000000\r\n" + b"x" * 1000)
    big_count = raw_factory(wire_server.port)
    big_count.send(b"*2147483647\r\n$1\r\na\r\n")
    assert other.ping() is True  # both reads have been handled by now
    assert _rss(other) - before < 32 * MB
    big_bulk.close()
    big_count.close()
    assert other.ping() is True


def test_query_buffer_limit_closes_without_reply(
    wire_server: FerriteProcess, other: redis.Redis, raw_factory: RawFactory
) -> None:
    other.config_set("client-query-buffer-limit", "1mb")
    try:
        raw = raw_factory(wire_server.port)
        try:
            raw.send(b"*1\r\n$3000000\r\n")
            for _ in range(24):
                raw.send(b"x" * (64 * 1024))
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert raw.read_until_closed() == b""
        assert other.ping() is True
    finally:
        other.config_set("client-query-buffer-limit", "1gb")


def test_proto_max_bulk_len_set_at_runtime(
    wire_server: FerriteProcess, other: redis.Redis, raw_factory: RawFactory
) -> None:
    other.config_set("proto-max-bulk-len", "1mb")
    try:
        fits = raw_factory(wire_server.port)
        fits.send(frame(b"SET", b"big", b"x" * MB))
        fits.expect(b"+OK\r\n")
        too_big = raw_factory(wire_server.port)
        too_big.send(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % (MB + 1))
        assert too_big.read_until_closed() == b"-ERR Protocol error: invalid bulk length\r\n"
    finally:
        other.config_set("proto-max-bulk-len", "512mb")
    assert other.strlen("big") == MB


def test_unknown_command_and_quit(wire_server: FerriteProcess, raw_factory: RawFactory) -> None:
    raw = raw_factory(wire_server.port)
    raw.send(b"FOOBAR x yy\r\nQUIT\r\nPING\r\n")
    assert raw.read_until_closed() == (
        b"-ERR unknown command 'FOOBAR', with args beginning with: 'x' 'yy' \r\n+OK\r\n"
    )


def test_resp2_reply_shapes(wire_server: FerriteProcess, raw_factory: RawFactory) -> None:
    raw = raw_factory(wire_server.port)
    raw.send(
        b"CONFIG GET maxclients\r\nDEBUG PROTOCOL map\r\n"
        b"DEBUG PROTOCOL double\r\nDEBUG PROTOCOL null\r\n"
    )
    raw.expect(b"*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n")
    raw.expect(b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n")
    raw.expect(b"$5\r\n3.141\r\n$-1\r\n")


def test_resp3_reply_shapes(wire_server: FerriteProcess, raw_factory: RawFactory) -> None:
    raw = raw_factory(wire_server.port)
    raw.send(b"HELLO 3\r\nPING\r\n")
    assert raw.read_until(b"+PONG\r\n").startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
    raw.send(
        b"CONFIG GET maxclients\r\nDEBUG PROTOCOL map\r\nDEBUG PROTOCOL set\r\n"
        b"DEBUG PROTOCOL double\r\nDEBUG PROTOCOL true\r\nDEBUG PROTOCOL null\r\n"
        b"DEBUG PROTOCOL bignum\r\nDEBUG PROTOCOL verbatim\r\n"
    )
    raw.expect(b"%1\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n")
    raw.expect(b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n")
    raw.expect(b"~3\r\n:0\r\n:1\r\n:2\r\n,3.141\r\n#t\r\n_\r\n")
    raw.expect(b"(1234567999999999999999999999999999999\r\n")
    raw.expect(b"=29\r\ntxt:This is a verbatim\nstring\r\n")
    raw.send(b"INFO server\r\n")
    assert raw.read_lines(1).startswith(b"=")


@pytest.mark.parametrize("line", [b"\x00\x01\x02\r\n", b"PI\x00NG\r\n", b"\x00\r\n" * 3])
def test_nul_bytes_in_inline_lines_never_stall_the_server(
    wire_server: FerriteProcess, other: redis.Redis, raw_factory: RawFactory, line: bytes
) -> None:
    """A NUL ends an inline line's content (Redis splits C strings); the server answers what
    came before it and keeps serving this client and every other."""
    raw = raw_factory(wire_server.port)
    raw.send(line + b"PING\r\n")
    assert raw.read_until(b"+PONG\r\n").endswith(b"+PONG\r\n")
    assert other.ping() is True
