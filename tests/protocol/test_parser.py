"""RequestParser: Redis's framing rules and error strings, with and without hiredis."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrite_host.protocol.parser import INLINE_MAX_SIZE, ProtocolError, RequestParser, split_inline

BACKENDS = [pytest.param(True, id="hiredis"), pytest.param(False, id="python")]
MB = 1024 * 1024


def frame(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def feed_all(parser: RequestParser, chunks: list[bytes]) -> list[list[bytes]]:
    commands: list[list[bytes]] = []
    for chunk in chunks:
        commands += parser.feed(chunk)
    return commands


MALFORMED = [
    (b"*abc\r\n", "Protocol error: invalid multibulk length"),
    (b"*01\r\n", "Protocol error: invalid multibulk length"),
    (b"*+1\r\n", "Protocol error: invalid multibulk length"),
    (b"*3000000000\r\n", "Protocol error: invalid multibulk length"),
    (b"*1\r\n$abc\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$03\r\nabc\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'"),
    (b"*2\r\n*1\r\n$1\r\na\r\n", "Protocol error: expected '$', got '*'"),
    (b"*1\r\n:5\r\n", "Protocol error: expected '$', got ':'"),
    (b'SET a "b\r\n', "Protocol error: unbalanced quotes in request"),
    (b'SET a "b"c\r\n', "Protocol error: unbalanced quotes in request"),
    (b"SET a 'b\r\n", "Protocol error: unbalanced quotes in request"),
    (b"A" * (INLINE_MAX_SIZE + 1), "Protocol error: too big inline request"),
    (b"*" + b"1" * (INLINE_MAX_SIZE + 1), "Protocol error: too big mbulk count string"),
    (b"*1\r\n$" + b"1" * (INLINE_MAX_SIZE + 1), "Protocol error: too big bulk count string"),
]


@pytest.mark.parametrize("use_hiredis", BACKENDS)
@pytest.mark.parametrize(("data", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_input_gets_redis_error(use_hiredis: bool, data: bytes, message: str) -> None:
    parser = RequestParser(use_hiredis=use_hiredis)
    before = frame(b"SET", b"k", b"v")
    # A "too big" line is only too big while no line end follows it, so nothing may follow.
    after = b"" if "too big" in message else frame(b"GET", b"k")
    assert parser.feed(before + data + after) == [[b"SET", b"k", b"v"]]
    assert parser.error == message
    assert parser.feed(frame(b"GET", b"k")) == []


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_bulk_longer_than_proto_max_bulk_len(use_hiredis: bool) -> None:
    parser = RequestParser(max_bulk_len=MB, use_hiredis=use_hiredis)
    assert parser.feed(b"*1\r\n$%d\r\n" % MB) == []
    assert parser.error is None
    parser = RequestParser(max_bulk_len=MB, use_hiredis=use_hiredis)
    parser.feed(b"*1\r\n$%d\r\n" % (MB + 1))
    assert parser.error == "Protocol error: invalid bulk length"


def test_whole_oversized_frame_in_one_read_is_still_refused() -> None:
    parser = RequestParser(max_bulk_len=MB)
    parser.feed(frame(b"x" * (MB + 1)))
    assert parser.error == "Protocol error: invalid bulk length"


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_unauthenticated_limits(use_hiredis: bool) -> None:
    parser = RequestParser(use_hiredis=use_hiredis)
    parser.require_auth = True
    parser.feed(frame(*[b"a"] * 11))
    assert parser.error == "Protocol error: unauthenticated multibulk length"
    parser = RequestParser(use_hiredis=use_hiredis)
    parser.require_auth = True
    parser.feed(b"*1\r\n$16385\r\n")
    assert parser.error == "Protocol error: unauthenticated bulk length"
    parser = RequestParser(use_hiredis=use_hiredis)
    parser.require_auth = True
    assert parser.feed(frame(*[b"a" * 16384] * 10)) == [[b"a" * 16384] * 10]


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_empty_and_negative_counts_and_blank_lines_are_ignored(use_hiredis: bool) -> None:
    parser = RequestParser(use_hiredis=use_hiredis)
    data = b"*0\r\n*-1\r\n\r\n   \n" + frame(b"PING") + b"*0\r\n"
    assert parser.feed(data) == [[b"PING"]]
    assert parser.error is None


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_inline_commands_end_with_lf_or_crlf(use_hiredis: bool) -> None:
    parser = RequestParser(use_hiredis=use_hiredis)
    assert parser.feed(b"PING\nECHO 'a b'\r\nGET \"x\\ty\"\r\n") == [
        [b"PING"],
        [b"ECHO", b"a b"],
        [b"GET", b"x\ty"],
    ]


def test_split_inline_follows_sdssplitargs() -> None:
    assert split_inline(b"set \"a\\x41b\" 'it\\'s'") == [b"set", b"aAb", b"it's"]
    assert split_inline(b'"\\n\\r\\t\\b\\a\\q"') == [b"\n\r\t\b\aq"]
    assert split_inline(b"  a   b  ") == [b"a", b"b"]
    assert split_inline(b'""') == [b""]
    with pytest.raises(ProtocolError):
        split_inline(b"'a'b")


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_declared_lengths_allocate_nothing_before_the_data_arrives(use_hiredis: bool) -> None:
    parser = RequestParser(use_hiredis=use_hiredis)
    assert parser.feed(b"*1\r\n$500000000\r\n" + b"x" * 1000) == []
    assert parser.error is None
    assert parser.buffered() < 2000
    parser = RequestParser(use_hiredis=use_hiredis)
    assert parser.feed(b"*2147483647\r\n$1\r\na\r\n") == []
    assert parser.error is None


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_query_buffer_limit(use_hiredis: bool) -> None:
    parser = RequestParser(max_query_buffer=MB, use_hiredis=use_hiredis)
    parser.feed(b"*1\r\n$%d\r\n" % (3 * MB))
    for _ in range(16):
        parser.feed(b"x" * (64 * 1024))
    assert not parser.overflow
    parser.feed(b"x" * 1024)
    assert parser.overflow
    assert parser.feed(frame(b"PING")) == []


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_frames_split_at_every_byte(use_hiredis: bool) -> None:
    data = frame(b"SET", b"key", b"a\r\nb") + b"PING\r\n" + frame(b"GET", b"key")
    parser = RequestParser(use_hiredis=use_hiredis)
    commands = feed_all(parser, [data[i : i + 1] for i in range(len(data))])
    assert commands == [[b"SET", b"key", b"a\r\nb"], [b"PING"], [b"GET", b"key"]]


def test_long_pipeline_split_anywhere_keeps_order() -> None:
    argvs = [[b"INCR", b"counter:%d" % i] for i in range(2000)]
    data = b"".join(frame(*argv) for argv in argvs)
    for size in (1, 7, 100, 4096, len(data)):
        parser = RequestParser()
        assert feed_all(parser, [data[i : i + size] for i in range(0, len(data), size)]) == argvs


# -- property: hiredis acceleration never changes what is parsed -----------------------------

args = st.lists(st.binary(max_size=20), min_size=1, max_size=4)
good_frame = args.map(lambda a: frame(*a))
inline_line = st.lists(
    st.text(alphabet="abcXYZ019 _-", min_size=1, max_size=8), min_size=1, max_size=3
).map(lambda words: " ".join(words).encode() + b"\r\n")
odd_frame = st.sampled_from(
    [
        b"*0\r\n",
        b"*-1\r\n",
        b"*1\r\n$-1\r\n",
        b"*1\r\n:1\r\n",
        b"*2\r\n*1\r\n$1\r\na\r\n",
        b"*x\r\n",
        b"*1\r\n$1\r\nab\r\n",
        b'SET "a\r\n',
        b"\r\n",
        b"*1\r\n$01\r\na\r\n",
    ]
)
stream = st.lists(st.one_of(good_frame, good_frame, inline_line, odd_frame), max_size=12)


@settings(max_examples=300, deadline=None)
@given(pieces=stream, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_hiredis_and_python_parsers_agree(pieces: list[bytes], cuts: list[int]) -> None:
    data = b"".join(pieces)
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    fast, slow = RequestParser(use_hiredis=True), RequestParser(use_hiredis=False)
    assert feed_all(fast, chunks) == feed_all(slow, chunks)
    assert fast.error == slow.error
    assert fast.buffered() == slow.buffered()


@settings(max_examples=100, deadline=None)
@given(argvs=st.lists(args, min_size=1, max_size=30), size=st.integers(min_value=1, max_value=64))
def test_well_formed_frames_round_trip(argvs: list[list[bytes]], size: int) -> None:
    data = b"".join(frame(*argv) for argv in argvs)
    parser = RequestParser()
    assert feed_all(parser, [data[i : i + size] for i in range(0, len(data), size)]) == argvs
    assert parser.error is None and parser.buffered() == 0


@pytest.mark.parametrize("use_hiredis", BACKENDS)
def test_frame_after_auth_in_the_same_read_waits_for_the_auth_result(use_hiredis: bool) -> None:
    big = frame(b"SET", b"k", b"x" * 16385)
    parser = RequestParser(use_hiredis=use_hiredis)
    parser.require_auth = True
    assert parser.feed(b"AUTH pw\r\n" + big + b"PING\r\n") == [[b"AUTH", b"pw"]]
    assert parser.auth_pending and parser.error is None
    parser.require_auth = False  # the AUTH succeeded
    assert parser.feed(b"") == [[b"SET", b"k", b"x" * 16385], [b"PING"]]
    assert not parser.auth_pending
    refused = RequestParser(use_hiredis=use_hiredis)
    refused.require_auth = True
    refused.feed(b"AUTH pw\r\n" + big)
    assert refused.feed(b"") == []  # AUTH failed: require_auth stays set
    assert refused.error == "Protocol error: unauthenticated bulk length"


# -- inline lines never hang the parser ------------------------------------------------------


def test_a_nul_byte_ends_an_inline_line_as_in_redis() -> None:
    assert split_inline(b"\x00\x01\x02") == []
    assert split_inline(b"PI\x00NG x") == [b"PI"]


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=40))
def test_any_inline_line_splits_or_fails_cleanly(line: bytes) -> None:
    try:
        args = split_inline(line)
    except ProtocolError as exc:
        assert "unbalanced quotes" in str(exc)
        return
    assert all(isinstance(arg, bytes) for arg in args)
    assert sum(map(len, args)) <= len(line)


_PIECES = [
    *(b"*", b"$", b"\r\n", b"\n", b"1", b"2", b"-1", b"0"),
    *(b"PING", b'"', b"'", b"\\", b"\x00", b" ", b"x"),
]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(_PIECES), st.binary(max_size=6)), max_size=30),
    st.booleans(),
    st.integers(min_value=1, max_value=7),
)
def test_any_byte_stream_parses_or_errors_without_hanging(
    pieces: list[bytes], use_hiredis: bool, chunk: int
) -> None:
    data = b"".join(pieces)
    parser = RequestParser(use_hiredis=use_hiredis)
    for start in range(0, len(data), chunk):
        for command in parser.feed(data[start : start + chunk]):
            assert command and all(type(arg) is bytes for arg in command)
        if parser.error is not None:
            assert parser.error.startswith("Protocol error: ")
            break
    assert parser.buffered() <= len(data)
