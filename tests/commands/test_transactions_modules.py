"""Transactions with module commands: queued like built-ins, WATCH sees module writes,
and with the append-only file on, a transaction survives a crash whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess

pytest.importorskip("ferrite_hello")
pytest.importorskip("ferrite_hellotype")


@pytest.fixture(scope="module")
def modules_server() -> Iterator[FerriteProcess]:
    with FerriteProcess(
        "--appendonly", "yes", "--appendfsync", "always", modules=["hello", "hellotype"]
    ) as proc:
        yield proc


@pytest.fixture
def client(modules_server: FerriteProcess) -> Iterator[redis.Redis]:
    with modules_server.flushed_client(protocol=2) as c:
        yield c


@pytest.mark.parametrize("protocol", [2, 3])
def test_module_commands_queue_and_run_inside_exec(
    modules_server: FerriteProcess, protocol: int
) -> None:
    client = modules_server.client(protocol=protocol)
    client.flushall()
    with client.pipeline() as pipe:
        pipe.execute_command("HELLOTYPE.INSERT", "list", "5")
        pipe.execute_command("HELLOTYPE.INSERT", "list", "1")
        pipe.execute_command("HELLOTYPE.RANGE", "list", "0", "10")
        pipe.set("plain", "x")
        pipe.execute_command("HELLOTYPE.LEN", "list")
        assert pipe.execute() == [1, 2, [1, 5], True, 2]


def test_module_runtime_error_stays_in_its_slot(client: redis.Redis) -> None:
    client.set("text", "abc")
    with client.pipeline() as pipe:
        pipe.execute_command("HELLOTYPE.INSERT", "text", "1")
        pipe.execute_command("HELLOTYPE.INSERT", "fresh", "1")
        results = pipe.execute(raise_on_error=False)
    assert isinstance(results[0], redis.ResponseError)
    assert "WRONGTYPE" in str(results[0]) or "wrong kind" in str(results[0])
    assert results[1] == 1


@pytest.mark.parametrize(
    "module_write",
    [
        ("HELLOTYPE.INSERT", "watched", "7"),  # a module-type write through a key handle
        ("HELLO.TOGGLE.CASE", "watched"),  # a string write through a key handle
        ("HELLO.MORE.EXPIRE", "watched", "100000"),  # an expiry set through a key handle
    ],
)
def test_watch_fires_on_module_writes(
    modules_server: FerriteProcess, module_write: tuple[str, ...]
) -> None:
    watcher, other = modules_server.client(protocol=2), modules_server.client(protocol=2)
    watcher.flushall()
    if module_write[0] != "HELLOTYPE.INSERT":
        watcher.set("watched", "MiXeD")
        watcher.expire("watched", 1000)
    with watcher.pipeline() as pipe:
        pipe.watch("watched")
        other.execute_command(*module_write)
        pipe.multi()
        pipe.set("after", "1")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert watcher.get("after") is None


def test_watch_fires_on_module_ctx_call_writes(modules_server: FerriteProcess) -> None:
    watcher, other = modules_server.client(protocol=2), modules_server.client(protocol=2)
    watcher.flushall()
    with watcher.pipeline() as pipe:
        pipe.watch("foo")
        other.execute_command("HELLO.REPL1")  # INCR foo / INCR bar through ctx.call
        pipe.multi()
        pipe.set("after", "1")
        with pytest.raises(redis.WatchError):
            pipe.execute()


def test_ctx_call_inside_exec_opens_no_transaction_of_its_own(client: redis.Redis) -> None:
    with client.pipeline() as pipe:
        pipe.execute_command("HELLO.REPL1")
        pipe.get("foo")
        assert pipe.execute() == [0, b"1"]


def test_transaction_with_module_commands_survives_a_crash(tmp_path: object) -> None:
    with FerriteProcess(
        "--appendonly", "yes", "--appendfsync", "always", modules=["hello", "hellotype"]
    ) as first:
        client = first.client(protocol=2)
        with client.pipeline() as pipe:
            pipe.execute_command("HELLOTYPE.INSERT", "tx", "3")
            pipe.execute_command("HELLOTYPE.INSERT", "tx", "2")
            pipe.incr("counter")
            pipe.execute()
        aof = (first.dir / "appendonly.aof").read_bytes()
        assert b"MULTI" in aof and b"EXEC" in aof
        first.kill()
        second = FerriteProcess(
            "--appendonly", "yes", modules=["hello", "hellotype"], directory=first.dir
        ).start()
        try:
            again = second.client(protocol=2)
            assert again.execute_command("HELLOTYPE.RANGE", "tx", "0", "10") == [2, 3]
            assert again.get("counter") == b"1"
        finally:
            second.stop()
