"""Blocking commands without a network: where a client cannot block (in-process callers,
EXEC) they answer at once as if they timed out, and the timeout rules hold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.commands.blocking import parse_timeout, parse_timeout_ms
from ferrite_host.core.errors import CommandError
from ferrite_host.protocol.replies import NULL_ARRAY, Error


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        (b"0", None),
        (b"-0", None),
        (b"0.0001", 0.001),
        (b"-0.0001", None),
        (b"1.5", 1.5),
        (b"1.0001", 1.001),
        (b"0x10", 16.0),
    ],
)
def test_timeouts_round_up_to_whole_milliseconds_and_zero_is_forever(
    raw: bytes, seconds: float | None
) -> None:
    assert parse_timeout(raw) == seconds


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"abc", "ERR timeout is not a float or out of range"),
        (b"nan", "ERR timeout is not a float or out of range"),
        (b"-1", "ERR timeout is negative"),
        (b"inf", "ERR timeout is negative"),
        (b"9223372036854776", "ERR timeout is negative"),
    ],
)
def test_timeout_errors(raw: bytes, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse_timeout(raw)
    assert caught.value.message == message


def test_millisecond_timeouts() -> None:
    assert parse_timeout_ms(b"250") == 0.25
    with pytest.raises(CommandError):
        parse_timeout_ms(b"1.5")


def test_in_process_callers_never_block(run: Callable[..., Any]) -> None:
    assert run("BLPOP", "nothing", "0") is NULL_ARRAY
    assert run("BLMOVE", "a", "b", "LEFT", "LEFT", "0") is None
    assert run("BZMPOP", "0", "1", "z", "MIN") is NULL_ARRAY
    assert run("WAIT", "1", "0") == 0
    run("RPUSH", "l", "x")
    assert run("BRPOP", "l", "0") == [b"l", b"x"]
    assert run("EXISTS", "l") == 0
    assert isinstance(run("BLPOP", "l", "-1"), Error)
