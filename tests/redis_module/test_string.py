"""RedisModuleString: bytes-like, equal to str, strict number parsing."""

from __future__ import annotations

import math

import pytest

from ferrite_host.redis_module.api import RedisModuleString


def test_is_bytes_like() -> None:
    s = RedisModuleString(b"hello")
    assert bytes(s) == b"hello"
    assert len(s) == 5
    assert s[1:3] == b"el"
    assert isinstance(s, bytes)
    assert s.as_bytes() == b"hello" and type(s.as_bytes()) is bytes
    assert not s.is_empty() and RedisModuleString().is_empty()


def test_equality_with_bytes_and_str_and_hash() -> None:
    s = RedisModuleString("héllo")
    assert s == "héllo"
    assert s == "héllo".encode()
    assert s != "hello"
    assert s != b"other"
    assert {"héllo": 1}[s] == 1  # hashed as the equal str: text-keyed dicts find it
    assert {b"h\xc3\xa9llo": 1}[bytes(s)] == 1
    assert hash(RedisModuleString("ascii")) == hash(b"ascii") == hash("ascii")
    assert hash(RedisModuleString(b"\xff\xfe")) == hash(b"\xff\xfe")  # not UTF-8: bytes
    assert len({RedisModuleString(b"a"), RedisModuleString(b"a"), b"a"}) == 1


def test_constructed_from_numbers_as_redis_spells_them() -> None:
    assert RedisModuleString(42) == b"42"
    assert RedisModuleString(-7) == b"-7"
    assert RedisModuleString(1.5) == b"1.5"
    assert RedisModuleString(3.0) == b"3"
    assert RedisModuleString.from_str("x") == b"x"
    with pytest.raises(TypeError):
        RedisModuleString(object())  # type: ignore[arg-type]


def test_to_string_lossy_never_raises() -> None:
    assert RedisModuleString(b"ok\xff").to_string_lossy() == "ok\ufffd"
    assert str(RedisModuleString(b"abc")) == "abc"
    assert repr(RedisModuleString(b"abc")) == "RedisModuleString(b'abc')"


@pytest.mark.parametrize(
    "text,value", [("42", 42), ("-1", -1), ("0", 0), ("9223372036854775807", 2**63 - 1)]
)
def test_to_long_long_accepts(text: str, value: int) -> None:
    assert RedisModuleString(text).to_long_long() == value


@pytest.mark.parametrize(
    "text", ["test", "+1", " 1", "1 ", "01", "-0", "", "9223372036854775808", "1.0"]
)
def test_to_long_long_rejects_like_string2ll(text: str) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        RedisModuleString(text).to_long_long()


def test_to_double() -> None:
    assert RedisModuleString("42").to_double() == 42.0
    assert RedisModuleString("1.5e3").to_double() == 1500.0
    assert math.isinf(RedisModuleString("inf").to_double())
    for bad in ("nan", " 1", "abc", ""):
        with pytest.raises(ValueError, match="not a valid float"):
            RedisModuleString(bad).to_double()
