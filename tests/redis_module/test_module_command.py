"""MODULE HELP/LIST/LOAD/LOADEX/UNLOAD through the dispatcher, with Redis's exact replies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.assembly import build_state
from ferrite_host.commands.modules import NOT_ALLOWED, is_local_client, parse_loadex
from ferrite_host.core.config import Settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.encoder import encode
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module import RedisModuleManager

LOAD_ERROR = "ERR Error loading the extension. Please check the server logs."

HELP = [
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional "
    "arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
]


def test_help(mrun: Callable[..., Any]) -> None:
    reply = mrun("MODULE", "HELP")
    assert reply == HELP
    assert encode(reply, 2).startswith(b"*11\r\n+MODULE <subcommand>")


def test_list_empty_and_shapes(mrun: Callable[..., Any]) -> None:
    assert mrun("MODULE", "LIST") == []
    assert mrun("MODULE", "LOAD", "fx_good", "a1") == "OK"
    reply = mrun("module", "list")
    assert reply == [
        {
            b"name": b"fx_good",
            b"ver": 3,
            b"path": b"ferrite.modules:fx_good = fx_good",
            b"args": [b"a1"],
        }
    ]
    path = b"ferrite.modules:fx_good = fx_good"
    assert encode(reply, 2) == (
        b"*1\r\n*8\r\n$4\r\nname\r\n$7\r\nfx_good\r\n$3\r\nver\r\n:3\r\n"
        b"$4\r\npath\r\n$%d\r\n%s\r\n$4\r\nargs\r\n*1\r\n$2\r\na1\r\n" % (len(path), path)
    )
    assert encode(reply, 3).startswith(b"*1\r\n%4\r\n$4\r\nname\r\n")


def test_binary_load_args_come_back_unchanged(mrun: Callable[..., Any]) -> None:
    assert mrun("MODULE", "LOAD", "fx_good", b"\xff\x00raw") == "OK"
    assert mrun("MODULE", "LIST")[0][b"args"] == [b"\xff\x00raw"]


def test_load_unload_reload(mrun: Callable[..., Any]) -> None:
    assert mrun("MODULE", "LOAD", "fx_good") == "OK"
    assert mrun("MYMOD.SET", "k", "v") == "OK"
    assert mrun("MODULE", "LOAD", "fx_good") == LOAD_ERROR
    assert mrun("MODULE", "UNLOAD", "fx_good") == "OK"
    assert (
        mrun("MYMOD.GET", "k") == "ERR unknown command 'MYMOD.GET', with args beginning with: 'k' "
    )
    assert mrun("MODULE", "LOAD", "fx_good") == "OK"
    assert mrun("MYMOD.GET", "k") == b"v"


@pytest.mark.parametrize(
    "name",
    [
        "fx_broken_import",
        "fx_bad_info",
        "fx_future_api",
        "fx_onload_raises",
        "fx_onload_err",
        "fx_builtin_clash",
        "nope",
    ],
)
def test_load_failures_answer_the_generic_error(mrun: Callable[..., Any], name: str) -> None:
    reply = mrun("MODULE", "LOAD", name)
    assert isinstance(reply, Error) and reply == LOAD_ERROR
    assert mrun("PING") == "PONG"


def test_unload_errors(mrun: Callable[..., Any]) -> None:
    assert (
        mrun("MODULE", "UNLOAD", "nope")
        == "ERR Error unloading module: no such module with that name"
    )
    mrun("MODULE", "LOAD", "fx_custom_type")
    mrun("fxc.incr", "c", "m")
    assert mrun("MODULE", "UNLOAD", "fx_custom_type") == (
        "ERR Error unloading module: "
        "the module exports one or more module-side data types, can't unload"
    )
    mrun("MODULE", "LOAD", "fx_unload_refuses")
    assert (
        mrun("MODULE", "UNLOAD", "fx_unload_refuses")
        == "ERR Error unloading module: operation not possible."
    )


def test_loadex(mrun: Callable[..., Any]) -> None:
    assert mrun("MODULE", "LOADEX", "fx_good", "ARGS", "x", "CONFIG") == "OK"
    assert mrun("fx.args") == [b"x", b"CONFIG"]
    assert mrun("MODULE", "UNLOAD", "fx_good") == "OK"
    assert mrun("MODULE", "LOADEX", "fx_good") == "OK"
    assert mrun("fx.args") == []
    mrun("MODULE", "UNLOAD", "fx_good")
    assert mrun("MODULE", "LOADEX", "fx_good", "CONFIG", "a", "b") == LOAD_ERROR
    assert mrun("MODULE", "LOADEX", "fx_good", "bogus") == LOAD_ERROR
    assert mrun("MODULE", "LOADEX", "fx_good", "CONFIG", "a") == LOAD_ERROR


def test_parse_loadex() -> None:
    assert parse_loadex([]) == ([], [])
    assert parse_loadex([b"config", b"n", b"v", b"ARGS", b"a"]) == ([("n", "v")], ["a"])
    assert parse_loadex([b"ARGS"]) == ([], [])
    assert parse_loadex([b"CONFIG", b"n"]) is None
    assert parse_loadex([b"x"]) is None


def test_arity_and_unknown_subcommand(mrun: Callable[..., Any]) -> None:
    assert mrun("MODULE", "UNLOAD") == "ERR wrong number of arguments for 'module|unload' command"
    assert mrun("MODULE", "LOAD") == "ERR wrong number of arguments for 'module|load' command"
    assert mrun("MODULE", "LIST", "x") == "ERR wrong number of arguments for 'module|list' command"
    assert mrun("MODULE", "FOO") == "ERR unknown subcommand 'FOO'. Try MODULE HELP."


def _session(state: ServerState, addr: str) -> Session:
    return state.new_session(addr, "127.0.0.1:6379")


@pytest.mark.parametrize(
    "setting,addr,allowed",
    [
        ("local", "127.0.0.1:5000", True),
        ("local", "[::1]:5000", True),
        ("local", "10.1.2.3:5000", False),
        ("local", "[2001:db8::1]:5000", False),
        ("yes", "10.1.2.3:5000", True),
        ("no", "127.0.0.1:5000", False),
    ],
)
def test_enable_module_command(fx_path: object, setting: str, addr: str, allowed: bool) -> None:
    state = build_state(Settings(autoload_modules=False, enable_module_command=setting))  # type: ignore[arg-type]
    RedisModuleManager.attach(state)
    session = _session(state, addr)

    def run(*args: str) -> Any:
        return state.dispatcher.execute(session, [a.encode() for a in args])

    for argv in (
        ("MODULE", "LOAD", "fx_good"),
        ("MODULE", "LOADEX", "fx_good"),
        ("MODULE", "UNLOAD", "fx_good"),
    ):
        reply = run(*argv)
        if allowed:
            assert reply != NOT_ALLOWED
        else:
            assert reply == NOT_ALLOWED
    assert isinstance(run("MODULE", "LIST"), list)  # never protected
    assert len(run("MODULE", "HELP")) == 11


def test_not_allowed_text_is_redis_s() -> None:
    assert NOT_ALLOWED == (
        'ERR MODULE command not allowed. If the enable-module-command option is set to "local", '
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server."
    )


def test_is_local_client(state: ServerState) -> None:
    assert is_local_client(state.new_session(""))
    assert is_local_client(state.new_session("127.0.0.1:1"))
    assert not is_local_client(state.new_session("127.0.0.2:1"))
    assert is_local_client(state.new_session("[::ffff:127.0.0.1]:1"))


def test_module_command_without_a_manager(state: ServerState, session: Session) -> None:
    assert RedisModuleManager.of(state) is None
    assert state.dispatcher.execute(session, [b"MODULE", b"LIST"]) == []
    assert state.dispatcher.execute(session, [b"MODULE", b"UNLOAD", b"x"]) == (
        "ERR Error unloading module: no such module with that name"
    )
    assert RedisModuleManager.of(state) is not None  # created on demand, so LOAD works too


def test_module_specs_in_the_table(state: ServerState) -> None:
    container = state.commands.lookup("module")
    assert container is not None and container.group == "server" and container.arity == -2
    subs = container.subcommands
    assert set(subs) == {"help", "list", "load", "loadex", "unload"}
    assert (subs["load"].arity, subs["unload"].arity, subs["list"].arity, subs["help"].arity) == (
        -3,
        3,
        2,
        2,
    )
    assert subs["load"].flags == {"admin", "noscript", "no_async_loading"}
    assert subs["help"].flags == {"loading", "stale"}
    assert subs["loadex"].since == "7.0.0" and subs["load"].since == "4.0.0"
