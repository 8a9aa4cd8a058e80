"""The Pythonic counterparts of the rest of the context API: Context.scan_keys,
server_info and shared_api, Module.command_filter and export_api, in process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ferrite_host.module import Args, Context, Module, ReplyError
from ferrite_host.testing import Harness

lender = Module("lender")
lender.export_api("lender.double", lambda n: 2 * n)

borrower = Module("borrower")


@borrower.command("borrower.keys", flags="readonly", arity=1)
def keys(ctx: Context, args: Args) -> list[bytes]:
    return sorted(ctx.scan_keys())


@borrower.command("borrower.port", flags="readonly", arity=1)
def port(ctx: Context, args: Args) -> bytes:
    return ctx.server_info("server")["tcp_port"]


@borrower.command("borrower.double", flags="readonly", arity=2)
def double(ctx: Context, args: Args) -> Any:
    api = ctx.shared_api("lender.double")
    return None if api is None else api(args.next_int())


@borrower.command("borrower.echo", flags="readonly", arity=-1)
def echo(ctx: Context, args: Args) -> list[bytes]:
    return list(args.remaining())


@borrower.command("borrower.selfcall", flags="readonly", arity=-2)
def selfcall(ctx: Context, args: Args) -> Any:
    return ctx.call(*args.remaining())


@borrower.command_filter(noself=True)
def shout(argv: list[bytes]) -> list[bytes] | None:
    if argv[0].lower() != b"borrower.echo":
        return None
    return [argv[0], *(arg.upper() for arg in argv[1:])]


@pytest.fixture
def h() -> Iterator[Harness]:
    with Harness(lender, borrower) as harness:
        yield harness


def test_scan_keys_walks_the_database(h: Harness) -> None:
    names = [b"k%d" % n for n in range(33)]
    for name in names:
        h.call("SET", name, "v")
    assert h.call("borrower.keys") == sorted(names)


def test_server_info(h: Harness) -> None:
    assert h.call("borrower.port") == str(h.state.settings.port).encode()


def test_shared_api_and_unload_dependency(h: Harness) -> None:
    assert h.call("borrower.double", 21) == 42
    with pytest.raises(ReplyError, match="exports APIs used by other modules"):
        h.call("MODULE", "UNLOAD", "lender")


def test_command_filter(h: Harness) -> None:
    assert h.call("borrower.echo", "a", "b") == [b"A", b"B"]
    assert h.call("borrower.selfcall", "borrower.echo", "x") == [b"x"]  # noself
    assert h.call("ECHO", "quiet") == b"quiet"
