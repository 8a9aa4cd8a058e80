"""Command filters (RM_RegisterCommandFilter): module code that sees, and may rewrite, every
command before it is looked up.

Filters run in registration order on what clients send (queued MULTI commands when they are
queued), what scripts and modules call, but not on append-only-file replay, as in Redis.
A filter registered with `FILTER_NOSELF` skips the commands its own module runs through
`ctx.call` (from any of the module's commands, timers or callbacks).

    def swap(fctx: CommandFilterCtx) -> None:
        if fctx.args_count() == 3 and fctx.args_get(0).lower() == b"set":
            fctx.args_replace(2, b"filtered")

    flt = module.register_command_filter(swap, FILTER_NOSELF)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.strconv import to_bytes

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

#: REDISMODULE_CMDFILTER_NOSELF.
FILTER_NOSELF = 1 << 0

FilterCallback = Callable[["CommandFilterCtx"], Any]


class CommandFilterCtx:
    """RedisModuleCommandFilterCtx: the arguments of the command being filtered.

    Position 0 is the command name, as in Redis. Out-of-range positions answer None / ERR
    (False) and change nothing.
    """

    def __init__(self, argv: list[bytes], client_id: int) -> None:
        self.argv = argv
        self._client_id = client_id

    def args_count(self) -> int:
        """RM_CommandFilterArgsCount."""
        return len(self.argv)

    def args_get(self, pos: int) -> Any:
        """RM_CommandFilterArgGet: a RedisModuleString, or None out of range."""
        from ferrite_host.redis_module.api import RedisModuleString

        if not 0 <= pos < len(self.argv):
            return None
        return RedisModuleString(self.argv[pos])

    def args_insert(self, pos: int, arg: object) -> bool:
        """RM_CommandFilterArgInsert: insert before `pos` (`pos == count` appends)."""
        if not 0 <= pos <= len(self.argv):
            return False
        self.argv.insert(pos, to_bytes(arg))
        return True

    def args_replace(self, pos: int, arg: object) -> bool:
        """RM_CommandFilterArgReplace."""
        if not 0 <= pos < len(self.argv):
            return False
        self.argv[pos] = to_bytes(arg)
        return True

    def args_delete(self, pos: int) -> bool:
        """RM_CommandFilterArgDelete."""
        if not 0 <= pos < len(self.argv):
            return False
        del self.argv[pos]
        return True

    def get_client_id(self) -> int:
        """RM_CommandFilterGetClientId (7.2): the client that sent the command."""
        return self._client_id


class CommandFilter:
    """RedisModuleCommandFilter: what `register_command_filter` returns."""

    def __init__(self, module_name: str, callback: FilterCallback, flags: int) -> None:
        self.module_name = module_name
        self.callback = callback
        self.flags = flags

    def __repr__(self) -> str:
        return f"<CommandFilter of {self.module_name} flags={self.flags}>"


class CommandFilters:
    """Every registered filter, installed as the dispatcher's `state.command_filter`."""

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self.filters: list[CommandFilter] = []

    @classmethod
    def of(cls, state: ServerState) -> CommandFilters:
        found: CommandFilters | None = state.subsystems.get(cls)
        if found is None:
            found = state.subsystems.install(cls(state))
        return found

    def register(self, module_name: str, callback: FilterCallback, flags: int) -> CommandFilter:
        if not callable(callback):
            raise TypeError("register_command_filter needs a callable")
        command_filter = CommandFilter(module_name, callback, int(flags))
        self.filters.append(command_filter)
        self._state.command_filter = self.apply
        return command_filter

    def adopt(self, command_filter: CommandFilter) -> None:
        """A filter staged by `on_load`, now that its module is committed."""
        self.filters.append(command_filter)
        self._state.command_filter = self.apply

    def unregister(self, command_filter: CommandFilter, module_name: str | None = None) -> bool:
        """Remove one filter (only its own module's, when `module_name` is given)."""
        if command_filter not in self.filters:
            return False
        if module_name is not None and command_filter.module_name != module_name:
            return False
        self.filters.remove(command_filter)
        if not self.filters:
            self._state.command_filter = None
        return True

    def forget(self, module_name: str) -> None:
        """MODULE UNLOAD: the module's filters go with it."""
        for command_filter in [f for f in self.filters if f.module_name == module_name]:
            self.unregister(command_filter)

    def apply(self, session: Session, argv: list[bytes]) -> list[bytes]:
        """The command after every filter (a new list when a filter changed it)."""
        if session.kind == "aof":
            return argv
        caller = getattr(session, "calling_module", None)
        fctx: CommandFilterCtx | None = None
        for command_filter in tuple(self.filters):
            if command_filter.flags & FILTER_NOSELF and caller == command_filter.module_name:
                continue
            if fctx is None:
                fctx = CommandFilterCtx(list(argv), session.id)
            try:
                command_filter.callback(fctx)
            except Exception:
                log.exception("command filter of module %s raised", command_filter.module_name)
        return argv if fctx is None else fctx.argv


__all__ = ["FILTER_NOSELF", "CommandFilter", "CommandFilterCtx", "CommandFilters"]
