"""A Lua engine: one sandboxed state with the `redis` table and Redis's libraries.

EVAL scripts and FUNCTION libraries each get their own engine (Redis keeps them in separate
Lua states too), so flushing one never disturbs the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.scripting.conversion import LuaTableReader
from ferrite_host.scripting.lualibs import install_libraries
from ferrite_host.scripting.random import RedisRandom
from ferrite_host.scripting.redis_api import RedisApi
from ferrite_host.scripting.sandbox import LuaSandbox

if TYPE_CHECKING:
    from ferrite_host.core.state import ServerState
    from ferrite_host.scripting.run import ScriptRun

#: Lua instructions between two looks at the clock (and at SCRIPT KILL).
HOOK_EVERY = 100_000


class LuaEngine:
    def __init__(
        self, state: ServerState, chunkname: str, current: Callable[[], ScriptRun | None]
    ) -> None:
        self.sandbox = LuaSandbox(chunkname)
        self.table_reader = LuaTableReader(self.sandbox.runtime)
        self.api = RedisApi(state, self.sandbox, current)
        self.redis_table = self.api.runtime_table()
        self.sandbox.env[b"redis"] = self.sandbox.readonly(self.redis_table)
        install_libraries(self.sandbox)
        RedisRandom().install(self.sandbox)

    def compile(self, code: bytes, env: Any = None) -> Any:
        return self.sandbox.compile(code, env=env)

    def run(
        self, function: Any, args: tuple[Any, ...], check: Callable[[], bytes | None]
    ) -> tuple[bool, Any]:
        """Call `function(*args)` with the instruction hook armed."""
        sandbox = self.sandbox
        running = [True]

        def hook_check() -> bytes | None:
            # Once the script returned, the hook (maybe firing at every instruction after a
            # kill) must let our own clean-up run.
            return check() if running[0] else None

        sandbox.set_hook(hook_check, HOOK_EVERY)
        try:
            return sandbox.run(function, *args)
        finally:
            running[0] = False
            sandbox.clear_hook()
