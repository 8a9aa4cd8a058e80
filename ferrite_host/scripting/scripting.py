"""The scripting subsystem: the server's one handle on Lua, reached as Scripting.of(state).

It owns the EVAL engine and script cache, the function libraries, and the script running
right now; the commands (EVAL*, SCRIPT, FUNCTION, FCALL*) are thin layers over it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.core.errors import CommandError
from ferrite_host.core.eviction import OOM_ERROR
from ferrite_host.scripting.cache import CachedScript, ScriptCache, sha1_hex
from ferrite_host.scripting.conversion import is_table, lua_to_reply
from ferrite_host.scripting.engine import LuaEngine
from ferrite_host.scripting.flags import ScriptFlags, split_shebang
from ferrite_host.scripting.run import ScriptRun
from ferrite_host.scripting.sandbox import CompileError

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState
    from ferrite_host.scripting.functions import FunctionLibraries

log = logging.getLogger("ferrite")

NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
NOTBUSY = "NOTBUSY No scripts in execution right now."
UNKILLABLE = (
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
    "can either wait the script termination or kill the server in a hard way using the "
    "SHUTDOWN NOSAVE command."
)
RO_WITH_WRITE_FLAG = "ERR Can not execute a script with write flag using *_ro command."

#: Called from inside a running script once it ran past busy-reply-threshold, every few
#: thousand Lua instructions, with the run. The network layer plugs its busy pump in here:
#: it should read other clients' input, answer them -BUSY (SCRIPT KILL, FUNCTION KILL and
#: SHUTDOWN NOSAVE excepted, which it runs) and return. None = no pump installed yet.
BusyPump = Callable[[ScriptRun], None]


class Scripting:
    def __init__(self, state: ServerState) -> None:
        from ferrite_host.scripting.functions import FunctionLibraries

        self.state = state
        #: The script running now (there is at most one: scripts are atomic).
        self.current: ScriptRun | None = None
        self.cache = ScriptCache()
        self._eval_engine: LuaEngine | None = None
        self.functions: FunctionLibraries = FunctionLibraries(self)
        self.busy_pump: BusyPump | None = None
        state.pause.script_no_writes = self.declares_no_writes

    @classmethod
    def of(cls, state: ServerState) -> Scripting:
        """The scripting subsystem of `state`, installed on first use (it needs no files or
        start-up work, so every server has one)."""
        found = state.subsystems.get(cls)
        if found is None:
            found = state.subsystems.install(cls(state))
        return found

    def declares_no_writes(self, command: str, argv: list[bytes]) -> bool:
        """Whether EVAL/EVALSHA/FCALL `argv` runs a script or function that declared
        `no-writes` (a script without a shebang keeps its command's flags, as in Redis)."""
        if len(argv) < 2:
            return False
        if command == "fcall":
            function = self.functions.functions.get(argv[1].decode("utf-8", "replace").lower())
            return function is not None and function.flags.no_writes
        if command == "evalsha":
            cached = self.cache.get(argv[1].decode("utf-8", "replace").lower())
            flags = cached.flags if cached is not None else None
        else:
            try:
                flags = split_shebang(argv[1])[0]
            except CommandError:
                return False  # EVAL will answer the shebang's error when it runs
        return flags is not None and flags.shebang and flags.no_writes

    # -- EVAL ------------------------------------------------------------------------------

    @property
    def eval_engine(self) -> LuaEngine:
        if self._eval_engine is None:
            self._eval_engine = LuaEngine(self.state, "user_script", self.running)
        return self._eval_engine

    def running(self) -> ScriptRun | None:
        return self.current

    def load_script(self, body: bytes) -> CachedScript:
        """Compile and cache an EVAL body (SCRIPT LOAD, or EVAL of a new body)."""
        sha = sha1_hex(body)
        cached = self.cache.get(sha)
        if cached is not None:
            return cached
        flags, code = split_shebang(body)
        try:
            function = self.eval_engine.compile(code)
        except CompileError as exc:
            raise CommandError(f"ERR Error compiling script (new function): {exc}") from None
        script = CachedScript(sha, body, flags, function)
        self.cache.add(script)
        return script

    def flush_scripts(self) -> None:
        """SCRIPT FLUSH: forget every script, and start a fresh Lua state as Redis does."""
        self.cache.clear()
        self._eval_engine = None

    def eval(
        self,
        caller: Session,
        script: CachedScript,
        keys: list[bytes],
        args: list[bytes],
        read_only: bool,
        command: list[bytes],
    ) -> Any:
        engine = self.eval_engine
        env = engine.sandbox.env
        table_from = engine.sandbox.runtime.table_from
        env[b"KEYS"] = table_from(keys)
        env[b"ARGV"] = table_from(args)
        return self.execute(
            caller, engine, script.function, (), script.sha, script.flags, read_only, False, command
        )

    # -- running ---------------------------------------------------------------------------

    def execute(
        self,
        caller: Session,
        engine: LuaEngine,
        function: Any,
        call_args: tuple[Any, ...],
        name: str,
        flags: ScriptFlags,
        read_only: bool,
        is_function: bool,
        command: list[bytes],
    ) -> Any:
        """Run one script or function atomically; its writes propagate as its effects."""
        run = ScriptRun(caller, name, flags, read_only, is_function, command)
        if run.oom_at_start and flags.refused_over_maxmemory:
            raise CommandError(OOM_ERROR)
        if read_only and flags.shebang and not flags.no_writes:
            raise CommandError(RO_WITH_WRITE_FLAG)
        self.current = run
        try:
            ok, value = engine.run(function, call_args, lambda: self._check(run))
            reply = (
                lua_to_reply(value, run.resp, engine.table_reader)
                if ok
                else _error_reply(value, name)
            )
        finally:
            self.current = None
        self._propagate(caller, run)
        return reply

    def _check(self, run: ScriptRun) -> bytes | None:
        """The instruction hook's question: may the script go on? (None = yes)."""
        if run.kill_requested:
            return run.kill_message()
        if not run.busy and run.elapsed_ms() >= self.busy_threshold_ms():
            run.busy = True
            log.warning(
                "Slow script detected: still in execution after %d milliseconds. "
                "You can try killing the script using the %s command. Script name is: %s.",
                run.elapsed_ms(),
                "FUNCTION KILL" if run.is_function else "SCRIPT KILL",
                run.name,
            )
        if run.busy:
            self._pump(run)
        return run.kill_message() if run.kill_requested else None

    def _pump(self, run: ScriptRun) -> None:
        """Serve other clients while the script is busy: a pump set here (tests) first,
        else the network layer's (`state.event_pump`), which answers them -BUSY."""
        if self.busy_pump is not None:
            self.busy_pump(run)
        elif self.state.event_pump is not None:
            self.state.event_pump(run.busy_error())

    def busy_threshold_ms(self) -> int:
        return int(getattr(self.state.settings, "busy_reply_threshold", 5000))

    def _propagate(self, caller: Session, run: ScriptRun) -> None:
        effects = run.effects()
        if not effects:
            return
        if caller.in_exec:
            caller.tx_propagation.extend(effects)
        else:
            self.state.propagate(*effects_block(effects))

    def kill(self, functions: bool) -> None:
        """SCRIPT KILL / FUNCTION KILL: ask the running script to stop at its next hook."""
        run = self.current
        if run is None:
            raise CommandError(NOTBUSY)
        if run.wrote:
            raise CommandError(UNKILLABLE)
        if run.is_function != functions:
            raise CommandError(run.busy_error())  # the other KILL is the one to use
        run.kill_requested = True


def effects_block(effects: list[tuple[int, list[bytes]]]) -> tuple[int, list[list[bytes]]]:
    """What a group of writes propagates, as Redis 7.0's propagatePendingCommands: one write
    alone; two or more as MULTI (in the first write's database, so its SELECT comes first),
    the writes with SELECT where the database changes, EXEC. Returns (first db, commands)."""
    first_db = effects[0][0]
    if len(effects) == 1:
        return first_db, [effects[0][1]]
    block: list[list[bytes]] = [[b"MULTI"]]
    current = first_db
    for db, argv in effects:
        if db != current:
            block.append([b"SELECT", b"%d" % db])
            current = db
        block.append(argv)
    block.append([b"EXEC"])
    return first_db, block


def _error_reply(value: Any, name: str) -> Any:
    """A script that raised: Redis's `<error> script: <name>, on <source>:<line>.`"""
    from ferrite_host.protocol.replies import Error

    if not is_table(value):
        return Error("ERR " + _text(value))
    err, source, line = value[b"err"], value[b"source"], value[b"line"]
    message = _text(err) if isinstance(err, bytes) else "ERR unknown error"
    message = message.replace("\r", " ").replace("\n", " ")
    if isinstance(source, bytes) and line is not None:
        return Error(f"{message} script: {name}, on {_text(source)}:{int(line)}.")
    return Error(message)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)
