"""The `redis` table scripts see: call, pcall, replies, logging, protocol, replication."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host import REDIS_COMPAT_VERSION
from ferrite_host.core.eviction import OOM_ERROR
from ferrite_host.protocol.replies import Error
from ferrite_host.scripting.conversion import ReplyToLua, lua_number_text, lua_to_argument

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec
    from ferrite_host.core.state import ServerState
    from ferrite_host.scripting.run import ScriptRun
    from ferrite_host.scripting.sandbox import LuaSandbox

log = logging.getLogger("ferrite")

LOG_LEVELS = {0: logging.DEBUG, 1: 15, 2: logging.INFO, 3: logging.WARNING}
REPL_NONE, REPL_AOF, REPL_REPLICA, REPL_ALL = 0, 1, 2, 3

NO_ARGS = "ERR Please specify at least one argument for this redis lib call"
BAD_ARG = "ERR Lua redis lib command arguments must be strings or integers"
UNKNOWN = "ERR Unknown Redis command called from script"
WRONG_ARITY = "ERR Wrong number of args calling Redis command from script"
NOT_ALLOWED = "ERR This Redis command is not allowed from script"
READ_ONLY = "ERR Write commands are not allowed from read-only scripts."
#: The commands Redis 7.0 flags MAY_REPLICATE that a script can call: a read-only script
#: (EVAL_RO, FCALL_RO, no-writes) refuses them as writes.
MAY_REPLICATE = frozenset({"publish", "spublish", "pfcount"})
WRONG_ARGS = "ERR wrong number or type of arguments"


def version_number(version: str) -> int:
    major, minor, patch = (int(part) for part in version.split(".")[:3])
    return (major << 16) | (minor << 8) | patch


class RedisApi:
    """Builds the `redis` table for one sandbox; calls act on the running `ScriptRun`."""

    def __init__(
        self, state: ServerState, sandbox: LuaSandbox, current: Callable[[], ScriptRun | None]
    ) -> None:
        self.state = state
        self.sandbox = sandbox
        self.current = current
        self.to_lua = ReplyToLua(sandbox)

    def runtime_table(self) -> Any:
        """The full `redis` table of running scripts (as a real table, wrapped read-only)."""
        sb = self.sandbox
        table = sb.table()
        table[b"call"] = sb.raising_function(self.call)
        table[b"pcall"] = sb.function(self.pcall)
        table[b"error_reply"] = sb.function(self.error_reply)
        table[b"status_reply"] = sb.function(self.status_reply)
        table[b"sha1hex"] = sb.raising_function(self.sha1hex)
        table[b"log"] = sb.raising_function(self.log)
        table[b"setresp"] = sb.raising_function(self.setresp)
        table[b"set_repl"] = sb.raising_function(self.set_repl)
        table[b"replicate_commands"] = sb.function(lambda *args: True)
        table[b"breakpoint"] = sb.function(lambda *args: False)
        table[b"debug"] = sb.function(lambda *args: None)
        table[b"acl_check_cmd"] = sb.raising_function(self.acl_check_cmd)
        self.add_constants(table)
        return table

    def add_constants(self, table: Any) -> None:
        table[b"LOG_DEBUG"], table[b"LOG_VERBOSE"] = 0, 1
        table[b"LOG_NOTICE"], table[b"LOG_WARNING"] = 2, 3
        table[b"REPL_NONE"], table[b"REPL_AOF"] = REPL_NONE, REPL_AOF
        table[b"REPL_SLAVE"] = table[b"REPL_REPLICA"] = REPL_REPLICA
        table[b"REPL_ALL"] = REPL_ALL
        table[b"REDIS_VERSION"] = REDIS_COMPAT_VERSION.encode()
        table[b"REDIS_VERSION_NUM"] = version_number(REDIS_COMPAT_VERSION)

    # -- redis.call / redis.pcall ----------------------------------------------------------

    def call(self, *args: Any) -> tuple[bool, Any]:
        reply = self._execute(args)
        if type(reply) is Error:
            return False, self.to_lua.error(reply)
        return True, self.to_lua.convert(reply, self._resp())

    def pcall(self, *args: Any) -> Any:
        reply = self._execute(args)
        if type(reply) is Error:
            return self.to_lua.error(reply)
        return self.to_lua.convert(reply, self._resp())

    def _resp(self) -> int:
        run = self.current()
        return run.resp if run is not None else 2

    def _execute(self, args: tuple[Any, ...]) -> Any:
        """Run one command for the script, or the error Redis would answer."""
        run = self.current()
        if run is None:
            return Error(NOT_ALLOWED)
        if not args:
            return Error(NO_ARGS)
        argv: list[bytes] = []
        for value in args:
            arg = lua_to_argument(value)
            if arg is None:
                return Error(BAD_ARG)
            argv.append(arg)
        dispatcher = self.state.dispatcher
        spec = dispatcher.resolve(argv)
        if isinstance(spec, Error):
            return Error(WRONG_ARITY if spec.startswith("ERR wrong number") else UNKNOWN)
        if "noscript" in spec.flags or (
            spec.parent is not None and "noscript" in spec.parent.flags
        ):
            return Error(NOT_ALLOWED)
        refused = self._acl_refusal(run.caller, spec, argv)  # Redis checks ACLs first
        if refused is not None:
            return Error(refused)
        if run.read_only and (spec.is_write or spec.name in MAY_REPLICATE):
            return Error(READ_ONLY)
        if (
            run.oom_at_start
            and "denyoom" in spec.flags
            and not run.called_write
            and not run.flags.allow_oom
        ):
            return Error(OOM_ERROR)
        if spec.is_write:
            run.called_write = True
        session = run.session
        before = len(session.tx_propagation)
        reply = dispatcher.execute(session, argv)
        if len(session.tx_propagation) != before:
            run.wrote = True
            if not run.replicate & REPL_AOF:
                del session.tx_propagation[before:]
        return reply

    def _acl_refusal(self, caller: Session, spec: CommandSpec, argv: list[bytes]) -> str | None:
        """A script runs with its caller's ACL permissions; Redis words a refusal for it."""
        check = self.state.access_check
        refusal = check(caller, spec, argv, context="lua") if check is not None else None
        if refusal is None:
            return None
        if "one of the keys" in refusal:
            what = "access at least one of the keys mentioned in the command arguments"
        elif "one of the channels" in refusal:
            what = "publish to the channel mentioned in the command"
        else:
            what = "run this command or subcommand"
        return f"ERR The user executing the script can't {what}"

    # -- replies ---------------------------------------------------------------------------

    def error_reply(self, *args: Any) -> Any:
        if len(args) != 1 or not isinstance(args[0], bytes):
            return self.to_lua.error(WRONG_ARGS)
        text = args[0].decode("utf-8", "surrogateescape")
        text = text[1:] if text.startswith("-") else text
        if " " not in text:
            text = "ERR " + text
        return self.to_lua.error(text)

    def status_reply(self, *args: Any) -> Any:
        if len(args) != 1 or not isinstance(args[0], bytes):
            return self.to_lua.error(WRONG_ARGS)
        table = self.sandbox.table()
        table[b"ok"] = args[0]
        return table

    # -- helpers ---------------------------------------------------------------------------

    def sha1hex(self, *args: Any) -> tuple[bool, Any]:
        if len(args) != 1:
            return False, self.to_lua.error("ERR wrong number of arguments")
        value = args[0]
        data = value if isinstance(value, bytes) else b""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            data = lua_number_text(value)
        return True, hashlib.sha1(data).hexdigest().encode()

    def log(self, *args: Any) -> tuple[bool, Any]:
        if len(args) < 2:
            return False, self.to_lua.error("ERR redis.log() requires two arguments or more.")
        level = args[0]
        if not isinstance(level, (int, float)) or isinstance(level, bool):
            return False, self.to_lua.error("ERR First argument must be a number (log level).")
        if level not in LOG_LEVELS:
            return False, self.to_lua.error("ERR Invalid debug level.")
        parts: list[bytes] = []
        for value in args[1:]:
            text = lua_to_argument(value)
            if text is not None:
                parts.append(text)
        log.log(LOG_LEVELS[int(level)], "%s", b" ".join(parts).decode("utf-8", "replace"))
        return True, None

    def setresp(self, *args: Any) -> tuple[bool, Any]:
        run = self.current()
        if len(args) != 1:
            return False, self.to_lua.error("ERR redis.setresp() requires one argument.")
        value = args[0]
        number = int(value) if isinstance(value, (int, float)) else _to_number(value)
        if number not in (2, 3):
            return False, self.to_lua.error("ERR RESP version must be 2 or 3.")
        if run is not None:
            run.resp = number
            run.session.protocol = number
        return True, None

    def set_repl(self, *args: Any) -> tuple[bool, Any]:
        run = self.current()
        if len(args) != 1:
            return False, self.to_lua.error("ERR redis.set_repl() requires two arguments.")
        value = args[0]
        flags = int(value) if isinstance(value, (int, float)) else _to_number(value)
        if flags is None or flags & ~REPL_ALL:
            return False, self.to_lua.error(
                "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
            )
        if run is not None:
            run.replicate = flags
        return True, None

    def acl_check_cmd(self, *args: Any) -> tuple[bool, Any]:
        if not args:
            return False, self.to_lua.error(NO_ARGS)
        argv = [lua_to_argument(value) for value in args]
        if any(arg is None for arg in argv):
            return False, self.to_lua.error(BAD_ARG)
        spec = self.state.dispatcher.resolve(argv)  # type: ignore[arg-type]
        if isinstance(spec, Error):
            return False, self.to_lua.error("ERR Invalid command passed to redis.acl_check_cmd()")
        return True, True


def _to_number(value: Any) -> int | None:
    if isinstance(value, bytes):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None
