"""In-process micro-benchmarks of the hot path: parse -> lookup -> handler -> encode.

Run with `python -m pytest benchmarks/ --benchmark-only` (not part of the test suite: timing
goals live here, never in timed tests). A module command's cost shows next to GET's.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ferrite_host.assembly import build_state
from ferrite_host.core.config import Settings
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.encoder import encode_into
from ferrite_host.protocol.parser import RequestParser

BATCH = 100


def _frame(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _state(modules: list[list[str]] | None = None) -> ServerState:
    settings = Settings(loadmodule=modules or [], autoload_modules=bool(modules))
    state = build_state(settings)
    if modules:
        from ferrite_host.redis_module.manager import RedisModuleManager

        RedisModuleManager.attach(state)
    return state


def _round_trip(state: ServerState, payload: bytes) -> Callable[[], bytes]:
    session = state.new_session()
    execute = state.dispatcher.execute

    def run() -> bytes:
        parser = RequestParser()
        out: list[bytes] = []
        for argv in parser.feed(payload):
            encode_into(out, execute(session, argv), 2)
        return b"".join(out)

    return run


@pytest.mark.parametrize("parser", ["hiredis", "python"])
def test_parse_only(benchmark, parser: str) -> None:  # type: ignore[no-untyped-def]
    payload = _frame(b"SET", b"key:000001", b"x" * 100) * BATCH

    def parse() -> int:
        return len(RequestParser(use_hiredis=parser == "hiredis").feed(payload))

    assert benchmark(parse) == BATCH


def test_get_round_trip(benchmark) -> None:  # type: ignore[no-untyped-def]
    state = _state()
    state.keyspace[0].set(b"key", b"x" * 100)
    run = _round_trip(state, _frame(b"GET", b"key") * BATCH)
    assert benchmark(run).count(b"$100\r\n") == BATCH


def test_set_round_trip(benchmark) -> None:  # type: ignore[no-untyped-def]
    run = _round_trip(_state(), _frame(b"SET", b"key", b"x" * 100) * BATCH)
    assert benchmark(run) == b"+OK\r\n" * BATCH


def test_module_command_round_trip(benchmark) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("ferrite_hellotype")
    state = _state([["hellotype"]])
    run = _round_trip(state, _frame(b"HELLOTYPE.LEN", b"missing") * BATCH)
    assert benchmark(run) == b":0\r\n" * BATCH


def _two_styles_state() -> ServerState:
    """One server with the same INCR-like command written in each module API style."""
    from ferrite_host.module import Args, Context, Module
    from ferrite_host.redis_module import RedisModule
    from ferrite_host.redis_module.api import KeyMode, RedisModuleCtx, RedisModuleString, Status
    from ferrite_host.redis_module.commands import ModuleCommand
    from ferrite_host.redis_module.manager import RedisModuleManager

    pythonic = Module("bench_py")

    @pythonic.command("py.incr", flags="write", keys=(1, 1, 1), arity=2)
    def py_incr(ctx: Context, args: Args) -> int:
        key = ctx.open_key_writable(args.next_key())
        value = int(key.get_bytes() or 0) + 1
        key.set_bytes(str(value))
        return value

    def shaped_incr(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
        key = ctx.open_key(args[0], KeyMode.READ | KeyMode.WRITE)
        assert key is not None
        dma = key.string_dma()
        value = int(bytes(dma) or b"0") + 1 if dma is not None else 1
        key.string_set(str(value))
        return ctx.reply_with_long_long(value)

    class Shaped:
        @staticmethod
        def module_info() -> dict[str, object]:
            return {"name": "bench_rs", "version": 1}

        @staticmethod
        def on_load(module: RedisModule, args: list[str]) -> Status:
            command = ModuleCommand("rs.incr", shaped_incr, "write").with_keys(1, 1, 1)
            return module.register_command(command)

    state = build_state(Settings(autoload_modules=False))
    manager = RedisModuleManager.install(state)
    manager.load_object(pythonic, "bench_py")
    manager.load_object(Shaped(), "bench_rs")
    return state


@pytest.mark.parametrize("command", [b"PY.INCR", b"RS.INCR", b"INCR"])
def test_module_api_styles(benchmark, command: bytes) -> None:  # type: ignore[no-untyped-def]
    """The Pythonic value-returning path must cost less than the Redis-shaped one."""
    run = _round_trip(_two_styles_state(), _frame(command, b"counter") * BATCH)
    assert benchmark(run).startswith(b":")
