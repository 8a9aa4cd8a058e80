"""List and hash commands through the real dispatcher (no sockets): propagation rewrites,
encoding thresholds from CONFIG SET, HSCAN's guarantee while the hash changes, and the
shared pop/move steps the blocking commands will reuse."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.assembly import build_state
from ferrite_host.commands import lists
from ferrite_host.core.config import build_settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import ListValue
from ferrite_host.protocol.replies import NULL_ARRAY, Error

Run = Callable[..., Any]


@pytest.fixture
def propagated(state: ServerState) -> list[list[bytes]]:
    seen: list[list[bytes]] = []
    state.propagation_sinks.append(lambda db, commands: seen.extend(commands))
    return seen


def test_lmpop_propagates_as_a_pop_with_the_popped_count(
    run: Run, propagated: list[list[bytes]]
) -> None:
    run("RPUSH", "l", "a", "b", "c")
    assert run("LMPOP", "2", "none", "l", "RIGHT", "COUNT", "10") == [b"l", [b"c", b"b", b"a"]]
    assert propagated[-1] == [b"RPOP", b"l", b"3"]
    assert run("LMPOP", "1", "l", "LEFT") is NULL_ARRAY
    assert len(propagated) == 2  # nothing popped, nothing propagated


def test_hincrbyfloat_propagates_the_result_as_hset(
    run: Run, propagated: list[list[bytes]]
) -> None:
    assert run("HINCRBYFLOAT", "h", "f", "0.1") == b"0.1"
    assert run("HINCRBYFLOAT", "h", "f", "0.2") == b"0.3"
    assert propagated[-1] == [b"HSET", b"h", b"f", b"0.3"]


def test_failed_writes_propagate_nothing(run: Run, propagated: list[list[bytes]]) -> None:
    run("SET", "s", "v")
    before = len(propagated)
    assert isinstance(run("LPUSH", "s", "a"), Error)
    assert run("LPUSHX", "missing", "a") == 0
    assert run("LREM", "missing", "0", "a") == 0
    assert run("HDEL", "missing", "a") == 0
    assert len(propagated) == before


def test_encoding_follows_config_set_and_never_converts_back(run: Run) -> None:
    run("CONFIG", "SET", "hash-max-ziplist-entries", "2")
    run("HSET", "h", "a", "1", "b", "2")
    assert run("OBJECT", "ENCODING", "h") == b"listpack"
    run("HSET", "h", "c", "3")
    assert run("OBJECT", "ENCODING", "h") == b"hashtable"
    run("HDEL", "h", "a", "b")
    assert run("OBJECT", "ENCODING", "h") == b"hashtable"
    run("CONFIG", "SET", "hash-max-listpack-entries", "512")
    assert run("CONFIG", "GET", "hash-max-ziplist-entries") == {b"hash-max-ziplist-entries": b"512"}
    run("RPUSH", "l", *["x"] * 1000)
    assert run("OBJECT", "ENCODING", "l") == b"quicklist"


def test_limits_are_taken_from_the_settings_at_start_up() -> None:
    settings = build_settings(overrides=[("hash-max-ziplist-value", ["3"])])
    state = build_state(settings)
    assert state.keyspace.limits.hash_max_listpack_value == 3
    session = state.new_session()
    state.dispatcher.execute(session, [b"HSET", b"h", b"f", b"abcd"])
    assert state.dispatcher.execute(session, [b"OBJECT", b"ENCODING", b"h"]) == b"hashtable"


def test_hscan_returns_every_field_present_throughout_while_the_hash_changes(run: Run) -> None:
    run("HSET", "h", *[part for i in range(600) for part in (f"f{i}", str(i))])
    assert run("OBJECT", "ENCODING", "h") == b"hashtable"
    seen: set[bytes] = set()
    cursor = b"0"
    step = 0
    while True:
        cursor, batch = run("HSCAN", "h", cursor, "COUNT", "25")
        seen.update(batch[::2])
        run("HDEL", "h", f"f{599 - step}")  # fields removed and added during the scan
        run("HSET", "h", f"new{step}", "x")
        step += 1
        if cursor == b"0":
            break
    survivors = {f"f{i}".encode() for i in range(600 - step)}
    assert survivors <= seen
    assert not any(name.startswith(b"new") for name in seen)  # added after the snapshot


def test_pop_and_move_steps_work_on_a_list_given_directly(
    state: ServerState, session: Session, run: Run
) -> None:
    """What a woken BLPOP/BLMOVE will call: the steps, not the command handlers."""
    events: list[tuple[bytes | None, str]] = []
    state.keyspace.subscribe(lambda db, key, event, cls: events.append((key, event)))
    run("RPUSH", "src", "1", "2")
    db = session.db
    value = db.get(b"src")
    assert isinstance(value, ListValue)
    assert lists.move(db, b"src", value, b"dst", from_head=True, to_head=False) == b"1"
    assert lists.pop(db, b"src", value, head=False, count=5) == [b"2"]
    assert run("EXISTS", "src") == 0
    assert run("LRANGE", "dst", "0", "-1") == [b"1"]
    assert events[-5:] == [
        (b"dst", "new"),
        (b"dst", "rpush"),
        (b"src", "lpop"),
        (b"src", "rpop"),
        (b"src", "del"),
    ]


def test_lists_and_hashes_inside_multi(run: Run) -> None:
    run("MULTI")
    run("RPUSH", "l", "a", "b")
    run("LPOP", "l", "5")
    run("HSET", "h", "f", "1")
    run("HINCRBY", "h", "f", "x")
    assert run("EXEC") == [2, [b"a", b"b"], 1, Error("ERR value is not an integer or out of range")]
