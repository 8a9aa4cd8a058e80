"""RM_GetContextFlags, RM_KeyExists, RM_GetSelectedDb, RM_GetClientId, RM_Milliseconds,
RM_GetRandomBytes and RM_GetUsedMemoryRatio through a real module command."""

from __future__ import annotations

import time
from typing import Any

from ferrite_host.redis_module import RedisModule
from ferrite_host.redis_module.api import ContextFlag, RedisModuleCtx, Status
from ferrite_host.redis_module.commands import ModuleCommand
from ferrite_host.testing import Harness


class Asker:
    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def module_info(self) -> dict[str, object]:
        return {"name": "asker", "version": 1}

    def on_load(self, module: RedisModule, args: list[str]) -> Status:
        return module.register_command(ModuleCommand("asker.ask", self.ask, "readonly"))

    def ask(self, ctx: RedisModuleCtx, args: list[Any]) -> Status:
        self.seen = {
            "flags": ctx.get_context_flags(),
            "exists": ctx.key_exists(args[0]),
            "db": ctx.get_selected_db(),
            "id": ctx.get_client_id(),
            "ms": ctx.milliseconds(),
            "random": ctx.get_random_bytes(16),
            "ratio": ctx.get_used_memory_ratio(),
        }
        return ctx.reply_with_simple_string("OK")


def test_context_queries() -> None:
    asker = Asker()
    with Harness(asker, protocol=3) as harness:
        harness.call("SET", "k", "v")
        hits = harness.state.keyspace.hits, harness.state.keyspace.misses
        harness.call("ASKER.ASK", "k")
        assert (harness.state.keyspace.hits, harness.state.keyspace.misses) == hits
        seen = asker.seen
        assert seen["exists"] is True and seen["db"] == 0
        assert seen["id"] == harness.session.id
        assert abs(seen["ms"] - time.time() * 1000) < 5000
        assert len(seen["random"]) == 16 and seen["ratio"] == 0.0
        assert seen["flags"] & ContextFlag.MASTER and seen["flags"] & ContextFlag.RESP3
        assert not seen["flags"] & ContextFlag.MULTI
        harness.call("SELECT", "2")
        harness.call("MULTI")
        harness.call("ASKER.ASK", "k")
        harness.call("EXEC")
        assert asker.seen["exists"] is False and asker.seen["db"] == 2
        assert asker.seen["flags"] & ContextFlag.MULTI
