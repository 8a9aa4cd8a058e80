"""The Pythonic API's `ctx.call(..., flags=...)` and `Module(implicit_propagation=False)`,
through the in-process Harness and its real dispatcher; what propagates is read at the
propagation sinks (the AOF's seam)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ferrite_host.module import Args, Context, Module, ReplyError
from ferrite_host.testing import Harness

ferrite_rule = Module("flagsf")
redis_rule = Module("flagsr", implicit_propagation=False)


def _register(module: Module, prefix: str) -> None:
    @module.command(f"{prefix}.call", flags="write", arity=-3)
    def call(ctx: Context, args: Args) -> object:
        flags = args.next_str()
        command = args.remaining()
        return ctx.call(command[0], *command[1:], flags=flags)

    @module.command(f"{prefix}.set", flags="write", keys=(1, 1, 1), arity=3)
    def set_(ctx: Context, args: Args) -> object:
        return ctx.call("SET", args.next_key(), args.next_bytes())


_register(ferrite_rule, "flagsf")
_register(redis_rule, "flagsr")


@pytest.fixture
def harness() -> Iterator[tuple[Harness, list[list[list[bytes]]]]]:
    with Harness(ferrite_rule, redis_rule) as h:
        sent: list[list[list[bytes]]] = []
        h.state.propagation_sinks.append(lambda db, commands: sent.append(commands))
        yield h, sent


def test_flags_reach_the_call(harness: tuple[Harness, list[list[list[bytes]]]]) -> None:
    h, sent = harness
    with pytest.raises(ReplyError, match="Write command 'set' was called while write"):
        h.call("flagsf.call", "W", "SET", "k", "v")
    assert h.call("flagsf.call", "!", "SET", "k", "v") == b"OK"
    assert sent == [[[b"SET", b"k", b"v"]]]


def test_implicit_propagation_is_the_default_and_can_be_turned_off(
    harness: tuple[Harness, list[list[list[bytes]]]],
) -> None:
    h, sent = harness
    assert h.call("flagsf.set", "a", "1") == b"OK"
    assert sent == [[[b"flagsf.set", b"a", b"1"]]]
    assert h.call("flagsr.set", "b", "2") == b"OK"
    assert h.call("GET", "b") == b"2"
    assert len(sent) == 1
