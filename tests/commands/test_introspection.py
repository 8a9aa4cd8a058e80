"""COMMAND and its subcommands, for built-in and module commands alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.core.session import Session
from ferrite_host.core.spec import CommandSpec
from ferrite_host.core.state import ServerState
from ferrite_host.protocol import Error, encode

Run = Callable[..., Any]


def module_handler(session: Session, argv: list[bytes]) -> Any:
    return 0


@pytest.fixture
def module_commands(state: ServerState) -> list[CommandSpec]:
    """Two commands as the module layer registers them for helloworld."""
    specs = [
        CommandSpec(
            "hello.simple",
            module_handler,
            -1,
            frozenset({"readonly", "module"}),
            owner="helloworld",
            group="module",
        ),
        CommandSpec(
            "hello.push.native",
            module_handler,
            -1,
            frozenset({"write", "denyoom", "module"}),
            1,
            1,
            1,
            owner="helloworld",
            group="module",
        ),
    ]
    state.commands.register_all(specs)
    return specs


GET_KEY_SPEC = {
    b"flags": ["RO", "access"],
    b"begin_search": {b"type": b"index", b"spec": {b"index": 1}},
    b"find_keys": {b"type": b"range", b"spec": {b"lastkey": 0, b"keystep": 1, b"limit": 0}},
}


def test_command_info_get_has_redis_shape(run: Run) -> None:
    entry = run("COMMAND", "INFO", "get")[0]
    assert entry == [
        b"get",
        2,
        ["readonly", "fast"],
        1,
        1,
        1,
        ["@read", "@string", "@fast"],
        [],
        [GET_KEY_SPEC],
        [],
    ]
    resp3 = encode(entry, 3)
    assert resp3.startswith(
        b"*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n"
    )
    assert b"~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n" in resp3
    assert resp3.endswith(b"~0\r\n")  # no subcommands: an empty set, as Redis sends


def test_command_info_lookup_rules(run: Run, state: ServerState) -> None:
    entries = run("COMMAND", "INFO", "GET", "config|get", "CONFIG|SET", "nosuch", "config|nosuch")
    assert [e[0] if e else None for e in entries] == [
        b"get",
        b"config|get",
        b"config|set",
        None,
        None,
    ]
    assert entries[1][1] == -3 and entries[1][2] == ["admin", "noscript", "loading", "stale"]
    assert entries[1][6] == ["@admin", "@slow", "@dangerous"]
    every = run("COMMAND", "INFO")
    assert len(every) == len(state.commands) == run("COMMAND", "COUNT")
    assert run("COMMAND") == every


def test_container_info_lists_subcommands(run: Run) -> None:
    config = run("COMMAND", "INFO", "config")[0]
    assert config[:6] == [b"config", -2, [], 0, 0, 0]
    subcommands = {entry[0] for entry in config[9]}
    assert {
        b"config|get",
        b"config|set",
        b"config|resetstat",
        b"config|rewrite",
        b"config|help",
    } <= subcommands
    assert all(len(entry) == 10 for entry in config[9])


def test_every_command_info_entry_is_well_formed(run: Run) -> None:
    for entry in run("COMMAND"):
        name, arity, flags, first, _last, _step, categories, _tips, key_specs, _subs = entry
        assert name == name.lower() and arity != 0
        assert all(flag == flag.lower() for flag in flags)
        assert categories and all(cat.startswith("@") for cat in categories)
        assert ("@fast" in categories) != ("@slow" in categories)
        assert (first > 0) == bool(key_specs) or "movablekeys" in flags
        encode(entry, 2), encode(entry, 3)


def test_module_commands_in_command_info(run: Run, module_commands: list[CommandSpec]) -> None:
    simple, native = run("COMMAND", "INFO", "hello.simple", "HELLO.PUSH.NATIVE")
    assert simple == [b"hello.simple", -1, ["readonly", "module"], 0, 0, 0, [], [], [], []]
    assert native == [
        b"hello.push.native",
        -1,
        ["write", "denyoom", "module"],
        1,
        1,
        1,
        [],
        [],
        [
            {
                b"flags": ["RW", "access", "update"],
                b"begin_search": {b"type": b"index", b"spec": {b"index": 1}},
                b"find_keys": {
                    b"type": b"range",
                    b"spec": {b"lastkey": 0, b"keystep": 1, b"limit": 0},
                },
            }
        ],
        [],
    ]


def test_module_commands_in_docs_list_count_getkeys(
    run: Run, state: ServerState, module_commands: list[CommandSpec]
) -> None:
    assert run("COMMAND", "DOCS", "hello.simple") == {
        b"hello.simple": {b"group": b"module", b"module": b"helloworld"}
    }
    assert sorted(run("COMMAND", "LIST", "FILTERBY", "MODULE", "HelloWorld")) == [
        b"hello.push.native",
        b"hello.simple",
    ]
    assert run("COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch") == []
    assert run("COMMAND", "LIST", "FILTERBY", "MODULE", "builtin") == []
    assert run("COMMAND", "GETKEYS", "hello.simple", "x") == Error(
        "ERR The command has no key arguments"
    )
    assert run("COMMAND", "GETKEYS", "hello.push.native", "k", "v") == [b"k"]
    count = run("COMMAND", "COUNT")
    state.commands.unregister_owner("helloworld")
    assert run("COMMAND", "COUNT") == count - 2
    assert run("COMMAND", "INFO", "hello.simple") == [None]


def test_command_docs(run: Run) -> None:
    docs = run("COMMAND", "DOCS", "get", "nosuch", "config")
    assert list(docs) == [b"get", b"config"]
    assert docs[b"get"] == {
        b"summary": b"Returns the string value of a key.",
        b"since": b"1.0.0",
        b"group": b"string",
        b"complexity": b"O(1)",
        b"arguments": [
            {b"name": b"key", b"type": b"key", b"display_text": b"key", b"key_spec_index": 0}
        ],
    }
    config = docs[b"config"]
    assert config[b"group"] == b"server"
    assert config[b"subcommands"][b"config|get"][b"since"] == b"2.0.0"
    every = run("COMMAND", "DOCS")
    assert len(every) == run("COMMAND", "COUNT")
    assert run("COMMAND", "DOCS", "config|get")[b"config|get"][b"group"] == b"server"


def test_command_list(run: Run) -> None:
    everything = run("COMMAND", "LIST")
    assert b"get" in everything and b"config|get" in everything
    assert len(everything) > run("COMMAND", "COUNT")
    strings = run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "string")
    assert b"get" in strings and b"config" not in strings
    assert set(run("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG|[gs]et")) == {
        b"config|get",
        b"config|set",
    }
    assert run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcat") == []
    for bad in (("FILTERBY",), ("FILTERBY", "COLOR", "red"), ("FILTERBY", "PATTERN"), ("x",)):
        assert run("COMMAND", "LIST", *bad) == Error("ERR syntax error")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("GET", "k"), [b"k"]),
        (("MSET", "a", "1", "b", "2"), [b"a", b"b"]),
        (("MEMORY", "USAGE", "k", "SAMPLES", "5"), [b"k"]),
        (("SET", "k", "v", "EX", "10"), [b"k"]),
        (("nosuch", "k"), Error("ERR Invalid command specified")),
        (("CONFIG", "nosuch"), Error("ERR Invalid command specified")),
        (("PING", "x"), Error("ERR The command has no key arguments")),
        (("GET", "a", "b"), Error("ERR Invalid number of arguments specified for command")),
    ],
)
def test_command_getkeys(run: Run, args: tuple[str, ...], expected: Any) -> None:
    assert run("COMMAND", "GETKEYS", *args) == expected


def test_command_getkeysandflags(run: Run) -> None:
    assert run("COMMAND", "GETKEYSANDFLAGS", "GET", "k") == [[b"k", ["RO", "access"]]]
    reply = run("COMMAND", "GETKEYSANDFLAGS", "MSET", "a", "1", "b", "2")
    assert [key for key, _flags in reply] == [b"a", b"b"]
    assert encode(reply, 3).startswith(b"*2\r\n*2\r\n$1\r\na\r\n~")


def test_command_help_and_errors(run: Run) -> None:
    lines = run("COMMAND", "HELP")
    assert lines[0] == "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "GETKEYS <full-command>" in lines
    assert run("COMMAND", "FOO") == Error("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
    assert run("COMMAND", "COUNT", "x") == Error(
        "ERR wrong number of arguments for 'command|count' command"
    )


def test_command_over_the_wire(r: redis.Redis, r3: redis.Redis) -> None:
    for client in (r, r3):
        table = client.command()
        assert table["get"]["arity"] == 2 and table["get"]["first_key_pos"] == 1
        assert "config|get" in {sub[0].decode() for sub in table["config"]["subcommands"]}
        assert client.command_count() == len(table)
        assert b"config|get" in client.command_list() or "config|get" in client.command_list()
        assert client.command_getkeys("MSET", "a", "1", "b", "2") in ([b"a", b"b"], ["a", "b"])
    docs = r3.execute_command("COMMAND DOCS", "get")
    assert docs[b"get"][b"group"] == b"string"
