"""maxmemory as modules see it: values' mem_usage in used_memory, `free` on eviction,
deny-oom module commands refused, RM_GetLRU/SetLRU/GetLFU/SetLFU, the MAXMEMORY, EVICT,
OOM and OOM_WARNING context flags, RM_GetUsedMemoryRatio and ctx.call's `M` flag."""

from __future__ import annotations

from typing import Any

import pytest

from ferrite_host.core.memory_usage import used_memory
from ferrite_host.redis_module import RedisModule
from ferrite_host.redis_module.api import (
    ContextFlag,
    KeyMode,
    RedisModuleCtx,
    Status,
)
from ferrite_host.redis_module.commands import ModuleCommand
from ferrite_host.redis_module.types import RedisModuleType, RedisModuleTypeDef, TypeMethods
from ferrite_host.testing import Harness
from ferrite_host.testing.harness import ReplyError

OOM = "OOM command not allowed when used memory > 'maxmemory'."


class Blobs:
    """A module type whose values report their size and whose frees are recorded."""

    def __init__(self) -> None:
        self.freed: list[bytes] = []
        self.seen: dict[str, Any] = {}
        self.type: RedisModuleType | None = None

    def module_info(self) -> dict[str, object]:
        return {"name": "blobs", "version": 1}

    def on_load(self, module: RedisModule, args: list[str]) -> Status:
        methods = TypeMethods(mem_usage=lambda v: len(v) * 10, free=self.freed.append)
        self.type = module.register_type(RedisModuleTypeDef("blobtype1", 0, methods))
        for command in (
            ModuleCommand("blob.set", self.set, "write deny-oom").with_keys(1, 1, 1),
            ModuleCommand("blob.access", self.access, "write").with_keys(1, 1, 1),
            ModuleCommand("blob.ask", self.ask, "readonly"),
            ModuleCommand("blob.call", self.call, "write"),
        ):
            module.register_command(command)
        return Status.OK

    def set(self, ctx: RedisModuleCtx, args: list[Any]) -> Status:
        key = ctx.open_key(args[0], KeyMode.WRITE)
        assert key is not None and self.type is not None
        key.module_type_set_value(self.type, bytes(args[1]))
        return ctx.reply_with_simple_string("OK")

    def access(self, ctx: RedisModuleCtx, args: list[Any]) -> Status:
        key = ctx.open_key(args[0], KeyMode.WRITE)
        assert key is not None
        what, amount = bytes(args[1]), int(args[2])
        if what == b"setlru":
            status = key.set_lru(amount)
        elif what == b"setlfu":
            status = key.set_lfu(amount)
        else:
            status = Status.OK
        self.seen = {"status": status, "lru": key.get_lru(), "lfu": key.get_lfu()}
        return ctx.reply_with_simple_string("OK")

    def ask(self, ctx: RedisModuleCtx, args: list[Any]) -> Status:
        self.seen = {"flags": ctx.get_context_flags(), "ratio": ctx.get_used_memory_ratio()}
        return ctx.reply_with_simple_string("OK")

    def call(self, ctx: RedisModuleCtx, args: list[Any]) -> Status:
        return ctx.reply_with_call_reply(ctx.call("SET", "from-module", "v", flags="M"))


@pytest.fixture
def blobs() -> Blobs:
    return Blobs()


def test_mem_usage_counts_and_free_runs_on_eviction(blobs: Blobs) -> None:
    with Harness(blobs) as harness:
        state = harness.state
        before = used_memory(state.keyspace)
        harness.call("BLOB.SET", "b0", b"z" * 1000)
        assert used_memory(state.keyspace) - before > 10_000  # the type's own estimate
        harness.call("CONFIG", "SET", "maxmemory", str(before + 100_000))
        harness.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random")
        for i in range(1, 40):
            harness.call("BLOB.SET", f"b{i}", b"z" * 1000)
            assert used_memory(state.keyspace) <= before + 100_000 + 11_000
        left = harness.call("DBSIZE")  # which may evict once more, before it counts
        evicted = state.stats.evicted_keys
        assert evicted > 0 and len(blobs.freed) == evicted and left == 40 - evicted


def test_deny_oom_module_command_refused(blobs: Blobs) -> None:
    with Harness(blobs) as harness:
        harness.call("CONFIG", "SET", "maxmemory", "1")
        with pytest.raises(ReplyError) as refused:
            harness.call("BLOB.SET", "b", "v")
        assert str(refused.value) == OOM
        assert harness.call("BLOB.ASK") == b"OK"  # not deny-oom


def test_call_flag_m_refuses_over_maxmemory(blobs: Blobs) -> None:
    with Harness(blobs) as harness:
        assert harness.call("BLOB.CALL") == b"OK"
        harness.call("CONFIG", "SET", "maxmemory", "1")
        with pytest.raises(ReplyError) as refused:
            harness.call("BLOB.CALL")
        assert str(refused.value) == OOM
        harness.call("CONFIG", "SET", "maxmemory", "0")
        assert harness.call("BLOB.CALL") == b"OK"


def test_context_flags_and_used_memory_ratio(blobs: Blobs) -> None:
    with Harness(blobs) as harness:
        harness.call("BLOB.ASK")
        flags = blobs.seen["flags"]
        assert not flags & (ContextFlag.MAXMEMORY | ContextFlag.EVICT | ContextFlag.OOM)
        assert blobs.seen["ratio"] == 0.0
        used = used_memory(harness.state.keyspace)
        harness.call("CONFIG", "SET", "maxmemory", str(used * 5 // 4))  # 80% full
        harness.call("BLOB.ASK")
        flags = blobs.seen["flags"]
        assert flags & ContextFlag.MAXMEMORY and flags & ContextFlag.OOM_WARNING
        assert not flags & (ContextFlag.EVICT | ContextFlag.OOM)
        assert 0.75 < blobs.seen["ratio"] < 0.85
        harness.call("CONFIG", "SET", "maxmemory", str(used // 2))
        harness.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        harness.call("BLOB.ASK")  # nothing to evict: stays over the limit
        flags = blobs.seen["flags"]
        assert flags & ContextFlag.OOM and flags & ContextFlag.EVICT
        assert blobs.seen["ratio"] > 1.0


def test_lru_and_lfu_of_a_key(blobs: Blobs) -> None:
    with Harness(blobs) as harness:
        harness.call("SET", "k", "v")
        harness.call("BLOB.ACCESS", "k", "setlru", 50_000)
        assert blobs.seen["status"] == Status.OK
        assert blobs.seen["lru"] == (Status.OK, 50_000)
        assert blobs.seen["lfu"] == (Status.OK, -1)  # LRU policy: no frequency
        assert harness.call("OBJECT", "IDLETIME", "k") == 50
        harness.call("BLOB.ACCESS", "k", "setlfu", 7)
        assert blobs.seen["status"] == Status.ERR  # not under an LFU policy
        harness.call("CONFIG", "SET", "maxmemory-policy", "volatile-lfu")
        harness.call("BLOB.ACCESS", "k", "setlfu", 42)
        assert blobs.seen["status"] == Status.OK
        assert blobs.seen["lfu"] == (Status.OK, 42) and blobs.seen["lru"] == (Status.OK, -1)
        assert harness.call("OBJECT", "FREQ", "k") == 42
        harness.call("BLOB.ACCESS", "k", "setlru", 10)
        assert blobs.seen["status"] == Status.ERR
        harness.call("BLOB.ACCESS", "missing", "get", 0)
        assert blobs.seen["lru"] == (Status.ERR, -1) and blobs.seen["lfu"] == (Status.ERR, -1)
