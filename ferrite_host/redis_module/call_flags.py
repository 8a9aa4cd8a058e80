"""RM_Call's format flags, as `ctx.call(cmd, *args, flags="...")` takes them.

Redis spells them inside the C format string ("c!"); Python has its arguments already, so
only the modifiers remain. Each is checked before the command runs, in the order Redis
checks them, and a refusal comes back as an error value with Redis's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ferrite_host.core.eviction import OOM_ERROR, Eviction

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.spec import CommandSpec

#: What each flag letter means (the docstring of `CallFlags` says how far each goes here).
CALL_FLAG_LETTERS = {
    "!": "propagate the call to the AOF and replicas",
    "A": "with '!': not to the AOF",
    "R": "with '!': not to replicas",
    "3": "RESP3 reply",
    "0": "the caller's protocol for the reply",
    "C": "the calling user's ACL permissions",
    "S": "script mode: refuse commands scripts may not run",
    "W": "refuse write commands",
    "M": "refuse deny-oom commands when over maxmemory",
    "E": "errors as replies (always the case here)",
    "K": "allow blocking (blocking through ctx.call is not built: accepted, no effect)",
}


@dataclass(frozen=True, slots=True)
class CallFlags:
    """The modifiers of one `ctx.call`.

    `!` propagates what the command propagates (its own argv, or what it rewrote itself to)
    when it changed data, in call order with `replicate`; `A` / `R` take the AOF / replicas
    out of that (there are no replicas yet, so `!R` is `!` and `!A` propagates nowhere, yet
    still counts as the module having asked for propagation). `3` / `0` choose the protocol
    the command runs with (replies are value trees either way: a map stays a dict).
    """

    propagate: bool = False
    no_aof: bool = False
    no_replicas: bool = False
    resp3: bool = False
    caller_protocol: bool = False
    check_acl: bool = False
    script_mode: bool = False
    no_writes: bool = False
    respect_oom: bool = False
    errors_as_replies: bool = False
    may_block: bool = False

    @classmethod
    def parse(cls, flags: str) -> CallFlags:
        """The flags spelled in `flags`; ValueError naming the first unknown letter."""
        for letter in flags:
            if letter not in CALL_FLAG_LETTERS:
                raise ValueError(
                    f"unknown ctx.call flag {letter!r} (known: {''.join(CALL_FLAG_LETTERS)})"
                )
        return cls(
            propagate="!" in flags,
            no_aof="A" in flags,
            no_replicas="R" in flags,
            resp3="3" in flags,
            caller_protocol="0" in flags,
            check_acl="C" in flags,
            script_mode="S" in flags,
            no_writes="W" in flags,
            respect_oom="M" in flags,
            errors_as_replies="E" in flags,
            may_block="K" in flags,
        )

    def protocol_for(self, caller: Session) -> int:
        if self.resp3:
            return 3
        return caller.protocol if self.caller_protocol else 2

    @property
    def reaches_aof(self) -> bool:
        return self.propagate and not self.no_aof

    def refusal(self, caller: Session, spec: CommandSpec, argv: list[bytes]) -> str | None:
        """The error text when these flags refuse running `spec`, else None."""
        if self.script_mode and "noscript" in spec.flags:
            return f"ERR command '{spec.full_name}' is not allowed on script mode"
        if self.no_writes and spec.is_write:
            return f"ERR Write command '{spec.full_name}' was called while write is not allowed."
        if self.respect_oom and "denyoom" in spec.flags and _over_maxmemory(caller):
            return OOM_ERROR
        if self.check_acl:
            check = caller.state.access_check
            if check is not None:
                return check(caller, spec, argv, context="module")
        return None


def _over_maxmemory(session: Session) -> bool:
    """Whether the client command that led here found memory over maxmemory after evicting
    (Redis's pre_command_oom_state; a call made outside any command, from a timer or a
    server event, asks about now)."""
    eviction = Eviction.of(session.state)
    if eviction is None or not session.state.settings.maxmemory:
        return False
    if session.kind == "normal":
        return eviction.oom_before_command
    return eviction.over_limit()
