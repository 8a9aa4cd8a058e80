"""The dispatcher: `execute(session, argv) -> reply`, the seam every caller goes through.

Clients, EXEC, `ctx.call` from modules and append-only-file replay all run commands here, so
lookup, arity, authentication, queueing, statistics and propagation happen in one place.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.protocol.replies import QUEUED, Error

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

#: Commands that run immediately even inside MULTI.
_TX_CONTROL = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})


class Dispatcher:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._table = state.commands
        #: The table's own dict lookup, bound once: one Python call less per command.
        self._lookup = state.commands.get_function()
        #: This server's counters by spec (specs are shared, counters are not).
        self._stats = state.commands.stats
        self._perf = time.perf_counter
        state.oversight.call_code = Dispatcher.call.__code__
        state.pause.resolve = self.resolve

    def resolve(self, argv: list[bytes]) -> CommandSpec | Error:
        """The spec that will run `argv` (subcommands included), or the error to answer."""
        spec = self._lookup(argv[0].lower())
        if spec is None:
            return Error(errors.unknown_command(argv))
        if spec.subcommands and len(argv) > 1:
            # Alone, a container runs itself when its arity allows (COMMAND), as in Redis.
            sub = spec.subcommands.get(argv[1].decode("utf-8", "replace").lower())
            if sub is None:
                return Error(errors.unknown_subcommand(spec.name, argv[1]))
            spec = sub
        arity, argc = spec.arity, len(argv)
        if (argc != arity if arity >= 0 else argc < -arity) or spec.handler is None:
            return Error(errors.wrong_arity(spec.full_name))
        return spec

    def execute(self, session: Session, argv: list[bytes], internal: bool = False) -> Any:
        """Run one command for `session` and return its reply value."""
        state = self.state
        command_filter = state.command_filter
        if command_filter is not None:
            argv = command_filter(session, argv)
            if not argv:
                return Error("ERR a command filter removed every argument of the command")
        resolved = self.resolve(argv)
        if type(resolved) is Error:
            if session.in_multi and not internal:
                session.multi_failed = True
            state.record_error(resolved)
            return resolved
        spec: CommandSpec = resolved  # type: ignore[assignment]
        if not internal:
            if not session.authenticated and state.auth_required and not spec.no_auth:
                return self._reject(spec, errors.NOAUTH, session)
            # ACL first, then maxmemory (evict, or -OOM), then the session's own gate (RESP2
            # subscribed mode), as Redis orders them.
            check, gate, memory = state.access_check, session.command_gate, state.memory_guard
            refusal = check(session, spec, argv) if check is not None else None
            if refusal is None and memory is not None:
                refusal = memory(session, spec)
            if refusal is None and gate is not None:
                refusal = gate(session, spec)
            if refusal is not None:
                if session.in_multi:
                    session.multi_failed = True
                return self._reject(spec, refusal, session)
            if state.pause.mode is not None and state.pause.holds(session, spec, argv):
                return self._postpone(session, spec, argv)
            if session.in_multi and spec.name not in _TX_CONTROL:
                return self._queue(session, spec, argv)
        return self.call(session, spec, argv, internal)

    def _postpone(self, session: Session, spec: CommandSpec, argv: list[bytes]) -> Any:
        """CLIENT PAUSE holds this command: the client waits, its command runs later."""
        session.last_command = spec.full_name
        postpone = self.state.pause.postpone
        assert postpone is not None  # `holds` is False until the blocking layer installs it
        return postpone(session, argv)

    def _queue(self, session: Session, spec: CommandSpec, argv: list[bytes]) -> Any:
        if "no_multi" in spec.flags:
            session.multi_failed = True
            return self._reject(spec, "ERR Command not allowed inside a transaction")
        session.multi_queue.append(argv)
        return QUEUED

    def call(
        self, session: Session, spec: CommandSpec, argv: list[bytes], internal: bool = False
    ) -> Any:
        """Run an already resolved command: the handler, stats and propagation."""
        state = self.state
        dirty = state.dirty
        session.propagation = None
        if not internal:
            session.last_command = spec.full_name  # before the call, as CLIENT LIST shows it
        oversight = state.oversight
        if oversight.monitors.writers:
            oversight.before(session, spec, argv)
        perf = self._perf
        start = perf()  # the watchdog reads spec, session and start from this frame
        try:
            reply = spec.handler(session, argv)  # type: ignore[misc]
        except CommandError as exc:
            reply = Error(exc.message)
        except Exception as exc:  # a bug must not take the connection or server down
            log.exception("command %s failed", spec.full_name)
            reply = Error(f"ERR internal error in '{spec.full_name}': {type(exc).__name__}: {exc}")
        elapsed = perf() - start
        counters = self._stats[spec]
        counters.seconds += elapsed
        if (elapsed >= oversight.threshold or oversight.monitors.writers) and not state.loading:
            oversight.after(session, spec, argv, elapsed)
        counters.calls += 1
        observer = session.command_observer
        if observer is not None:
            observer(session, spec, argv)
        state.stats.total_commands += 1  # as Redis: executed commands only, counted when done
        if type(reply) is Error:
            counters.failed_calls += 1
            state.record_error(reply)
        if not internal and (
            session.propagation is not None or (spec.is_write and state.dirty != dirty)
        ):
            self._propagate(session, argv)
        return reply

    def _propagate(self, session: Session, argv: list[bytes]) -> None:
        """Send what the command propagates: its argv, or what it asked for instead (maybe
        nothing). Two or more commands go as one MULTI ... EXEC, as Redis wraps what one
        command propagates; inside EXEC or a script they join that block instead."""
        asked = session.propagation
        session.propagation = None
        self.send_propagation(session, [argv] if asked is None else asked)

    def send_propagation(self, session: Session, commands: list[list[bytes]]) -> None:
        """Propagate what `session` did (a command, or work finished later such as a
        module timer) under Redis's rule: two or more commands as one MULTI ... EXEC."""
        if not commands:
            return
        if session.in_exec:
            session.tx_propagation.extend((session.db_index, cmd) for cmd in commands)
        elif self.state.propagation_sinks:
            if len(commands) > 1:
                commands = [[b"MULTI"], *commands, [b"EXEC"]]
            self.state.propagate(session.db_index, commands)

    def refuse(self, session: Session, spec: CommandSpec, message: str) -> Error:
        """Refuse a command before it runs or is queued (e.g. -BUSY while a script runs): as
        Redis's rejectCommand, a transaction in progress is flagged to fail at EXEC."""
        if session.in_multi:
            session.multi_failed = True
        return self._reject(spec, message, session)

    def _reject(self, spec: CommandSpec, message: str, session: Session | None = None) -> Error:
        if spec.name == "exec" and session is not None:
            # As Redis: a refused EXEC ends the transaction and says so.
            session.abort_transaction()
            message = "EXECABORT Transaction discarded because of: " + message.removeprefix("ERR ")
        self._stats[spec].rejected_calls += 1
        self.state.record_error(message)
        return Error(message)
