"""The Pythonic module API (ferrite_host.module) through the in-process Harness: values in
and out, declared commands and types, configs, INFO sections, persistence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ferrite_host.module import (
    Args,
    Context,
    Module,
    ReplyError,
    SimpleString,
    Verbatim,
    WrongType,
    ok,
)
from ferrite_host.redis_module.api import ListWhere
from ferrite_host.testing import Harness

module = Module("acme", version=3)
limit = module.config("acme.limit", default=100, type=int, minimum=0, maximum=1000)
mode = module.config("acme.mode", default="fast", choices=("fast", "safe"))
verbose = module.config("acme.verbose", default=False, type=bool)
calls = {"tally": 0}


@module.data_type("acmetally", encver=1)
class Tally:
    def __init__(self, total: int = 0) -> None:
        self.total = total

    def rdb_save(self) -> bytes:
        return str(self.total).encode()

    @classmethod
    def rdb_load(cls, data: bytes, encver: int) -> Tally:
        return cls(int(data))

    def aof_rewrite(self, key: bytes) -> list[list[bytes]]:
        return [[b"ACME.TALLY", key, str(self.total).encode()]]

    def mem_usage(self) -> int:
        return 8


@module.command(
    "acme.tally",
    flags="write deny-oom",
    keys=(1, 1, 1),
    arity=-2,
    summary="Add to a tally",
    since="1.0.0",
    acl_categories="acme",
)
def tally(ctx: Context, args: Args) -> int:
    key = ctx.open_key_writable(args.next_key())
    increment = args.next_int(default=1)
    args.done()
    value = key.value(Tally) or key.set_value(Tally())
    if value.total + increment > limit.value:
        raise ReplyError("tally would pass acme.limit")
    value.total += increment
    calls["tally"] += 1
    return value.total


@module.command("acme.get", flags="readonly fast", keys=(1, 1, 1), arity=2)
def get(ctx: Context, args: Args) -> int | None:
    key = ctx.open_key(args.next_key())
    if key is None:
        return None
    value = key.value(Tally)
    return None if value is None else value.total


@module.command("acme.shapes", flags="readonly", arity=1)
def shapes(ctx: Context, args: Args) -> object:
    return [
        1,
        "text",
        b"bytes",
        None,
        2.5,
        True,
        (3, 4),
        {"k": "v"},
        {b"m"},
        ok(),
        SimpleString("PONG"),
        Verbatim("hi"),
    ]


@module.command("acme.kw", arity=-2)
def keyword(ctx: Context, args: Args) -> str:
    word = args.next_keyword("NX", "XX")
    number = args.next_float(default=0.5)
    args.done()
    return f"{word}:{number}"


@module.command("acme.call", arity=2)
def call(ctx: Context, args: Args) -> object:
    return ctx.call("GET", args.next_key())


@module.command("acme.boom", arity=1)
def boom(ctx: Context, args: Args) -> object:
    raise RuntimeError("kaput")


@module.command("acme.wrong", arity=1)
def wrong(ctx: Context, args: Args) -> object:
    raise WrongType()


@module.command("acme.push", flags="write", keys=(1, 1, 1), arity=3)
def push(ctx: Context, args: Args) -> int:
    """The Redis-shaped collection API is reachable from a Pythonic key (`key.redis`)."""
    key = ctx.open_key_writable(args.next_key())
    key.redis.list_push(ListWhere.TAIL, args.next_bytes())
    return key.redis.value_length()


@module.info_section("stats")
def stats() -> dict[str, object]:
    return {"tallies": calls["tally"], "mode": mode.value}


@pytest.fixture
def harness() -> Iterator[Harness]:
    with Harness(module) as h:
        yield h


def test_value_returning_command_and_errors(harness: Harness) -> None:
    assert harness.call("ACME.TALLY", "k") == 1
    assert harness.call("acme.tally", "k", "41") == 42
    assert harness.call("ACME.GET", "k") == 42
    assert harness.call("ACME.GET", "missing") is None
    with pytest.raises(ReplyError, match=r"^ERR value is not an integer or out of range$"):
        harness.call("ACME.TALLY", "k", "x")
    with pytest.raises(ReplyError, match=r"^ERR wrong number of arguments for 'acme.tally'"):
        harness.call("ACME.TALLY", "k", "1", "2")
    with pytest.raises(ReplyError, match=r"^ERR wrong number of arguments for 'acme.get'"):
        harness.call("ACME.GET")
    harness.call("SET", "s", "v")
    with pytest.raises(ReplyError, match=r"^WRONGTYPE"):
        harness.call("ACME.TALLY", "s")
    with pytest.raises(ReplyError, match=r"^ERR tally would pass acme.limit$"):
        harness.call("ACME.TALLY", "k", "1000")
    with pytest.raises(ReplyError, match=r"^ERR module command 'acme.boom' raised RuntimeError"):
        harness.call("ACME.BOOM")
    with pytest.raises(ReplyError, match=r"^WRONGTYPE Operation against a key"):
        harness.call("ACME.WRONG")
    assert harness.call("TYPE", "k") == b"acmetally"


def test_reply_shapes_in_both_protocols() -> None:
    with Harness(module, protocol=2) as h2:
        assert h2.raw("ACME.SHAPES") == (
            b"*12\r\n:1\r\n$4\r\ntext\r\n$5\r\nbytes\r\n$-1\r\n$3\r\n2.5\r\n:1\r\n"
            b"*2\r\n:3\r\n:4\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$1\r\nm\r\n+OK\r\n"
            b"+PONG\r\n$2\r\nhi\r\n"
        )
    with Harness(module, protocol=3) as h3:
        assert h3.raw("ACME.SHAPES") == (
            b"*12\r\n:1\r\n$4\r\ntext\r\n$5\r\nbytes\r\n_\r\n,2.5\r\n#t\r\n"
            b"*2\r\n:3\r\n:4\r\n%1\r\n$1\r\nk\r\n$1\r\nv\r\n~1\r\n$1\r\nm\r\n+OK\r\n"
            b"+PONG\r\n=6\r\ntxt:hi\r\n"
        )


def test_args_keywords_and_floats(harness: Harness) -> None:
    assert harness.call("ACME.KW", "nx") == b"NX:0.5"
    assert harness.call("ACME.KW", "XX", "1.5") == b"XX:1.5"
    with pytest.raises(ReplyError, match=r"^ERR syntax error$"):
        harness.call("ACME.KW", "YY")
    with pytest.raises(ReplyError, match=r"^ERR value is not a valid float$"):
        harness.call("ACME.KW", "NX", "abc")


def test_ctx_call(harness: Harness) -> None:
    harness.call("SET", "plain", "hello")
    assert harness.call("ACME.CALL", "plain") == b"hello"


def test_declared_metadata_in_command_info_and_docs(harness: Harness) -> None:
    info = harness.call("COMMAND", "INFO", "acme.tally")[0]
    assert info[0] == b"acme.tally" and info[1] == -2
    assert set(info[2]) == {b"write", b"denyoom", b"module"}
    assert info[3:6] == [1, 1, 1]
    assert b"@acme" in info[6]
    assert info[8][0][1] == [b"RW", b"update"]  # the key spec follows the write flag
    readonly = harness.call("COMMAND", "INFO", "acme.get")[0]
    assert readonly[8][0][1] == [b"RO", b"access"]
    docs = harness.call("COMMAND", "DOCS", "acme.tally")
    fields = dict(zip(docs[1][::2], docs[1][1::2], strict=True))
    assert fields[b"summary"] == b"Add to a tally" and fields[b"since"] == b"1.0.0"
    assert harness.call("COMMAND", "GETKEYS", "acme.tally", "kk", "1") == [b"kk"]


def test_configs_through_config_get_set(harness: Harness) -> None:
    assert harness.call("CONFIG", "GET", "acme.*") == [
        b"acme.limit",
        b"100",
        b"acme.mode",
        b"fast",
        b"acme.verbose",
        b"no",
    ] or sorted(harness.call("CONFIG", "GET", "acme.*")[::2]) == [
        b"acme.limit",
        b"acme.mode",
        b"acme.verbose",
    ]
    assert harness.call("CONFIG", "SET", "acme.limit", "50", "acme.mode", "SAFE") == b"OK"
    assert limit.value == 50 and mode.value == "safe"
    with pytest.raises(ReplyError, match=r"argument 'acme.limit'"):
        harness.call("CONFIG", "SET", "acme.limit", "5000")
    with pytest.raises(ReplyError, match=r"argument 'acme.verbose'"):
        harness.call("CONFIG", "SET", "acme.verbose", "maybe", "hz", "20")
    assert harness.call("CONFIG", "GET", "hz") == [b"hz", b"10"]  # all or none


def test_loadex_config_and_unknown_config(harness: Harness) -> None:
    manager = harness.state.subsystems.get(_manager_type())
    assert manager is not None
    manager.unload("acme")
    manager.load_object(module, "acme", [], [("acme.limit", "7")])
    assert limit.value == 7
    manager.unload("acme")
    with pytest.raises(Exception, match=r"module configuration 'acme.nope' given"):
        manager.load_object(module, "acme", [], [("acme.nope", "1")])


def test_info_section(harness: Harness) -> None:
    harness.call("ACME.TALLY", "k")
    text = harness.call("INFO", "acme").decode()
    assert "# acme_stats" in text and "tallies:" in text and "mode:" in text
    assert "acme_stats" in harness.call("INFO", "everything").decode()
    assert "acme_stats" not in harness.call("INFO").decode()


def test_persistence_through_restart_and_aof_rewrite(tmp_path: object) -> None:
    with Harness(module, appendonly="yes") as harness:
        harness.call("ACME.TALLY", "k", "5")
        harness.restart()
        assert harness.call("ACME.GET", "k") == 5
        harness.call("BGREWRITEAOF")


def _manager_type() -> type:
    from ferrite_host.redis_module.manager import RedisModuleManager

    return RedisModuleManager


def test_the_authors_surface_is_exactly_the_documented_names() -> None:
    import ferrite_host.module as surface

    assert sorted(surface.__all__) == [
        "Args",
        "BlockedClient",
        "Context",
        "Key",
        "Module",
        "ModuleConfig",
        "NotAFloat",
        "NotAnInteger",
        "ReplyError",
        "SimpleString",
        "Verbatim",
        "WrongArity",
        "WrongType",
        "ok",
    ]
    for hidden in ("RedisModuleManager", "ReplyBuilder", "ModuleTypeRegistry", "commit_module"):
        assert not hasattr(surface, hidden)


def test_a_declared_acl_category_exists_for_acl_rules(harness: Harness) -> None:
    assert b"acme" in harness.call("ACL", "CAT")
    assert harness.call("ACL", "CAT", "acme") == [b"acme.tally"]
    harness.call("ACL", "SETUSER", "tallier", "on", "nopass", "+@acme", "~*")
    assert harness.call("ACL", "DRYRUN", "tallier", "ACME.TALLY", "k") == b"OK"
    denied = harness.call("ACL", "DRYRUN", "tallier", "ACME.GET", "k")
    assert b"no permissions to run the 'acme.get' command" in denied


def test_collection_key_api_through_key_redis(harness: Harness) -> None:
    assert harness.call("ACME.PUSH", "l", "a") == 1
    assert harness.call("ACME.PUSH", "l", "b") == 2
    assert harness.call("LRANGE", "l", "0", "-1") == [b"a", b"b"]
