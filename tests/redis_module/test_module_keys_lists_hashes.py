"""The list and hash key API on the live keyspace: Redis's semantics, errno, events."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import NULL_ARRAY
from ferrite_host.redis_module.api import (
    HASH_DELETE,
    HashFlag,
    KeyMode,
    KeyType,
    ListWhere,
    RedisModuleCtx,
    RedisModuleKey,
    Status,
)

RW = KeyMode.READ | KeyMode.WRITE
Run = Callable[..., Any]


@pytest.fixture
def ctx(session: Session) -> RedisModuleCtx:
    return RedisModuleCtx(session, "t.keys", argv=[b"t.keys"])


@pytest.fixture
def events(state: ServerState) -> list[tuple[bytes | None, str, str]]:
    seen: list[tuple[bytes | None, str, str]] = []
    state.keyspace.subscribe(lambda db, key, event, cls: seen.append((key, event, cls)))
    return seen


def _key(ctx: RedisModuleCtx, name: str, mode: KeyMode = RW) -> RedisModuleKey:
    key = ctx.open_key(name, mode)
    assert key is not None
    return key


def test_key_type_and_length_of_every_builtin_type(ctx: RedisModuleCtx, run: Run) -> None:
    run("RPUSH", "l", "a", "b")
    run("HSET", "h", "f", "v")
    run("SET", "s", "xyz")
    assert _key(ctx, "l").key_type() == KeyType.LIST
    assert _key(ctx, "l").value_length() == 2
    assert _key(ctx, "h").key_type() == KeyType.HASH
    assert _key(ctx, "h").value_length() == 1
    assert _key(ctx, "s").value_length() == 3


def test_push_creates_and_pop_empties_without_notifications(
    ctx: RedisModuleCtx, run: Run, events: list[tuple[bytes | None, str, str]]
) -> None:
    key = _key(ctx, "l")
    assert key.list_push(ListWhere.TAIL, "b") == Status.OK
    assert key.list_push(ListWhere.HEAD, b"a") == Status.OK
    assert key.list_push(ListWhere.TAIL, "c") == Status.OK
    assert run("LRANGE", "l", "0", "-1") == [b"a", b"b", b"c"]
    assert key.list_pop(ListWhere.TAIL) == b"c"
    assert key.list_pop(ListWhere.HEAD) == b"a"
    assert key.list_pop(ListWhere.HEAD) == b"b"
    assert run("EXISTS", "l") == 0
    assert key.list_pop(ListWhere.HEAD) is None
    assert key.errno == errno.ENOTSUP
    assert events[0] == (b"l", "new", "n")
    assert [cls for _, event, cls in events if event != "new"] == [""] * 7
    assert events[-1] == (b"l", "del", "")


def test_get_set_insert_delete_by_index(ctx: RedisModuleCtx, run: Run) -> None:
    run("RPUSH", "l", "a", "b", "c")
    key = _key(ctx, "l")
    assert key.list_get(0) == b"a"
    assert key.list_get(-1) == b"c"
    assert key.list_get(3) is None and key.errno == errno.EDOM
    assert key.list_get(-4) is None and key.errno == errno.EDOM
    assert key.list_set(1, "B") == Status.OK
    assert key.list_set(3, "x") == Status.ERR and key.errno == errno.EDOM
    assert key.list_insert(0, "first") == Status.OK
    assert key.list_insert(-1, "last") == Status.OK
    assert key.list_insert(-2, "before-last") == Status.OK
    assert key.list_insert(9, "x") == Status.ERR and key.errno == errno.EDOM
    assert run("LRANGE", "l", "0", "-1") == [b"first", b"a", b"B", b"c", b"before-last", b"last"]
    assert key.list_delete(0) == Status.OK
    assert key.list_delete(-1) == Status.OK
    assert key.list_delete(4) == Status.ERR and key.errno == errno.EDOM
    assert run("LRANGE", "l", "0", "-1") == [b"a", b"B", b"c", b"before-last"]
    for _ in range(4):
        assert key.list_delete(0) == Status.OK
    assert run("EXISTS", "l") == 0


def test_insert_on_an_empty_key_creates_only_at_the_ends(ctx: RedisModuleCtx, run: Run) -> None:
    key = _key(ctx, "l")
    assert key.list_insert(1, "x") == Status.ERR
    assert run("EXISTS", "l") == 0
    assert key.list_insert(-1, "x") == Status.OK
    assert run("LRANGE", "l", "0", "-1") == [b"x"]


def test_list_calls_refuse_other_types_and_read_only_handles(ctx: RedisModuleCtx, run: Run) -> None:
    run("SET", "s", "v")
    strings = _key(ctx, "s")
    assert strings.list_push(ListWhere.TAIL, "x") == Status.ERR
    assert strings.errno == errno.ENOTSUP
    assert strings.list_get(0) is None and strings.errno == errno.ENOTSUP
    run("RPUSH", "l", "a")
    reader = _key(ctx, "l", KeyMode.READ)
    assert reader.list_get(0) == b"a"
    assert reader.list_push(ListWhere.TAIL, "x") == Status.ERR and reader.errno == errno.EBADF
    assert reader.list_pop(ListWhere.TAIL) is None and reader.errno == errno.EBADF
    assert reader.list_set(0, "x") == Status.ERR and reader.errno == errno.EBADF
    assert _key(ctx, "l").list_push(7, "x") == Status.ERR
    assert run("LRANGE", "l", "0", "-1") == [b"a"]


def test_hash_set_flags_and_counts(ctx: RedisModuleCtx, run: Run) -> None:
    key = _key(ctx, "h")
    assert key.hash_set(HashFlag.NONE, "a", "1", b"b", b"2") == 0  # inserts are not counted
    assert key.hash_set(HashFlag.COUNT_ALL, "c", "3", "a", "10") == 2
    assert key.hash_set(HashFlag.NONE, "a", "11", "d", "4") == 1
    assert key.hash_set(HashFlag.NX, "a", "x", "e", "5") == 0
    assert key.hash_set(HashFlag.XX, "a", "12", "zz", "x") == 1
    assert key.hash_set(HashFlag.CFIELDS, "f", "6") == 0
    assert run("HGETALL", "h") == {
        b"a": b"12",
        b"b": b"2",
        b"c": b"3",
        b"d": b"4",
        b"e": b"5",
        b"f": b"6",
    }
    assert key.hash_set(HashFlag.NONE, "a", HASH_DELETE, "zz", HASH_DELETE) == 1
    assert key.hash_set(HashFlag.XX, "b", HASH_DELETE, "c", HASH_DELETE) == 2
    assert key.hash_set(HashFlag.NX, "d", HASH_DELETE) == 0  # NX skips existing fields
    assert run("HKEYS", "h") == [b"d", b"e", b"f"]
    assert key.hash_set(HashFlag.NONE, "d", HASH_DELETE, "e", HASH_DELETE, "f", HASH_DELETE) == 3
    assert run("EXISTS", "h") == 0


def test_hash_get_values_existence_and_errors(ctx: RedisModuleCtx, run: Run) -> None:
    run("HSET", "h", "a", "1")
    key = _key(ctx, "h")
    assert key.hash_get(HashFlag.NONE, "a", "zz") == [b"1", None]
    assert key.hash_get(HashFlag.EXISTS, "a", "zz") == [True, False]
    assert key.hash_get(HashFlag.CFIELDS, "a") == [b"1"]
    assert _key(ctx, "missing").hash_get(HashFlag.NONE, "a") == [None]
    run("SET", "s", "v")
    strings = _key(ctx, "s")
    strings.errno = 0
    assert strings.hash_get(HashFlag.NONE, "a") is None and strings.errno == 0  # as Redis
    assert strings.hash_set(HashFlag.NONE, "a", "1") == 0 and strings.errno == errno.ENOTSUP
    assert key.hash_set(HashFlag.EXISTS, "a", "1") == 0 and key.errno == errno.EINVAL
    reader = _key(ctx, "h", KeyMode.READ)
    assert reader.hash_set(HashFlag.NONE, "a", "2") == 0 and reader.errno == errno.EBADF
    assert run("HGET", "h", "a") == b"1"


def test_hash_set_on_a_missing_key_that_writes_nothing_creates_nothing(
    ctx: RedisModuleCtx, run: Run, events: list[tuple[bytes | None, str, str]]
) -> None:
    key = _key(ctx, "h")
    assert key.hash_set(HashFlag.XX, "a", "1") == 0
    assert key.hash_set(HashFlag.NONE, "a", HASH_DELETE) == 0
    assert run("EXISTS", "h") == 0
    assert events == []


def test_hash_set_converts_encoding_at_the_limits(ctx: RedisModuleCtx, run: Run) -> None:
    run("CONFIG", "SET", "hash-max-listpack-value", "4")
    key = _key(ctx, "h")
    key.hash_set(HashFlag.NONE, "a", "1234")
    assert run("OBJECT", "ENCODING", "h") == b"listpack"
    key.hash_set(HashFlag.NONE, "b", "12345")
    assert run("OBJECT", "ENCODING", "h") == b"hashtable"


def test_watch_sees_module_list_and_hash_writes(
    ctx: RedisModuleCtx, run: Run, state: ServerState
) -> None:
    watcher = state.new_session()
    execute = state.dispatcher.execute
    run("RPUSH", "l", "a")
    execute(watcher, [b"WATCH", b"l"])
    _key(ctx, "l").list_set(0, "b")
    execute(watcher, [b"MULTI"])
    execute(watcher, [b"PING"])
    assert execute(watcher, [b"EXEC"]) is NULL_ARRAY  # the watched list changed: aborted
    run("HSET", "h", "f", "v")
    execute(watcher, [b"WATCH", b"h"])
    _key(ctx, "h").hash_set(HashFlag.NONE, "f", "w")
    execute(watcher, [b"MULTI"])
    assert execute(watcher, [b"EXEC"]) is NULL_ARRAY
