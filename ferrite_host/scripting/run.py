"""One script execution: who called, what it may do, what it did, whether to stop it."""

from __future__ import annotations

import time

from ferrite_host.core.eviction import Eviction
from ferrite_host.core.session import Session
from ferrite_host.scripting.flags import ScriptFlags

KILLED = b"Script killed by user with SCRIPT KILL..."
#: Redis says SCRIPT KILL for functions too.
KILLED_FUNCTION = KILLED
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = (
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)


class ScriptRun:
    """The state of the script (EVAL body or function) being executed right now.

    `session` is the script's own client: it starts on the caller's database and collects
    the write commands the script runs (the dispatcher records them as it does inside
    EXEC), which are then propagated as the script's effects.
    """

    def __init__(
        self,
        caller: Session,
        name: str,
        flags: ScriptFlags,
        read_only: bool,
        is_function: bool,
        command: list[bytes],
    ) -> None:
        state = caller.state
        self.caller = caller
        self.name = name
        self.flags = flags
        self.read_only = read_only or flags.no_writes
        self.is_function = is_function
        #: The caller's command line (FUNCTION STATS shows it).
        self.command = list(command)
        # Not through state.new_session: the script's client takes no client id and is not
        # listed (CLIENT LIST), like Redis's Lua client.
        self.session = Session(state, 0, caller.addr, caller.laddr, kind="lua")
        self.session.authenticated = True
        self.session.user = caller.user  # its calls are checked (and refused) as the caller's
        self.session.select(caller.db_index)
        self.session.in_exec = True  # collect the propagated writes instead of sending them
        self.session.tx_propagation = []
        self.start_db = caller.db_index
        self.resp = 2
        #: redis.set_repl flags: where the script's writes propagate (REPL_ALL by default).
        self.replicate = 3
        self.started = time.monotonic()
        self.wrote = False
        #: Redis's SCRIPT_WRITE_DIRTY: a write command ran (even one that changed nothing),
        #: so the script may no longer be stopped for maxmemory.
        self.called_write = False
        eviction = Eviction.of(state)
        #: Memory was over maxmemory when the command that runs the script began (replay
        #: and other internal callers are never refused).
        self.oom_at_start = (
            eviction is not None
            and bool(state.settings.maxmemory)
            and eviction.oom_before_command
            and caller.kind == "normal"
        )
        self.kill_requested = False
        self.busy = False

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def effects(self) -> list[tuple[int, list[bytes]]]:
        return self.session.tx_propagation

    def busy_error(self) -> str:
        """What other clients get while this script is busy (the network pump answers it)."""
        return BUSY_FUNCTION if self.is_function else BUSY_EVAL

    def kill_message(self) -> bytes:
        return KILLED_FUNCTION if self.is_function else KILLED
