"""The encoder: one reply tree, RESP2 and RESP3 bytes."""

from __future__ import annotations

from typing import Any

import pytest

from ferrite_host.protocol import (
    NO_REPLY,
    BigNumber,
    Error,
    NullArray,
    Push,
    SetReply,
    SimpleString,
    Verbatim,
    encode,
)

CASES: list[tuple[Any, bytes, bytes]] = [
    (b"a\r\nb", b"$4\r\na\r\nb\r\n", b"$4\r\na\r\nb\r\n"),
    (bytearray(b"xy"), b"$2\r\nxy\r\n", b"$2\r\nxy\r\n"),
    (SimpleString("OK"), b"+OK\r\n", b"+OK\r\n"),
    (SimpleString("bad\r\nline"), b"+bad  line\r\n", b"+bad  line\r\n"),
    (Error("ERR x"), b"-ERR x\r\n", b"-ERR x\r\n"),
    (-1, b":-1\r\n", b":-1\r\n"),
    (2**70, b":1180591620717411303424\r\n", b":1180591620717411303424\r\n"),
    (None, b"$-1\r\n", b"_\r\n"),
    (NullArray(), b"*-1\r\n", b"_\r\n"),
    (True, b":1\r\n", b"#t\r\n"),
    (1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    (float("inf"), b"$3\r\ninf\r\n", b",inf\r\n"),
    (10.0, b"$2\r\n10\r\n", b",10\r\n"),
    ([1, [b"x"]], b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n", b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n"),
    ({b"k": 1}, b"*2\r\n$1\r\nk\r\n:1\r\n", b"%1\r\n$1\r\nk\r\n:1\r\n"),
    ({b"x"}, b"*1\r\n$1\r\nx\r\n", b"~1\r\n$1\r\nx\r\n"),
    (SetReply([{b"a": 1}]), b"*1\r\n*2\r\n$1\r\na\r\n:1\r\n", b"~1\r\n%1\r\n$1\r\na\r\n:1\r\n"),
    (Push([b"m"]), b"*1\r\n$1\r\nm\r\n", b">1\r\n$1\r\nm\r\n"),
    (Verbatim(b"hi"), b"$2\r\nhi\r\n", b"=6\r\ntxt:hi\r\n"),
    (BigNumber("123"), b"$3\r\n123\r\n", b"(123\r\n"),
    (NO_REPLY, b"", b""),
]


@pytest.mark.parametrize(("reply", "resp2", "resp3"), CASES, ids=[repr(c[0])[:30] for c in CASES])
def test_encoding(reply: Any, resp2: bytes, resp3: bytes) -> None:
    assert encode(reply, 2) == resp2
    assert encode(reply, 3) == resp3


def test_unencodable_reply_is_a_bug_not_silence() -> None:
    with pytest.raises(TypeError):
        encode(object())
