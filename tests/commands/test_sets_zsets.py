"""Sets, sorted sets and SORT through the real dispatcher: the change events each command
emits (Redis's notification names), what it propagates, and encodings at the thresholds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import NullArray

Run = Callable[..., Any]


@pytest.fixture
def events(state: ServerState) -> list[tuple[bytes | None, str, str]]:
    seen: list[tuple[bytes | None, str, str]] = []
    state.keyspace.subscribe(lambda db, key, event, cls: seen.append((key, event, cls)))
    return seen


@pytest.fixture
def propagated(state: ServerState) -> list[list[bytes]]:
    seen: list[list[bytes]] = []
    state.propagation_sinks.append(lambda db, commands: seen.extend(commands))
    return seen


def test_set_events(run: Run, events: list[tuple[bytes | None, str, str]]) -> None:
    run("SADD", "s", "a", "b")
    run("SADD", "s", "a")  # nothing added: no event
    run("SREM", "s", "a", "b")
    assert events == [
        (b"s", "new", "n"),
        (b"s", "sadd", "s"),
        (b"s", "srem", "s"),
        (b"s", "del", "g"),
    ]


def test_smove_and_store_events(run: Run, events: list[tuple[bytes | None, str, str]]) -> None:
    run("SADD", "src", "m")
    events.clear()
    assert run("SMOVE", "src", "dst", "m") == 1
    assert events == [
        (b"src", "srem", "s"),
        (b"src", "del", "g"),
        (b"dst", "new", "n"),
        (b"dst", "sadd", "s"),
    ]
    events.clear()
    run("SINTERSTORE", "out", "dst")
    run("SUNIONSTORE", "out", "dst")
    run("SDIFFSTORE", "out", "dst", "dst")  # empty result deletes the destination
    assert [event for _key, event, _cls in events] == [
        "new",
        "sinterstore",
        "sunionstore",
        "del",
    ]


def test_zset_events(run: Run, events: list[tuple[bytes | None, str, str]]) -> None:
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    run("ZADD", "z", "INCR", "1", "a")
    run("ZINCRBY", "z", "1", "a")
    run("ZREM", "z", "a")
    run("ZREMRANGEBYRANK", "z", "0", "0")
    run("ZREMRANGEBYSCORE", "z", "3", "3")
    run("ZPOPMAX", "z")
    assert [event for _key, event, _cls in events] == [
        "new",
        "zadd",
        "zincr",
        "zincr",
        "zrem",
        "zremrangebyrank",
        "zremrangebyscore",
        "zpopmax",
        "del",
    ]
    assert {cls for _key, event, cls in events if event.startswith("z")} == {"z"}


def test_zset_store_events(run: Run, events: list[tuple[bytes | None, str, str]]) -> None:
    run("ZADD", "z", "0", "a")
    events.clear()
    for command in ("ZUNIONSTORE", "ZINTERSTORE"):
        run(command, "out", "1", "z")
    run("ZRANGESTORE", "out", "z", "0", "-1")
    run("ZDIFFSTORE", "out", "2", "z", "z")
    assert [event for _key, event, _cls in events] == [
        "new",
        "zunionstore",
        "zinterstore",
        "zrangestore",
        "del",
    ]


def test_sort_store_event_and_list(run: Run, events: list[tuple[bytes | None, str, str]]) -> None:
    run("SADD", "s", "3", "1", "2")
    events.clear()
    assert run("SORT", "s", "STORE", "out") == 3
    assert events == [(b"out", "new", "n"), (b"out", "sortstore", "l")]
    assert run("TYPE", "out") == "list"
    assert run("SORT", "out", "BY", "nosort", "DESC") == [b"3", b"2", b"1"]


def test_random_pops_propagate_as_deterministic_commands(
    run: Run, propagated: list[list[bytes]]
) -> None:
    run("SADD", "s", "a", "b", "c")
    propagated.clear()
    member = run("SPOP", "s")
    assert propagated == [[b"SREM", b"s", member]]
    propagated.clear()
    run("SPOP", "s", "1")
    assert propagated[0][:2] == [b"SREM", b"s"] and len(propagated[0]) == 3
    propagated.clear()
    run("SPOP", "s", "5")
    assert propagated == [[b"DEL", b"s"]]
    run("ZADD", "z", "1", "a", "2", "b")
    propagated.clear()
    assert run("ZMPOP", "1", "z", "MAX", "COUNT", "1") == [b"z", [[b"b", 2.0]]]
    assert propagated == [[b"ZPOPMAX", b"z", b"1"]]
    propagated.clear()
    run("SPOP", "missing")
    assert propagated == []


def test_encodings_at_the_default_thresholds(run: Run) -> None:
    run("SADD", "ints", *range(512))
    assert run("OBJECT", "ENCODING", "ints") == b"intset"
    run("SADD", "ints", "512")
    assert run("OBJECT", "ENCODING", "ints") == b"hashtable"
    run("SREM", "ints", *range(500))
    assert run("OBJECT", "ENCODING", "ints") == b"hashtable"  # never converted back
    pairs = [part for index in range(128) for part in (str(index), f"m{index}")]
    run("ZADD", "z", *pairs)
    assert run("OBJECT", "ENCODING", "z") == b"listpack"
    run("ZADD", "z", "0", "one-more")
    assert run("OBJECT", "ENCODING", "z") == b"skiplist"
    run("ZADD", "long", "0", "x" * 64)
    assert run("OBJECT", "ENCODING", "long") == b"listpack"
    run("ZADD", "long", "0", "x" * 65)
    assert run("OBJECT", "ENCODING", "long") == b"skiplist"
    run("ZADD", "small", "1", "a")
    run("SORT", "small")
    assert run("OBJECT", "ENCODING", "small") == b"skiplist"  # SORT converts, as Redis


def test_copy_keeps_the_value_independent(run: Run) -> None:
    run("ZADD", "z", "1", "a")
    run("SADD", "s", "x")
    run("COPY", "z", "z2")
    run("COPY", "s", "s2")
    run("ZADD", "z2", "5", "b")
    run("SADD", "s2", "y")
    assert run("ZCARD", "z") == 1 and run("SCARD", "s") == 1


def _scan_all(run: Run, command: str, key: str, grow: str) -> set[bytes]:
    """Walk a whole SSCAN/ZSCAN while members are added between calls."""
    seen: set[bytes] = set()
    cursor = b"0"
    step = 0
    while True:
        cursor, found = run(command, key, cursor, "COUNT", "7")
        members = found if command == "SSCAN" else found[::2]
        seen.update(members)
        step += 1
        if grow == "sadd":
            run("SADD", key, f"new{step}")
        else:
            run("ZADD", key, "0", f"new{step}")
        if cursor == b"0":
            return seen


def test_scans_return_every_member_present_throughout(run: Run) -> None:
    run("SADD", "s", *(f"m{index}" for index in range(600)))
    assert run("OBJECT", "ENCODING", "s") == b"hashtable"
    seen = _scan_all(run, "SSCAN", "s", "sadd")
    assert {f"m{index}".encode() for index in range(600)} <= seen
    run("ZADD", "z", *(part for index in range(300) for part in (str(index), f"m{index}")))
    assert run("OBJECT", "ENCODING", "z") == b"skiplist"
    seen = _scan_all(run, "ZSCAN", "z", "zadd")
    assert {f"m{index}".encode() for index in range(300)} <= seen
    cursor, found = run("ZSCAN", "z", "0", "COUNT", "5")
    assert cursor != b"0" and 5 <= len(found) // 2 < 300


def test_sort_by_and_get_hash_fields(run: Run, session: Any) -> None:
    from ferrite_host.keyspace import HashValue

    run("SADD", "ids", "1", "2", "3")
    for ident, (weight, name) in {
        "1": (b"30", b"ann"),
        "2": (b"10", b"bob"),
        "3": (b"20", b"cy"),
    }.items():
        session.db.set(f"user:{ident}".encode(), HashValue({b"w": weight, b"name": name}))
    assert run("SORT", "ids", "BY", "user:*->w") == [b"2", b"3", b"1"]
    assert run("SORT", "ids", "BY", "user:*->w", "GET", "user:*->name", "GET", "#") == [
        b"bob",
        b"2",
        b"cy",
        b"3",
        b"ann",
        b"1",
    ]
    assert run("SORT", "ids", "BY", "user:*->name", "ALPHA", "DESC") == [b"3", b"2", b"1"]
    assert run("SORT", "ids", "GET", "user:*->missing", "LIMIT", "0", "1") == [None]
    assert run("SORT", "ids", "GET", "user:*->") == [None, None, None]  # no field: a plain key


def test_watch_sees_set_and_zset_writes(state: ServerState, run: Run) -> None:
    other = state.new_session()
    run("SADD", "s", "a")
    run("ZADD", "z", "1", "a")
    for write in ([b"SADD", b"s", b"b"], [b"ZINCRBY", b"z", b"1", b"a"], [b"SPOP", b"s"]):
        run("WATCH", "s", "z")
        state.dispatcher.execute(other, write)
        run("MULTI")
        run("SCARD", "s")
        assert isinstance(run("EXEC"), NullArray), write
    run("WATCH", "s", "z")
    state.dispatcher.execute(other, [b"SREM", b"s", b"nobody"])  # writes that change nothing
    state.dispatcher.execute(other, [b"ZADD", b"z", b"XX", b"5", b"nobody"])
    run("MULTI")
    run("SCARD", "s")
    assert run("EXEC") == [1]


def test_random_picks_stay_members_while_the_set_changes(run: Run) -> None:
    run("SADD", "s", "a", "b")
    run("SRANDMEMBER", "s")  # draws from a snapshot of the members
    run("SREM", "s", "a", "b")
    run("SADD", "s", "c", "d")
    assert {run("SRANDMEMBER", "s") for _ in range(50)} <= {b"c", b"d"}
    assert sorted([run("SPOP", "s"), run("SPOP", "s")]) == [b"c", b"d"]
    assert run("EXISTS", "s") == 0
    run("SADD", "big", *range(1000))
    popped = [run("SPOP", "big") for _ in range(1000)]
    assert sorted(popped, key=int) == [str(i).encode() for i in range(1000)]
