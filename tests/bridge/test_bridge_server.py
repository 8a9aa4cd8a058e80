"""The bridge inside a real redis-server: loading, persistence, propagation, safety."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import redis

from ferrite_host.testing.bridge_process import RedisBridgeProcess

pytestmark = pytest.mark.timeout(120)


def test_the_bundled_modules_load_under_their_own_names(rb: redis.Redis) -> None:
    entries = [
        dict(zip(e[::2], e[1::2], strict=True)) for e in rb.execute_command("MODULE", "LIST")
    ]
    listed = {entry[b"name"]: entry[b"ver"] for entry in entries}
    assert listed == {b"hello": 1, b"hellotype": 1, b"bf": 20612}


def test_commands_reach_python_and_redis_builtins_see_their_writes(rb: redis.Redis) -> None:
    assert rb.execute_command("hellotype.insert", "k", 5) == 1
    assert rb.execute_command("hellotype.insert", "k", -1) == 2
    assert rb.execute_command("hellotype.range", "k", 0, 10) == [-1, 5]
    assert rb.type("k") == b"hellotype"
    assert rb.execute_command("hello.push.call", "list", "a") == 1
    assert rb.lrange("list", 0, -1) == [b"a"]
    rb.set("s", "MiXed")
    assert rb.execute_command("hello.toggle.case", "s") == b"OK"
    assert rb.get("s") == b"mIxED"


def test_module_commands_run_inside_multi_and_lua(rb: redis.Redis) -> None:
    pipe = rb.pipeline(transaction=True)
    pipe.execute_command("hellotype.insert", "k", 3)
    pipe.execute_command("hellotype.len", "k")
    assert pipe.execute() == [1, 1]
    script = "return redis.call('hellotype.insert', KEYS[1], ARGV[1])"
    assert rb.eval(script, 1, "k", 9) == 2


def test_module_values_survive_debug_reload_dump_restore_and_digest(rb: redis.Redis) -> None:
    for number in (4, 2, 8):
        rb.execute_command("hellotype.insert", "k", number)
    rb.bf().add("f", "apple")
    digest = rb.execute_command("DEBUG", "DIGEST-VALUE", "k")
    assert rb.execute_command("DEBUG", "RELOAD") == b"OK"
    assert rb.execute_command("hellotype.range", "k", 0, 10) == [2, 4, 8]
    assert rb.bf().exists("f", "apple") == 1
    assert rb.execute_command("DEBUG", "DIGEST-VALUE", "k") == digest
    dumped = rb.dump("k")
    rb.restore("copy", 0, dumped)
    assert rb.execute_command("hellotype.range", "copy", 0, 10) == [2, 4, 8]
    assert rb.memory_usage("k") is not None


def test_copy_without_a_copy_callback_is_refused_as_redis_does(rb: redis.Redis) -> None:
    rb.execute_command("hellotype.insert", "k", 1)
    with pytest.raises(redis.ResponseError, match="not supported for this module key"):
        rb.copy("k", "k2")


def test_bgsave_forks_with_python_inside(bridge_server: RedisBridgeProcess, rb: redis.Redis):
    for number in range(50):
        rb.execute_command("hellotype.insert", "k", number)
    before = rb.lastsave()
    rb.bgsave()
    for _ in range(200):
        if rb.info("persistence")["rdb_bgsave_in_progress"] == 0 and rb.lastsave() != before:
            break
        time.sleep(0.05)
    assert rb.info("persistence")["rdb_last_bgsave_status"] == "ok"
    assert rb.execute_command("hellotype.len", "k") == 50


def test_flushall_async_frees_values_off_the_main_thread(rb: redis.Redis) -> None:
    for key in range(100):
        rb.execute_command("hellotype.insert", f"k{key}", key)
    assert rb.flushall(asynchronous=True)
    assert rb.dbsize() == 0
    assert rb.execute_command("hellotype.insert", "k", 1) == 1


def test_lazy_frees_finish_while_python_commands_keep_running(rb: redis.Redis) -> None:
    """The main thread keeps the GIL for a whole event-loop iteration: a lazy free (Redis's
    background thread calling the type's free) waits for the iteration's end, never for
    good, even with Python commands pipelined right behind the FLUSHALL ASYNC."""
    for key in range(200):
        rb.execute_command("hellotype.insert", f"k{key}", key)
    pipe = rb.pipeline(transaction=False)
    pipe.flushall(asynchronous=True)
    for number in range(200):
        pipe.execute_command("hello.simple")
        pipe.execute_command("hellotype.insert", "after", number)
    replies = pipe.execute()
    assert replies[0] is True and replies[1::2] == [0] * 200
    for _ in range(100):
        if rb.info("memory")["lazyfree_pending_objects"] == 0:
            break
        time.sleep(0.05)
    assert rb.info("memory")["lazyfree_pending_objects"] == 0
    assert rb.execute_command("hellotype.len", "after") == 200


def test_module_unload_is_refused_with_the_reason_in_the_log(
    bridge_server: RedisBridgeProcess, rb: redis.Redis
) -> None:
    with pytest.raises(redis.ResponseError, match="Error unloading module"):
        rb.execute_command("MODULE", "UNLOAD", "hello")
    assert "MODULE UNLOAD refused" in bridge_server.log()
    assert rb.execute_command("hello.simple") == 0


def test_a_module_that_cannot_load_leaves_redis_serving(
    bridge_server: RedisBridgeProcess, rb: redis.Redis
) -> None:
    with pytest.raises(redis.ResponseError, match="Error loading the extension"):
        rb.execute_command(
            "MODULE", "LOAD", str(bridge_server.bridge), "no-such-entry-point", "arg"
        )
    assert "no installed module has the entry point 'no-such-entry-point'" in bridge_server.log()
    with pytest.raises(redis.ResponseError, match="Error loading the extension"):
        rb.execute_command("MODULE", "LOAD", str(bridge_server.bridge), "hello")
    assert "module entry point 'hello' is already loaded" in bridge_server.log()
    assert rb.ping()
    assert rb.execute_command("hello.simple") == 0


def test_a_write_that_asked_for_nothing_is_replicated_verbatim(
    bridge_so: Path, tmp_path: Path
) -> None:
    """HELLO.MORE.EXPIRE changes a TTL through the key API and never calls Replicate:
    Ferrite's rule puts it in the AOF as sent; a read-only call stays out."""
    with RedisBridgeProcess(
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        modules=["hello"],
        bridge=bridge_so,
        directory=tmp_path,
    ) as server:
        client = server.client()
        client.set("k", "v", px=10_000)
        client.execute_command("hello.more.expire", "k", 5000)
        client.execute_command("hello.leftpad", "x", 3, "-")
        client.close()
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*.aof") if p.is_file())
    assert b"hello.more.expire" in written
    assert b"hello.leftpad" not in written


def test_values_survive_save_and_restart(bridge_so: Path, tmp_path: Path) -> None:
    first = RedisBridgeProcess(modules=["hellotype", "bloom"], bridge=bridge_so, directory=tmp_path)
    with first as server:
        client = server.client()
        for number in (3, 1, 2):
            client.execute_command("hellotype.insert", "k", number)
        client.bf().madd("f", "a", "b")
        client.cms().initbydim("c", 100, 4)
        client.cms().incrby("c", ["x"], [7])
        assert client.save()
        client.close()
    with RedisBridgeProcess(
        modules=["hellotype", "bloom"], bridge=bridge_so, directory=tmp_path
    ) as again:
        client = again.client()
        assert client.execute_command("hellotype.range", "k", 0, 10) == [1, 2, 3]
        assert client.bf().mexists("f", "a", "b", "z") == [1, 1, 0]
        assert client.cms().query("c", "x") == [7]
        client.close()


def test_redis_keeps_its_own_signal_handlers(bridge_so: Path, tmp_path: Path) -> None:
    """No Python handler for SIGINT: Redis's shuts the server down as usual."""
    server = RedisBridgeProcess(modules=["hello"], bridge=bridge_so, directory=tmp_path)
    server.start()
    try:
        assert server.stop(signal.SIGINT) == 0
        assert "Received SIGINT scheduling shutdown" in server.log()
    finally:
        server.cleanup()


def test_the_python_heap_counts_in_used_memory(rb: redis.Redis, reference_redis) -> None:  # type: ignore[no-untyped-def]
    """Python's allocations go through RedisModule_Alloc, so maxmemory sees them: the
    interpreter alone (several MiB) shows in used_memory, unlike in a plain redis-server."""
    plain = redis.Redis(port=reference_redis(), protocol=2)
    baseline = int(plain.info("memory")["used_memory"])
    plain.close()
    assert int(rb.info("memory")["used_memory"]) > baseline + 5 * 1024 * 1024
