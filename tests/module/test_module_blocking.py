"""Module blocked clients over the wire: unblocked from a thread, a timer and another
command; timeouts and CLIENT UNBLOCK; block_client_on_keys woken by another client's LPUSH;
thread-safe contexts; `async def` commands interleaving with other clients; MULTI refusal
and MODULE UNLOAD refusal, with Redis 7.0's texts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ferrite_host.persistence.aof import parse_aof
from ferrite_host.testing import (
    FerriteProcess,
    in_background,
    install_distributions,
    pythonpath_env,
    wait_until_blocked,
)

FIXTURE = Path(__file__).parent.parent / "redis_module" / "fixtures" / "fx-blocking"
UNLOAD_REFUSED = (
    "Error unloading module: the module has blocked clients. "
    "Please wait them unblocked and try again"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FerriteProcess]:
    env = pythonpath_env(install_distributions([FIXTURE], "ferrite-fx-blocking"))
    with FerriteProcess(modules=["fx_blocking", "fx_blocking_redis"], env=env) as proc:
        yield proc


@pytest.fixture
def client(server: FerriteProcess) -> Iterator[redis.Redis]:
    with server.flushed_client(socket_timeout=10) as connection:
        yield connection


def test_unblocked_from_a_thread(server: FerriteProcess, client: redis.Redis) -> None:
    assert client.execute_command("FXB.THREAD", 50, "hi") == b"hi"
    assert b"hi" in client.execute_command("FXB.FREED")


def test_unblocked_from_a_timer(client: redis.Redis) -> None:
    assert client.execute_command("FXB.TIMER", 30, "tick") == b"tick"


def test_unblocked_by_another_command(server: FerriteProcess, client: redis.Redis) -> None:
    other = server.client()
    blocked_id = other.client_id()
    answer = in_background(lambda: other.execute_command("FXB.HOLD", 0))
    wait_until_blocked(client)
    assert client.execute_command("CLIENT", "LIST", "ID", blocked_id).count(b"flags=b") == 1
    assert client.execute_command("FXB.RELEASE", blocked_id, "freed") == 1
    assert answer() == b"freed"
    assert client.execute_command("FXB.RELEASE", blocked_id, "again") == 0
    assert other.ping() is True


def test_timeout_answers_through_the_timeout_callback(client: redis.Redis) -> None:
    assert client.execute_command("FXB.HOLD", 30) == b"timed out"


def test_client_unblock_timeout_and_error(server: FerriteProcess, client: redis.Redis) -> None:
    other = server.client()
    blocked_id = other.client_id()
    answer = in_background(lambda: other.execute_command("FXB.HOLD", 0))
    wait_until_blocked(client)
    assert client.client_unblock(blocked_id) is True
    assert answer() == b"timed out"
    answer = in_background(lambda: other.execute_command("FXB.HOLD", 0))
    wait_until_blocked(client)
    assert client.client_unblock(blocked_id, error=True) is True
    with pytest.raises(redis.ResponseError, match="UNBLOCKED client unblocked via CLIENT UNBLOCK"):
        answer()
    # Without a timeout callback a module client cannot be unblocked, as in Redis.
    answer = in_background(lambda: other.execute_command("FXB.THREAD", 300, "late"))
    wait_until_blocked(client)
    assert client.client_unblock(blocked_id) is False
    assert answer() == b"late"


def test_block_on_keys_is_woken_by_another_clients_push(
    server: FerriteProcess, client: redis.Redis
) -> None:
    other = server.client()
    answer = in_background(lambda: other.execute_command("FXB.POP", "q", 0))
    wait_until_blocked(client)
    client.set("unrelated", 1)
    client.rpush("q", "a", "b")
    assert answer() == [b"q", b"a"]
    assert client.lrange("q", 0, -1) == [b"b"]
    assert client.execute_command("FXB.POP", "q", 10) == [b"q", b"b"]
    assert client.execute_command("FXB.POP", "q", 20) == b"Request timedout"


def test_signal_key_as_ready_and_a_wrong_key_keep_it_waiting(
    server: FerriteProcess, client: redis.Redis
) -> None:
    other = server.client()
    answer = in_background(lambda: other.execute_command("FXB.POP", "q2", 0))
    wait_until_blocked(client)
    client.set("q2", "a string")  # ready, but LPOP fails: the callback says ERR
    client.execute_command("FXB.SIGNAL", "q2")
    time.sleep(0.05)
    assert int(client.info("clients")["blocked_clients"]) == 1
    client.delete("q2")
    client.lpush("q2", "x")
    assert answer() == [b"q2", b"x"]


def test_thread_safe_context_writes_and_replies(client: redis.Redis) -> None:
    assert client.execute_command("FXB.TSC", "k", "hello") == 5
    assert client.get("k") == b"hello"


def test_thread_safe_context_refuses_use_without_the_lock(client: redis.Redis) -> None:
    answer = client.execute_command("FXB.UNLOCKED").decode()
    assert "without thread_safe_context_lock()" in answer


def test_async_commands_interleave_with_other_clients(
    server: FerriteProcess, client: redis.Redis
) -> None:
    other = server.client()
    answer = in_background(lambda: other.execute_command("FXB.SLEEP", 300, "slept"))
    wait_until_blocked(client)
    assert client.ping() is True
    assert client.set("meanwhile", 1) is True
    assert client.execute_command("FXB.SLEEP", 0, "quick") == b"quick"
    assert answer() == b"slept"


def test_async_command_awaits_a_key(server: FerriteProcess, client: redis.Redis) -> None:
    other = server.client()
    answer = in_background(lambda: other.execute_command("FXB.AWAIT", "aq", 0))
    wait_until_blocked(client)
    client.lpush("aq", "v")
    assert answer() == b"v"
    assert client.execute_command("FXB.AWAIT", "aq", 0.05) is None


def test_async_command_runs_work_in_a_thread(client: redis.Redis) -> None:
    assert client.execute_command("FXB.INCR.THREAD", "n") == 1
    assert client.execute_command("FXB.INCR.THREAD", "n") == 2


def test_async_command_error(client: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match="raised ValueError: broken on purpose"):
        client.execute_command("FXB.ASYNC.FAIL")


def test_blocking_inside_multi_answers_redis_error(client: redis.Redis) -> None:
    pipe = client.pipeline(transaction=True)
    pipe.execute_command("FXB.HOLD", 0)
    pipe.execute_command("FXB.SLEEP", 0, "x")
    first, second = pipe.execute(raise_on_error=False)
    assert str(first) == "Blocking module command called from transaction"
    assert str(second) == "Blocking module command called from transaction"


def test_blocking_from_lua_answers_redis_error(client: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match="Blocking module command called from Lua"):
        client.eval("return redis.call('FXB.HOLD', 0)", 0)


def test_unload_is_refused_while_a_client_is_blocked(
    server: FerriteProcess, client: redis.Redis
) -> None:
    other = server.client()
    blocked_id = other.client_id()
    answer = in_background(lambda: other.execute_command("FXB.HOLD", 0))
    wait_until_blocked(client)
    with pytest.raises(redis.ResponseError) as refused:
        client.execute_command("MODULE", "UNLOAD", "fx_blocking")
    assert str(refused.value) == UNLOAD_REFUSED
    client.execute_command("FXB.RELEASE", blocked_id, "done")
    assert answer() == b"done"


def test_a_client_leaving_while_blocked_frees_the_server(
    server: FerriteProcess, client: redis.Redis
) -> None:
    other = server.client()
    other.execute_command("CLIENT", "SETNAME", "leaver")
    connection = other.connection_pool.get_connection()
    connection.send_command("FXB.SLEEP", 200, "never read")
    wait_until_blocked(client)
    connection.disconnect()
    deadline = time.monotonic() + 10
    while int(client.info("clients")["blocked_clients"]):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert client.ping() is True


def test_work_finished_later_propagates_only_what_it_asks(
    tmp_path: Path, server: FerriteProcess
) -> None:
    """Served from a thread, a key wake-up or a coroutine, a module command reaches the AOF
    as the commands it asked for (`!` calls), never as itself; a restart replays them."""
    env = pythonpath_env(install_distributions([FIXTURE], "ferrite-fx-blocking"))
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    with FerriteProcess(*aof, modules=["fx_blocking"], env=env, directory=tmp_path) as proc:
        client = proc.client(socket_timeout=10)
        other = proc.client(socket_timeout=10)
        assert client.execute_command("FXB.TSC", "k", "hello") == 5
        assert client.execute_command("FXB.INCR.THREAD", "n") == 1
        popped = in_background(lambda: other.execute_command("FXB.POP", "q", 0))
        wait_until_blocked(client)
        client.rpush("q", "a")
        assert popped() == [b"q", b"a"]
        awaited = in_background(lambda: other.execute_command("FXB.AWAIT", "aq", 0))
        wait_until_blocked(client)
        client.rpush("aq", "b", "c")
        assert awaited() == b"b"
        client.close()
        other.close()
    logged = b"".join(path.read_bytes() for path in tmp_path.rglob("*.aof"))
    argvs = [cmd.argv for unit in parse_aof(logged).units for cmd in unit]
    assert not [argv for argv in argvs if argv[0].upper().startswith(b"FXB")]
    for expected in (
        [b"SET", b"k", b"hello"],
        [b"INCR", b"n"],
        [b"LPOP", b"q"],
        [b"LPOP", b"aq"],
    ):
        assert expected in [[argv[0].upper(), *argv[1:]] for argv in argvs], expected
    with FerriteProcess(*aof, modules=["fx_blocking"], env=env, directory=tmp_path) as proc:
        client = proc.client()
        assert client.get("k") == b"hello" and client.get("n") == b"1"
        assert client.exists("q") == 0 and client.lrange("aq", 0, -1) == [b"c"]
        client.close()


def test_redis_shaped_async_callback_replies_through_ctx(
    server: FerriteProcess, client: redis.Redis
) -> None:
    other = server.client()
    answer = in_background(lambda: other.execute_command("FXR.SLEEP", 100, "later"))
    wait_until_blocked(client)
    assert client.ping() is True
    assert answer() == b"later"
    assert client.execute_command("FXR.SLEEP", 0, "now") == b"now"
