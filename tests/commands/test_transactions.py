"""MULTI / EXEC / DISCARD / WATCH, through redis-py pipelines and the raw dispatcher."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import NullArray
from ferrite_host.testing import FerriteProcess

# -- wire: redis-py's pipeline() is transactional by default ---------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_transactional_pipeline(server: FerriteProcess, protocol: int) -> None:
    client = server.client(protocol=protocol)
    client.flushall()
    with client.pipeline() as pipe:
        pipe.set("a", "1").get("a").incr("a").get("a")
        assert pipe.execute() == [True, b"1", 2, b"2"]


def test_non_transactional_pipeline(r: redis.Redis) -> None:
    with r.pipeline(transaction=False) as pipe:
        pipe.set("x", "1").get("x")
        assert pipe.execute() == [True, b"1"]


def test_runtime_error_stays_in_its_slot(r: redis.Redis) -> None:
    r.set("text", "abc")
    with r.pipeline() as pipe:
        pipe.incr("text").set("after", "ran")
        results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError)
    assert "not an integer" in str(results[0])
    assert results[1] is True
    assert r.get("after") == b"ran"


def test_queueing_error_aborts_everything(server: FerriteProcess) -> None:
    raw = server.client()
    raw.flushall()
    conn = raw.connection_pool.get_connection()
    try:
        conn.send_command("MULTI")
        assert conn.read_response() == b"OK"
        conn.send_command("SET", "k", "v")
        assert conn.read_response() == b"QUEUED"
        conn.send_command("NOSUCHCOMMAND")
        with pytest.raises(redis.ResponseError, match="unknown command"):
            conn.read_response()
        conn.send_command("GET")
        with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'get'"):
            conn.read_response()
        conn.send_command("EXEC")
        with pytest.raises(
            redis.ResponseError, match="Transaction discarded because of previous errors"
        ):
            conn.read_response()
    finally:
        raw.connection_pool.release(conn)
    assert raw.get("k") is None


def _increment_with_retry(client: redis.Redis, key: str, attempts: list[int]) -> None:
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                current = int(pipe.get(key) or 0)
                pipe.multi()
                pipe.set(key, current + 1)
                pipe.execute()
                return
            except redis.WatchError:
                attempts.append(1)


@pytest.mark.parametrize("protocol", [2, 3])
def test_watch_retry_loop_with_competing_clients(server: FerriteProcess, protocol: int) -> None:
    server.client().flushall()
    retries: list[int] = []

    def worker() -> None:
        client = server.client(protocol=protocol)
        for _ in range(50):
            _increment_with_retry(client, "counter", retries)
        client.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert int(server.client().get("counter")) == 200  # optimistic locking lost nothing


def test_watch_fires_on_change_by_another_client(server: FerriteProcess) -> None:
    watcher, other = server.client(), server.client()
    watcher.flushall()
    with watcher.pipeline() as pipe:
        pipe.watch("w")
        other.set("w", "changed")
        pipe.multi()
        pipe.set("w", "mine")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert watcher.get("w") == b"changed"


def test_multi_errors_over_the_wire(r: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match="EXEC without MULTI"):
        r.execute_command("EXEC")
    with pytest.raises(redis.ResponseError, match="DISCARD without MULTI"):
        r.execute_command("DISCARD")


# -- unit: the dispatcher without sockets ----------------------------------------------------


@pytest.fixture
def two_clients(state: ServerState) -> tuple[Callable[..., Any], Callable[..., Any]]:
    first, second = state.new_session(), state.new_session()

    def runner(session: Any) -> Callable[..., Any]:
        return lambda *a: state.dispatcher.execute(session, [str(x).encode() for x in a])

    return runner(first), runner(second)


def test_queued_replies_and_nesting_errors(run: Callable[..., Any]) -> None:
    assert run("MULTI") == "OK"
    assert run("SET", "a", "1") == "QUEUED"
    assert run("MULTI") == "ERR MULTI calls can not be nested"
    assert run("WATCH", "a") == "ERR WATCH inside MULTI is not allowed"
    assert run("EXEC") == ["OK"]  # neither error aborted the transaction, as in Redis
    assert run("GET", "a") == b"1"


def test_discard_drops_the_queue(run: Callable[..., Any]) -> None:
    run("MULTI")
    run("SET", "a", "1")
    assert run("DISCARD") == "OK"
    assert run("GET", "a") is None


@pytest.mark.parametrize(
    "invalidate",
    [
        ("SET", "k", "2"),
        ("DEL", "k"),
        ("FLUSHDB",),
        ("FLUSHALL",),
        ("SWAPDB", "0", "1"),
        ("PEXPIRE", "k", "1"),
    ],
)
def test_watch_invalidated_by_every_kind_of_change(
    two_clients: Any, invalidate: tuple[str, ...]
) -> None:
    first, second = two_clients
    first("SET", "k", "1")
    assert first("WATCH", "k") == "OK"
    second(*invalidate)
    if invalidate[0] == "PEXPIRE":
        import time

        time.sleep(0.01)
    first("MULTI")
    first("SET", "k", "3")
    assert isinstance(first("EXEC"), NullArray)


def test_unwatch_and_untouched_keys_let_exec_run(two_clients: Any) -> None:
    first, second = two_clients
    first("WATCH", "k")
    second("SET", "other", "x")
    first("MULTI")
    first("SET", "k", "1")
    assert first("EXEC") == ["OK"]
    first("WATCH", "k")
    first("UNWATCH")
    second("SET", "k", "2")
    first("MULTI")
    first("SET", "k", "3")
    assert first("EXEC") == ["OK"]


def test_exec_propagates_one_block(state: ServerState, run: Callable[..., Any]) -> None:
    seen: list[tuple[int, list[list[bytes]]]] = []
    state.propagation_sinks.append(lambda db, commands: seen.append((db, commands)))
    run("MULTI")
    run("SET", "a", "1")
    run("GET", "a")
    run("SET", "b", "2")
    run("EXEC")
    assert seen == [
        (0, [[b"MULTI"], [b"SET", b"a", b"1"], [b"SET", b"b", b"2"], [b"EXEC"]]),
    ]


def test_read_only_transaction_propagates_nothing(
    state: ServerState, run: Callable[..., Any]
) -> None:
    seen: list[Any] = []
    state.propagation_sinks.append(lambda db, commands: seen.append(commands))
    run("MULTI")
    run("GET", "a")
    run("EXEC")
    assert seen == []
