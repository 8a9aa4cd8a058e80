"""COMMAND DOCS `arguments` and deprecation fields, checked against Redis 7.2's shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis

from ferrite_host.core.session import Session
from ferrite_host.core.spec import CommandSpec
from ferrite_host.core.state import ServerState
from ferrite_host.testing.declarations import ARGUMENTS as DOC_ARGUMENTS
from ferrite_host.testing.declarations import DEPRECATIONS as DOC_DEPRECATIONS

Run = Callable[..., Any]


def _arg(name: str, kind: str, **fields: Any) -> dict[bytes, Any]:
    """An expected argument map in Redis's field order (display_text right after type)."""
    out: dict[bytes, Any] = {b"name": name.encode(), b"type": kind.encode()}
    if kind not in ("oneof", "block"):
        out[b"display_text"] = str(fields.pop("display_text", name)).encode()
    for field in ("key_spec_index", "token", "summary", "since", "deprecated_since"):
        if field in fields:
            value = fields.pop(field)
            out[field.encode()] = value if isinstance(value, int) else str(value).encode()
    if "flags" in fields:
        out[b"flags"] = [flag.encode() for flag in fields.pop("flags")]
    if "arguments" in fields:
        out[b"arguments"] = fields.pop("arguments")
    assert not fields, fields
    return out


def _token(name: str, token: str, **fields: Any) -> dict[bytes, Any]:
    return _arg(name, "pure-token", token=token, **fields)


KEY = _arg("key", "key", key_spec_index=0)

SET_ARGUMENTS = [
    KEY,
    _arg("value", "string"),
    _arg(
        "condition",
        "oneof",
        flags=["optional"],
        arguments=[_token("nx", "NX", since="2.6.12"), _token("xx", "XX", since="2.6.12")],
    ),
    _token("get", "GET", since="6.2.0", flags=["optional"]),
    _arg(
        "expiration",
        "oneof",
        flags=["optional"],
        arguments=[
            _arg("seconds", "integer", token="EX", since="2.6.12"),
            _arg("milliseconds", "integer", token="PX", since="2.6.12"),
            _arg("unix-time-seconds", "unix-time", token="EXAT", since="6.2.0"),
            _arg("unix-time-milliseconds", "unix-time", token="PXAT", since="6.2.0"),
            _token("keepttl", "KEEPTTL", since="6.0.0"),
        ],
    ),
]

EXPIRE_ARGUMENTS = [
    KEY,
    _arg("seconds", "integer"),
    _arg(
        "condition",
        "oneof",
        since="7.0.0",
        flags=["optional"],
        arguments=[_token(n, n.upper()) for n in ("nx", "xx", "gt", "lt")],
    ),
]

CLIENT_KILL_ARGUMENTS = [
    _arg(
        "filter",
        "oneof",
        arguments=[
            _arg("old-format", "string", display_text="ip:port", deprecated_since="2.8.12"),
            _arg(
                "new-format",
                "oneof",
                flags=["multiple"],
                arguments=[
                    _arg("client-id", "integer", token="ID", since="2.8.12", flags=["optional"]),
                    _arg(
                        "client-type",
                        "oneof",
                        token="TYPE",
                        since="2.8.12",
                        flags=["optional"],
                        arguments=[
                            _token("normal", "normal"),
                            _token("master", "master", since="3.2.0"),
                            _token("slave", "slave"),
                            _token("replica", "replica", since="5.0.0"),
                            _token("pubsub", "pubsub"),
                        ],
                    ),
                    _arg("username", "string", token="USER", flags=["optional"]),
                    _arg(
                        "addr", "string", display_text="ip:port", token="ADDR", flags=["optional"]
                    ),
                    _arg(
                        "laddr",
                        "string",
                        display_text="ip:port",
                        token="LADDR",
                        since="6.2.0",
                        flags=["optional"],
                    ),
                    _arg(
                        "skipme",
                        "oneof",
                        token="SKIPME",
                        flags=["optional"],
                        arguments=[_token("yes", "YES"), _token("no", "NO")],
                    ),
                ],
            ),
        ],
    )
]

EXPECTED = {
    "set": SET_ARGUMENTS,
    "get": [KEY],
    "expire": EXPIRE_ARGUMENTS,
    "client|kill": CLIENT_KILL_ARGUMENTS,
}


def _plain(reply: Any) -> Any:
    """A dispatcher/RESP3 reply with sets as lists and markers as bytes, for comparison."""
    if isinstance(reply, dict):
        return {_plain(k): _plain(v) for k, v in reply.items()}
    if isinstance(reply, (list, set, frozenset, tuple)):
        return [_plain(item) for item in reply]
    if isinstance(reply, str):
        return reply.encode()
    return reply


def _resp2(expected: Any) -> Any:
    """What RESP2 carries for an expected map: a flat array of alternating keys and values."""
    if isinstance(expected, dict):
        return [item for k, v in expected.items() for item in (k, _resp2(v))]
    if isinstance(expected, list):
        return [_resp2(item) for item in expected]
    return expected


def _arguments_of(run: Run, name: str) -> Any:
    return _plain(run("COMMAND", "DOCS", name)[name.encode()][b"arguments"])


def test_arguments_match_redis_field_by_field(run: Run) -> None:
    for name, expected in EXPECTED.items():
        got = _arguments_of(run, name)
        assert got == expected, name
        # Redis writes the fields in a fixed order; clients reading RESP2 pairs see it.
        assert [list(a) for a in got] == [list(a) for a in expected], name


def test_docs_fields_are_in_redis_order(run: Run) -> None:
    docs = run("COMMAND", "DOCS", "getset")[b"getset"]
    assert list(docs) == [
        b"summary",
        b"since",
        b"group",
        b"complexity",
        b"doc_flags",
        b"deprecated_since",
        b"replaced_by",
        b"arguments",
    ]
    assert _plain(docs[b"doc_flags"]) == [b"deprecated"]
    assert docs[b"deprecated_since"] == b"6.2.0"
    assert docs[b"replaced_by"] == b"`SET` with the `!GET` argument"
    quit_docs = run("COMMAND", "DOCS", "quit")[b"quit"]
    assert quit_docs[b"deprecated_since"] == b"7.2.0"
    assert b"arguments" not in quit_docs
    assert b"doc_flags" not in run("COMMAND", "DOCS", "set")[b"set"]


def test_subcommand_docs_carry_their_arguments(run: Run) -> None:
    client = run("COMMAND", "DOCS", "client")[b"client"]
    assert b"arguments" not in client  # containers have none in Redis
    kill = client[b"subcommands"][b"client|kill"]
    assert _plain(kill[b"arguments"]) == CLIENT_KILL_ARGUMENTS
    assert b"arguments" not in client[b"subcommands"][b"client|id"]


def test_over_the_wire_resp2_and_resp3(r: redis.Redis, r3: redis.Redis) -> None:
    for name, expected in EXPECTED.items():
        raw2 = r.execute_command("COMMAND DOCS", name)
        assert raw2[0] == name.encode()
        fields2 = raw2[1]
        assert fields2[fields2.index(b"arguments") + 1] == _resp2(expected), name
        raw3 = r3.execute_command("COMMAND DOCS", name)
        assert _plain(raw3[name.encode()][b"arguments"]) == expected, name


def test_every_builtin_command_has_an_entry(state: ServerState) -> None:
    names = {spec.full_name for top in state.commands for spec in (top, *top.subcommands.values())}
    assert names == set(DOC_ARGUMENTS)
    assert set(DOC_DEPRECATIONS) <= names


def _check_argument(spec: CommandSpec, argument: dict[str, Any]) -> None:
    kinds = {"string", "integer", "double", "key", "pattern", "unix-time", "pure-token"}
    kind = argument["type"]
    if kind in ("oneof", "block"):
        assert argument["arguments"], (spec.full_name, argument)
        for sub in argument["arguments"]:
            _check_argument(spec, sub)
        return
    assert kind in kinds, (spec.full_name, argument)
    assert "arguments" not in argument
    if kind == "pure-token":
        assert argument.get("token"), (spec.full_name, argument)
    if kind == "key":
        assert 0 <= argument["key_spec_index"] < len(spec.key_specs), spec.full_name
    assert set(argument.get("flags", ())) <= {"optional", "multiple", "multiple_token"}


def test_arguments_are_well_formed(state: ServerState) -> None:
    for top in state.commands:
        for spec in (top, *top.subcommands.values()):
            for argument in spec.doc_arguments:
                _check_argument(spec, argument)


def _module_handler(session: Session, argv: list[bytes]) -> Any:
    return 0


def test_module_commands_have_no_arguments(state: ServerState, run: Run) -> None:
    # Only built-ins get Redis's table: a module command's docs stay as the module gave them.
    spec = CommandSpec("hello.simple", _module_handler, -1, frozenset({"readonly"}), owner="hw")
    state.commands.register_all([spec])
    assert run("COMMAND", "DOCS", "hello.simple") == {
        b"hello.simple": {b"group": b"module", b"module": b"hw"}
    }
