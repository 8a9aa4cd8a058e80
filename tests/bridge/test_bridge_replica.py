"""A replica loading the same modules: full sync of module values, then the command stream."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ferrite_host.testing.bridge_process import RedisBridgeProcess

pytestmark = pytest.mark.timeout(120)


def _wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the replica did not catch up")
        time.sleep(0.05)


def test_module_values_reach_a_replica(bridge_so: Path, tmp_path: Path) -> None:
    modules = ["hello", "hellotype", "bloom"]
    master = RedisBridgeProcess(modules=modules, bridge=bridge_so, directory=tmp_path / "m")
    (tmp_path / "m").mkdir()
    (tmp_path / "r").mkdir()
    with master:
        primary = master.client()
        for number in (5, 1, 3):
            primary.execute_command("hellotype.insert", "before", number)
        primary.bf().add("f", "apple")
        replica = RedisBridgeProcess(
            "--replicaof",
            "127.0.0.1",
            str(master.port),
            modules=modules,
            bridge=bridge_so,
            directory=tmp_path / "r",
        )
        with replica:
            secondary = replica.client()
            _wait_for(lambda: secondary.info("replication")["master_link_status"] == "up")
            assert secondary.execute_command("hellotype.range", "before", 0, 10) == [1, 3, 5]
            assert secondary.bf().exists("f", "apple") == 1
            # After the sync: verbatim propagation (HELLOTYPE.INSERT asks for it, and
            # HELLO.MORE.EXPIRE changes a TTL asking for nothing) and HELLO.REPL1's stream.
            primary.execute_command("hellotype.insert", "after", 9)
            primary.set("ttl", "v", px=100_000)
            primary.execute_command("hello.more.expire", "ttl", 100_000)
            primary.execute_command("hello.repl1")
            primary.wait(1, 5000)
            assert secondary.execute_command("hellotype.range", "after", 0, 10) == [9]
            assert secondary.pttl("ttl") > 150_000
            assert secondary.mget("foo", "bar") == [b"1", b"1"]
            secondary.close()
        primary.close()
