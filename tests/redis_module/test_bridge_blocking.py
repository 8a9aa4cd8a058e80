"""Module blocked clients, thread-safe contexts and `async def` commands on redis-server
through the bridge, against `ferrite serve`: the fx_blocking fixture module loads on both
hosts and every scenario's replies are compared (and checked against what the module
means to answer, so both cannot be wrong the same way).

Unblocked from a thread, a timer and another client's command; timeouts and CLIENT
UNBLOCK; block_client_on_keys woken by a push and kept waiting by a wrong type;
signal_key_as_ready; thread-safe contexts with and without the lock; async commands
(sleep, wait_for_key, run_in_thread, errors, the Redis-shaped layer); MULTI and Lua
refusals; MODULE UNLOAD refused while a client waits; a client leaving; and the AOF holding
only what the work asked to propagate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
from ferrite_host.testing.bridge_process import BridgeUnavailable, RedisBridgeProcess, ensure_bridge

pytestmark = pytest.mark.timeout(180)

FIXTURE = Path(__file__).parent / "fixtures" / "fx-blocking"
MODULES: list[str | tuple[str, ...]] = ["fx_blocking", "fx_blocking_redis"]
UNLOAD_REFUSED = (
    "Error unloading module: the module has blocked clients. "
    "Please wait them unblocked and try again"
)

Hosts = tuple[FerriteProcess, RedisBridgeProcess]


@pytest.fixture(scope="module")
def site() -> Path:
    return install_distributions([FIXTURE], "ferrite-fx-blocking")


@pytest.fixture(scope="module")
def bridge_so(tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return ensure_bridge(tmp_path_factory.mktemp("bridge-build"))
    except BridgeUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def hosts(site: Path, bridge_so: Path) -> Iterator[Hosts]:
    ferrite = FerriteProcess(modules=MODULES, env=pythonpath_env(site))
    bridge = RedisBridgeProcess(modules=MODULES, bridge=bridge_so, paths=[site])
    with ferrite, bridge:
        yield ferrite, bridge


def outcome(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except redis.ResponseError as exc:
        return ("error", str(exc).split(" script: ")[0])


def on_both(hosts: Hosts, scenario: Callable[[FerriteProcess, redis.Redis], Any]) -> Any:
    """Run `scenario(server, client)` on each host; the results must be equal."""
    results = []
    for host in hosts:
        client = host.client(socket_timeout=10)
        client.flushall()
        try:
            results.append(scenario(host, client))
        finally:
            client.close()
    ferrite, bridge = results
    assert bridge == ferrite
    return bridge


def command(*args: object) -> Callable[[FerriteProcess, redis.Redis], Any]:
    return lambda server, client: outcome(lambda: client.execute_command(*args))


def test_unblocked_from_a_thread_and_a_timer(hosts: Hosts) -> None:
    assert on_both(hosts, command("FXB.THREAD", 30, "hi")) == b"hi"
    assert b"hi" in on_both(hosts, command("FXB.FREED"))
    assert on_both(hosts, command("FXB.TIMER", 20, "tick")) == b"tick"


def test_unblocked_by_another_command(hosts: Hosts) -> None:
    def scenario(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=10)
        blocked_id = other.client_id()
        answer = in_background(lambda: other.execute_command("FXB.HOLD", 0))
        wait_until_blocked(client)
        flags = b"flags=b" in client.execute_command("CLIENT", "LIST", "ID", blocked_id)
        released = client.execute_command("FXB.RELEASE", blocked_id, "freed")
        result = (flags, released, answer(), client.execute_command("FXB.RELEASE", blocked_id, 1))
        other.close()
        return result

    assert on_both(hosts, scenario) == (True, 1, b"freed", 0)


def test_timeouts_and_client_unblock(hosts: Hosts) -> None:
    assert on_both(hosts, command("FXB.HOLD", 20)) == b"timed out"

    def scenario(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=10)
        blocked_id = other.client_id()
        results = []
        for error in (False, True):
            answer = in_background(lambda: outcome(lambda: other.execute_command("FXB.HOLD", 0)))
            wait_until_blocked(client)
            results.append(client.client_unblock(blocked_id, error=error))
            results.append(answer())
        # Without a timeout callback a module client cannot be unblocked, as in Redis.
        answer = in_background(lambda: other.execute_command("FXB.THREAD", 200, "late"))
        wait_until_blocked(client)
        results += [client.client_unblock(blocked_id), answer()]
        other.close()
        return results

    assert on_both(hosts, scenario) == [
        True,
        b"timed out",
        True,
        ("error", "UNBLOCKED client unblocked via CLIENT UNBLOCK"),
        False,
        b"late",
    ]


def test_block_on_keys(hosts: Hosts) -> None:
    def woken(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=10)
        answer = in_background(lambda: other.execute_command("FXB.POP", "q", 0))
        wait_until_blocked(client)
        client.set("unrelated", 1)
        client.rpush("q", "a", "b")
        result = [answer(), client.lrange("q", 0, -1)]
        result.append(client.execute_command("FXB.POP", "q", 10))
        result.append(client.execute_command("FXB.POP", "q", 20))
        other.close()
        return result

    assert on_both(hosts, woken) == [[b"q", b"a"], [b"b"], [b"q", b"b"], b"Request timedout"]

    def signalled(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=10)
        answer = in_background(lambda: other.execute_command("FXB.POP", "q2", 0))
        wait_until_blocked(client)
        client.set("q2", "a string")  # ready, but not a list: the callback says ERR
        client.execute_command("FXB.SIGNAL", "q2")
        time.sleep(0.05)
        still = int(client.info("clients")["blocked_clients"])
        client.delete("q2")
        client.lpush("q2", "x")
        result = [still, answer()]
        other.close()
        return result

    assert on_both(hosts, signalled) == [1, [b"q2", b"x"]]


def test_thread_safe_contexts(hosts: Hosts) -> None:
    def scenario(server: FerriteProcess, client: redis.Redis) -> Any:
        return [
            client.execute_command("FXB.TSC", "k", "hello"),
            client.get("k"),
            client.execute_command("FXB.UNLOCKED"),
        ]

    written, value, unlocked = on_both(hosts, scenario)
    assert (written, value) == (5, b"hello")
    assert b"without thread_safe_context_lock()" in unlocked
    assert on_both(hosts, command("FXB.DETACHED", "dk")) == [b"1", 1]


def test_unblocking_a_client_blocked_on_keys_from_a_thread(hosts: Hosts) -> None:
    def scenario(server: FerriteProcess, client: redis.Redis) -> Any:
        answer = client.execute_command("FXB.KEYS.UNBLOCK", "kq")
        deadline = time.monotonic() + 10
        while not any(b"keys unblock" in bytes(x) for x in client.execute_command("FXB.FREED")):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return [answer, [x for x in client.execute_command("FXB.FREED") if b"keys" in bytes(x)]]

    assert on_both(hosts, scenario) == [b"Request timedout", [b"keys unblock 0, again 1"]]


def test_async_commands(hosts: Hosts) -> None:
    def interleaving(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=10)
        answer = in_background(lambda: other.execute_command("FXB.SLEEP", 300, "slept"))
        wait_until_blocked(client)
        meanwhile = [client.ping(), client.set("meanwhile", 1)]
        meanwhile.append(client.execute_command("FXB.SLEEP", 0, "quick"))
        redis_shaped = in_background(lambda: other.execute_command("FXR.SLEEP", 50, "later"))
        result = [*meanwhile, answer(), redis_shaped()]
        other.close()
        return result

    assert on_both(hosts, interleaving) == [True, True, b"quick", b"slept", b"later"]

    def awaiting(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=10)
        answer = in_background(lambda: other.execute_command("FXB.AWAIT", "aq", 0))
        wait_until_blocked(client)
        client.lpush("aq", "v")
        result = [answer(), client.execute_command("FXB.AWAIT", "aq", 0.05)]
        other.close()
        return result

    assert on_both(hosts, awaiting) == [b"v", None]
    assert on_both(hosts, command("FXB.INCR.THREAD", "n")) == 1
    assert on_both(hosts, command("FXR.SLEEP", 0, "now")) == b"now"
    assert on_both(hosts, command("FXB.ASYNC.FAIL")) == (
        "error",
        "module command 'fxb.async.fail' raised ValueError: broken on purpose",
    )


def test_blocking_and_async_commands_back_to_back_in_a_pipeline(hosts: Hosts) -> None:
    """The bridge reuses a command's ctx call after call: one that blocked, or that an async
    run took over, must leave the next call of the same command answering for itself."""

    def scenario(server: FerriteProcess, client: redis.Redis) -> Any:
        pipe = client.pipeline(transaction=False)
        for value in ("a", "b"):
            pipe.execute_command("FXB.SLEEP", 0, value)
        pipe.execute_command("FXR.SLEEP", 0, "c")
        pipe.execute_command("FXR.SLEEP", 0, "d")
        for value in ("e", "f"):
            pipe.execute_command("FXB.TSC", "k", value)
            pipe.execute_command("FXB.THREAD", 0, value)
        pipe.execute_command("FXB.SIGNAL", "k")
        pipe.execute_command("FXB.SIGNAL", "k")
        pipe.execute_command("FXB.HOLD", 10)
        pipe.execute_command("FXB.SLEEP", 0, "g")
        return pipe.execute()

    assert on_both(hosts, scenario) == [
        *(b"a", b"b", b"c", b"d"),
        *(1, b"e", 1, b"f"),
        *(b"OK", b"OK", b"timed out", b"g"),
    ]


def test_threads_waiting_for_the_lock_while_commands_keep_the_gil(hosts: Hosts) -> None:
    """Worker threads wait for Redis's lock (and the GIL) while another client pipelines
    Python commands, during which Redis's main thread keeps the GIL between commands: every
    thread gets through and every reply arrives."""

    def scenario(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=20)

        def increments() -> list[Any]:
            return [other.execute_command("FXB.INCR.THREAD", "n") for _ in range(20)]

        counted = in_background(increments)
        signalled = []
        for _ in range(10):
            pipe = client.pipeline(transaction=False)
            for _ in range(200):
                pipe.execute_command("FXB.SIGNAL", "nothing")
            signalled += pipe.execute()
        result = [counted(), signalled == [b"OK"] * 2000, client.get("n")]
        other.close()
        return result

    assert on_both(hosts, scenario) == [list(range(1, 21)), True, b"20"]


def test_refused_inside_multi_and_lua(hosts: Hosts) -> None:
    def scenario(server: FerriteProcess, client: redis.Redis) -> Any:
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("FXB.HOLD", 0)
        pipe.execute_command("FXB.SLEEP", 0, "x")
        pipe.execute_command("FXB.THREAD", 0, "y")
        in_multi = [str(reply) for reply in pipe.execute(raise_on_error=False)]
        in_lua = outcome(lambda: client.eval("return redis.call('FXB.HOLD', 0)", 0))
        return [in_multi, in_lua, client.ping()]

    assert on_both(hosts, scenario) == [
        ["Blocking module command called from transaction"] * 3,
        ("error", "Blocking module command called from Lua script"),
        True,
    ]


def test_unload_refused_and_a_client_leaving(hosts: Hosts) -> None:
    def unload(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client(socket_timeout=10)
        blocked_id = other.client_id()
        answer = in_background(lambda: other.execute_command("FXB.HOLD", 0))
        wait_until_blocked(client)
        refused = outcome(lambda: client.execute_command("MODULE", "UNLOAD", "fx_blocking"))
        client.execute_command("FXB.RELEASE", blocked_id, "done")
        result = [refused, answer()]
        other.close()
        return result

    assert on_both(hosts, unload) == [("error", UNLOAD_REFUSED), b"done"]

    def leaving(server: FerriteProcess, client: redis.Redis) -> Any:
        other = server.client()
        connection = other.connection_pool.get_connection()
        connection.send_command("FXB.SLEEP", 200, "never read")
        wait_until_blocked(client)
        connection.disconnect()
        deadline = time.monotonic() + 10
        while int(client.info("clients")["blocked_clients"]):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return client.ping()

    assert on_both(hosts, leaving) is True


def _propagated(server: FerriteProcess, directory: Path) -> list[list[bytes]]:
    """Run work finished later on `server`; the commands its AOF holds (SELECTs left out)."""
    with server:
        client = server.client(socket_timeout=10)
        other = server.client(socket_timeout=10)
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
        assert client.execute_command("FXR.SLEEP", 0, "v") == b"v"
        client.close()
        other.close()
    data = b"".join(path.read_bytes() for path in directory.rglob("*.aof"))
    argvs = [cmd.argv for unit in parse_aof(data).units for cmd in unit]
    return [[argv[0].upper(), *argv[1:]] for argv in argvs if argv[0].upper() != b"SELECT"]


def test_work_finished_later_propagates_only_what_it_asks(
    site: Path, bridge_so: Path, tmp_path: Path
) -> None:
    """From a thread, a key wake-up and coroutines, the AOF gets the `!` calls and
    `replicate`s, never the module command itself, on both hosts."""
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    ferrite_dir, redis_dir = tmp_path / "f", tmp_path / "r"
    ferrite_dir.mkdir()
    redis_dir.mkdir()
    ferrite = FerriteProcess(*aof, modules=MODULES, env=pythonpath_env(site), directory=ferrite_dir)
    bridge = RedisBridgeProcess(
        *aof, modules=MODULES, bridge=bridge_so, paths=[site], directory=redis_dir
    )
    for log in (_propagated(ferrite, ferrite_dir), _propagated(bridge, redis_dir)):
        assert not [argv for argv in log if argv[0].startswith(b"FX")]
        for expected in (
            [b"SET", b"k", b"hello"],
            [b"INCR", b"n"],
            [b"LPOP", b"q"],
            [b"LPOP", b"aq"],
            [b"SET", b"fxr.slept", b"v"],
        ):
            assert expected in log, (expected, log)
