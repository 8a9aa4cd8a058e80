"""Key handles on the live keyspace: open/close, strings, DMA, truncate, expiry, module values."""

from __future__ import annotations

import time
from typing import Any

import pytest

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue
from ferrite_host.redis_module.api import (
    NO_EXPIRE,
    STRING_MAX_SIZE,
    KeyMode,
    KeyType,
    RedisModuleCtx,
    RedisModuleKey,
    RedisModuleString,
    Status,
)
from ferrite_host.redis_module.types import RedisModuleType, RedisModuleTypeDef, TypeMethods

RW = KeyMode.READ | KeyMode.WRITE


@pytest.fixture
def ctx(session: Session) -> RedisModuleCtx:
    return RedisModuleCtx(session, "t.keys", argv=[b"t.keys"])


@pytest.fixture
def events(state: ServerState) -> list[tuple[int, bytes | None, str]]:
    seen: list[tuple[int, bytes | None, str]] = []
    state.keyspace.subscribe(lambda db, key, event, cls: seen.append((db, key, event)))
    return seen


@pytest.fixture
def freed() -> list[Any]:
    return []


@pytest.fixture
def mtype(freed: list[Any]) -> RedisModuleType:
    return RedisModuleType(RedisModuleTypeDef("ktype", 0, TypeMethods(free=freed.append)), "kmod")


def test_read_on_missing_key_is_none_write_always_a_handle(
    ctx: RedisModuleCtx, state: ServerState
) -> None:
    assert ctx.open_key("missing", KeyMode.READ) is None
    assert state.keyspace.misses == 1
    key = ctx.open_key("missing", KeyMode.WRITE)
    assert isinstance(key, RedisModuleKey)
    assert key.key_type() == KeyType.EMPTY
    assert key.value_length() == 0


def test_open_accepts_module_string_str_and_bytes(
    ctx: RedisModuleCtx, session: Session, state: ServerState
) -> None:
    session.db.set(b"k\xff", b"v")
    for name in (RedisModuleString(b"k\xff"), b"k\xff"):
        key = ctx.open_key(name, KeyMode.READ)
        assert key is not None and key.name == b"k\xff"
    session.db.set("ké".encode(), b"v")
    assert ctx.open_key("ké") is not None
    assert state.keyspace.hits == 3
    with pytest.raises(TypeError):
        ctx.open_key(5)  # type: ignore[arg-type]


def test_no_type_check_at_open(
    ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType
) -> None:
    session.db.set(b"m", TypedValue(mtype, {}))
    key = ctx.open_key("m", KeyMode.READ)
    assert key is not None and key.key_type() == KeyType.MODULE


def test_handle_uses_the_selected_db(
    ctx: RedisModuleCtx, session: Session, state: ServerState
) -> None:
    session.select(3)
    key = ctx.open_key("k", KeyMode.WRITE)
    assert key.string_set(b"v") == Status.OK
    assert state.keyspace[3].get(b"k") == b"v"
    assert state.keyspace[0].get(b"k") is None
    assert "db=3" in repr(key)


def test_close_key_and_context_manager(ctx: RedisModuleCtx) -> None:
    key = ctx.open_key("k", KeyMode.WRITE)
    ctx.close_key(key)
    ctx.close_key(key)  # twice is harmless
    ctx.close_key(None)  # as Redis accepts NULL
    assert key.closed and "closed" in repr(key)
    with pytest.raises(RuntimeError, match="after close_key"):
        key.key_type()
    with ctx.open_key("k2", KeyMode.WRITE) as key2:
        key2.string_set("x")
    assert key2.closed
    key3 = ctx.open_key("k3", KeyMode.WRITE)
    key3.close()
    assert key3.closed and list(ctx.open_keys()) == []


def test_release_closes_keys_left_open(ctx: RedisModuleCtx) -> None:
    keys = [ctx.open_key(name, KeyMode.WRITE) for name in ("a", "b")]
    ctx.release()
    assert all(k.closed for k in keys)


def test_key_types(ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType) -> None:
    class Builtin:
        name = "list"

    session.db.set(b"s", b"v")
    session.db.set(b"m", TypedValue(mtype, {}))
    session.db.set(b"l", TypedValue(Builtin(), [1, 2, 3]))  # type: ignore[arg-type]
    assert ctx.open_key("s").key_type() == KeyType.STRING
    assert ctx.open_key("m").key_type() == KeyType.MODULE
    assert ctx.open_key("l").key_type() == KeyType.LIST
    assert ctx.open_key("s").value_length() == 1
    assert ctx.open_key("m").value_length() == 0
    assert ctx.open_key("l").value_length() == 3


def test_string_set_replaces_any_type_and_clears_ttl(
    ctx: RedisModuleCtx,
    session: Session,
    mtype: RedisModuleType,
    freed: list[Any],
    events: list[Any],
) -> None:
    value: dict[str, int] = {}
    session.db.put(b"k", TypedValue(mtype, value), int(time.time() * 1000) + 60_000)
    key = ctx.open_key(RedisModuleString(b"k"), RW)
    assert key.string_set(RedisModuleString(b"hello")) == Status.OK
    assert session.db.get(b"k") == b"hello"
    assert type(session.db.get(b"k")) is bytes
    assert session.db.get_expire(b"k") is None
    assert freed == [value]
    assert (0, b"k", "set") in events


def test_writes_through_read_handle_are_refused(
    ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType
) -> None:
    session.db.set(b"k", b"v")
    key = ctx.open_key("k", KeyMode.READ)
    assert key.string_set(b"x") == Status.ERR
    assert key.string_truncate(0) == Status.ERR
    assert key.delete_key() == Status.ERR
    assert key.set_expire(1000) == Status.ERR
    assert key.module_type_set_value(mtype, {}) == Status.ERR
    assert session.db.get(b"k") == b"v"
    assert session.db.get_expire(b"k") is None


def test_dma_read(ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType) -> None:
    session.db.set(b"s", b"hello")
    view = ctx.open_key("s").string_dma()
    assert bytes(view) == b"hello" and view.readonly
    empty = ctx.open_key("nothing", KeyMode.WRITE).string_dma(KeyMode.WRITE)
    assert bytes(empty) == b"" and empty.readonly
    session.db.set(b"m", TypedValue(mtype, {}))
    assert ctx.open_key("m").string_dma() is None


def test_dma_write_changes_the_value_in_place_and_signals(
    ctx: RedisModuleCtx, session: Session, events: list[Any]
) -> None:
    session.db.put(b"s", b"hello", int(time.time() * 1000) + 60_000)
    key = ctx.open_key("s", RW)
    view = key.string_dma(KeyMode.WRITE)
    assert not view.readonly
    view[0:1] = b"J"
    events.clear()
    ctx.close_key(key)
    assert session.db.get(b"s") == b"Jello"
    assert session.db.get_expire(b"s") is not None  # TTL kept
    assert events == [(0, b"s", "set")]
    with pytest.raises(ValueError):
        view[0] = 1  # released when the handle closed


def test_dma_write_mode_needs_a_write_handle(ctx: RedisModuleCtx, session: Session) -> None:
    session.db.set(b"s", b"abc")
    view = ctx.open_key("s", KeyMode.READ).string_dma(KeyMode.WRITE)
    assert view.readonly


def test_truncate(ctx: RedisModuleCtx, session: Session) -> None:
    session.db.set(b"s", b"abcde")
    key = ctx.open_key("s", RW)
    assert key.string_truncate(8) == Status.OK
    assert session.db.get(b"s") == b"abcde\x00\x00\x00"
    assert key.string_truncate(4) == Status.OK
    assert session.db.get(b"s") == b"abcd"
    assert key.string_truncate(4) == Status.OK
    assert key.string_truncate(0) == Status.OK
    assert session.db.get(b"s") == b""  # an existing key truncated to 0 stays


def test_truncate_creates_on_empty_key_and_keeps_ttl_and_type(
    ctx: RedisModuleCtx, session: Session
) -> None:
    key = ctx.open_key("new", KeyMode.WRITE)
    assert key.string_truncate(0) == Status.OK
    assert session.db.get(b"new") is None
    assert key.string_truncate(3) == Status.OK
    assert session.db.get(b"new") == b"\x00\x00\x00"
    session.db.put(b"t", b"xy", int(time.time() * 1000) + 60_000)
    key2 = ctx.open_key("t", RW)
    key2.string_dma(KeyMode.WRITE)  # becomes a bytearray
    assert key2.string_truncate(1) == Status.OK
    assert session.db.get(b"t") == bytearray(b"x")
    assert type(session.db.get(b"t")) is bytearray
    assert session.db.get_expire(b"t") is not None


def test_truncate_errors(ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType) -> None:
    key = ctx.open_key("s", KeyMode.WRITE)
    assert key.string_truncate(STRING_MAX_SIZE + 1) == Status.ERR
    assert key.string_truncate(-1) == Status.ERR
    session.db.set(b"m", TypedValue(mtype, {}))
    assert ctx.open_key("m", KeyMode.WRITE).string_truncate(2) == Status.ERR


def test_delete_key(
    ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType, freed: list[Any]
) -> None:
    value = {"a": 1}
    session.db.set(b"m", TypedValue(mtype, value))
    key = ctx.open_key("m", KeyMode.WRITE)
    assert key.delete_key() == Status.OK
    assert session.db.get(b"m") is None
    assert freed == [value]
    assert key.delete_key() == Status.OK  # already empty: still OK
    assert key.string_set(b"again") == Status.OK  # the handle stays usable


def test_expire(ctx: RedisModuleCtx, session: Session) -> None:
    session.db.set(b"k", b"v")
    key = ctx.open_key("k", KeyMode.WRITE)
    assert key.get_expire() == NO_EXPIRE
    assert key.set_expire(10_000) == Status.OK
    assert 9_000 < key.get_expire() <= 10_000
    assert key.set_expire(-5) == Status.ERR
    assert key.set_expire(NO_EXPIRE) == Status.OK
    assert key.get_expire() == NO_EXPIRE
    assert session.db.get_expire(b"k") is None
    missing = ctx.open_key("missing", KeyMode.WRITE)
    assert missing.get_expire() == NO_EXPIRE
    assert missing.set_expire(1000) == Status.ERR


def test_expire_zero_removes_the_key(ctx: RedisModuleCtx, session: Session) -> None:
    session.db.set(b"k", b"v")
    assert ctx.open_key("k", KeyMode.WRITE).set_expire(0) == Status.OK
    assert session.db.get(b"k") is None


def test_module_values(
    ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType, freed: list[Any]
) -> None:
    key = ctx.open_key("m", RW)
    assert key.module_type_get_type() is None
    assert key.module_type_get_value() is None
    first = {"n": 1}
    assert key.module_type_set_value(mtype, first) == Status.OK
    assert key.key_type() == KeyType.MODULE
    assert key.module_type_get_type() is mtype
    assert key.module_type_get_value() is first
    assert key.module_type_set_value(mtype, first) == Status.OK  # same object: kept, not freed
    assert freed == []
    second = {"n": 2}
    key.module_type_set_value(mtype, second)
    assert freed == [first]
    session.db.set(b"s", b"str")
    assert ctx.open_key("s").module_type_get_value() is None
    with pytest.raises(TypeError, match="register_type"):
        key.module_type_set_value("ktype", {})  # type: ignore[arg-type]


def test_set_value_clears_ttl(
    ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType
) -> None:
    session.db.put(b"k", b"v", int(time.time() * 1000) + 60_000)
    ctx.open_key("k", KeyMode.WRITE).module_type_set_value(mtype, {})
    assert session.db.get_expire(b"k") is None


def test_getting_a_value_through_a_write_handle_signals_on_close(
    ctx: RedisModuleCtx, session: Session, mtype: RedisModuleType, events: list[Any]
) -> None:
    session.db.set(b"m", TypedValue(mtype, {}))
    events.clear()
    reader = ctx.open_key("m", KeyMode.READ)
    reader.module_type_get_value()
    ctx.close_key(reader)
    assert events == []
    writer = ctx.open_key("m", RW)
    writer.module_type_get_value()["x"] = 1
    ctx.close_key(writer)
    assert events == [(0, b"m", "set")]
