"""Key commands (Redis's generic group): replies, errors and the command table rows."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
import redis
from box_type import BoxType

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue
from ferrite_host.testing import FerriteProcess

Run = Callable[..., Any]


def put_box(session: Session, key: bytes, copy_mode: str = "deep") -> BoxType:
    box_type = BoxType(copy_mode)
    session.db.set(key, TypedValue(box_type, [1, 2]))
    return box_type


# -- DEL, UNLINK, EXISTS, TOUCH, TYPE --------------------------------------------------------


@pytest.mark.parametrize("name", ["DEL", "UNLINK"])
def test_del_counts_removed_keys_once(run: Run, name: str) -> None:
    run("MSET", "a", "1", "b", "2")
    assert run(name, "a", "b", "a", "missing") == 2
    assert run("DBSIZE") == 0
    assert run(name, "a") == 0


def test_del_releases_typed_values(run: Run, session: Session) -> None:
    box_type = put_box(session, b"box")
    assert run("DEL", "box") == 1
    assert box_type.released == [[1, 2]]


@pytest.mark.parametrize("name", ["EXISTS", "TOUCH"])
def test_exists_counts_every_mention(run: Run, name: str) -> None:
    run("SET", "a", "1")
    assert run(name, "a", "a", "b") == 2
    assert run(name, "missing") == 0


def test_type(run: Run, session: Session) -> None:
    run("SET", "s", "v")
    put_box(session, b"box")
    assert run("TYPE", "s") == "string"
    assert run("TYPE", "box") == "box-type1"
    assert run("TYPE", "missing") == "none"


# -- KEYS, SCAN, RANDOMKEY -------------------------------------------------------------------


def test_keys_patterns(run: Run) -> None:
    run("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "heeeello", "4", "hllo", "5", "a*b", "6")
    assert sorted(run("KEYS", "*")) == sorted(
        [b"hello", b"hallo", b"hxllo", b"heeeello", b"hllo", b"a*b"]
    )
    assert sorted(run("KEYS", "h?llo")) == [b"hallo", b"hello", b"hxllo"]
    assert sorted(run("KEYS", "h*llo")) == [b"hallo", b"heeeello", b"hello", b"hllo", b"hxllo"]
    assert sorted(run("KEYS", "h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(run("KEYS", "h[^e]llo")) == [b"hallo", b"hxllo"]
    assert sorted(run("KEYS", "h[a-b]llo")) == [b"hallo"]
    assert run("KEYS", "a\\*b") == [b"a*b"]
    assert run("KEYS", "nomatch*") == []


def _scan_all(run: Run, *options: str) -> list[bytes]:
    cursor = b"0"
    seen: list[bytes] = []
    for _ in range(1000):
        cursor, batch = run("SCAN", cursor, *options)
        seen.extend(batch)
        if cursor == b"0":
            return seen
    raise AssertionError("SCAN never returned cursor 0")


def test_scan_visits_every_key_once(run: Run) -> None:
    names = [f"key:{i}".encode() for i in range(95)]
    for name in names:
        run("SET", name, "v")
    seen = _scan_all(run, "COUNT", "7")
    assert sorted(seen) == sorted(names)
    assert len(seen) == len(set(seen))


def test_scan_default_count_is_ten(run: Run) -> None:
    for i in range(25):
        run("SET", f"k{i}", "v")
    cursor, batch = run("SCAN", "0")
    assert cursor != b"0"
    assert len(batch) == 10


def test_scan_match_and_type(run: Run, session: Session) -> None:
    run("MSET", "user:1", "a", "user:2", "b", "other", "c")
    put_box(session, b"user:box")
    assert sorted(_scan_all(run, "MATCH", "user:*")) == [b"user:1", b"user:2", b"user:box"]
    assert sorted(_scan_all(run, "MATCH", "user:*", "TYPE", "string")) == [b"user:1", b"user:2"]
    assert _scan_all(run, "TYPE", "BOX-TYPE1") == [b"user:box"]
    assert _scan_all(run, "TYPE", "hash") == []
    assert len(_scan_all(run, "MATCH", "*", "COUNT", "1000")) == 4


def test_scan_skips_keys_that_expire_mid_scan(run: Run, session: Session) -> None:
    for i in range(20):
        run("SET", f"k{i}", "v")
    cursor, first = run("SCAN", "0", "COUNT", "5")
    remaining = {f"k{i}".encode() for i in range(20)} - set(first)
    gone = sorted(remaining)[0]
    session.db.set_expire(gone, 1)  # already past: removed
    rest: list[bytes] = []
    while cursor != b"0":
        cursor, batch = run("SCAN", cursor, "COUNT", "5")
        rest.extend(batch)
    assert set(rest) == remaining - {gone}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("x",), "ERR invalid cursor"),
        ((" 1",), "ERR invalid cursor"),
        (("1 ",), "ERR invalid cursor"),
        (("99999999999999999999",), "ERR invalid cursor"),
        (("0", "COUNT", "0"), "ERR syntax error"),
        (("0", "COUNT", "-1"), "ERR syntax error"),
        (("0", "COUNT", "x"), "ERR value is not an integer or out of range"),
        (("0", "COUNT"), "ERR syntax error"),
        (("0", "MATCH"), "ERR syntax error"),
        (("0", "FOO", "bar"), "ERR syntax error"),
    ],
)
def test_scan_errors(run: Run, args: tuple[str, ...], error: str) -> None:
    assert run("SCAN", *args) == error


def test_scan_cursor_accepts_what_strtoul_accepts(run: Run) -> None:
    run("SET", "k", "v")
    assert run("SCAN", "+0") == [b"0", [b"k"]]
    assert run("SCAN", "0" * 30) == [b"0", [b"k"]]
    assert run("SCAN", "")[1] == [b"k"]
    assert run("SCAN", "-1")[0] == b"0"  # wraps to a huge cursor: a fresh, finished scan


def test_randomkey(run: Run) -> None:
    assert run("RANDOMKEY") is None
    run("MSET", "a", "1", "b", "2")
    for _ in range(10):
        assert run("RANDOMKEY") in (b"a", b"b")


# -- RENAME, RENAMENX, COPY ------------------------------------------------------------------


def test_rename_moves_value_and_ttl(run: Run) -> None:
    run("SET", "a", "1", "EX", "100")
    run("SET", "b", "2")
    assert run("RENAME", "a", "b") == "OK"
    assert run("GET", "b") == b"1"
    assert 0 < run("TTL", "b") <= 100
    assert run("EXISTS", "a") == 0


def test_rename_errors_and_same_name(run: Run) -> None:
    assert run("RENAME", "missing", "x") == "ERR no such key"
    assert run("RENAMENX", "missing", "x") == "ERR no such key"
    assert run("RENAME", "missing", "missing") == "ERR no such key"
    run("SET", "a", "1")
    assert run("RENAME", "a", "a") == "OK"
    assert run("RENAMENX", "a", "a") == 0
    assert run("GET", "a") == b"1"


def test_renamenx(run: Run) -> None:
    run("MSET", "a", "1", "b", "2")
    assert run("RENAMENX", "a", "b") == 0
    assert run("RENAMENX", "a", "c") == 1
    assert run("MGET", "a", "b", "c") == [None, b"2", b"1"]


def test_rename_over_typed_value_releases_it(run: Run, session: Session) -> None:
    box_type = put_box(session, b"box")
    run("SET", "a", "1")
    assert run("RENAME", "a", "box") == "OK"
    assert box_type.released == [[1, 2]]
    assert run("TYPE", "box") == "string"


def test_rename_keeps_typed_value_alive(run: Run, session: Session) -> None:
    box_type = put_box(session, b"box")
    assert run("RENAME", "box", "moved") == "OK"
    assert box_type.released == []
    assert run("TYPE", "moved") == "box-type1"


def test_copy(run: Run) -> None:
    run("SET", "a", "1", "EX", "100")
    assert run("COPY", "a", "b") == 1
    assert run("GET", "b") == b"1"
    assert 0 < run("TTL", "b") <= 100
    assert run("COPY", "a", "b") == 0
    run("SET", "a", "2")
    assert run("COPY", "a", "b", "REPLACE") == 1
    assert run("GET", "b") == b"2"
    assert run("TTL", "b") == -1
    assert run("COPY", "missing", "c") == 0


def test_copy_to_other_database(run: Run, state: ServerState) -> None:
    run("SET", "a", "1")
    assert run("COPY", "a", "a", "DB", "3") == 1
    assert state.keyspace[3].get(b"a") == b"1"
    assert run("COPY", "a", "a", "DB", "3") == 0
    assert run("COPY", "a", "a", "DB", "3", "REPLACE") == 1
    assert run("COPY", "a", "a", "DB", "0") == "ERR source and destination objects are the same"
    assert run("COPY", "a", "a") == "ERR source and destination objects are the same"
    assert run("COPY", "a", "b", "DB", "16") == "ERR DB index is out of range"
    assert run("COPY", "a", "b", "DB", "-1") == "ERR DB index is out of range"
    not_integer = "ERR value is not an integer or out of range"
    assert run("COPY", "a", "b", "DB", "x") == not_integer
    assert run("COPY", "a", "b", "DB", "4294967296") == not_integer
    assert run("COPY", "a", "b", "DB") == "ERR syntax error"
    assert run("COPY", "a", "b", "FOO") == "ERR syntax error"


def test_copy_edited_string_is_independent(run: Run) -> None:
    run("SET", "a", "x")
    run("APPEND", "a", "y")
    run("COPY", "a", "b")
    run("APPEND", "a", "z")
    run("SETRANGE", "b", "0", "Q")
    assert run("MGET", "a", "b") == [b"xyz", b"Qy"]


def test_copy_module_values(run: Run, session: Session) -> None:
    put_box(session, b"deep")
    assert run("COPY", "deep", "deep2") == 1
    original, copied = session.db.get(b"deep"), session.db.get(b"deep2")
    assert isinstance(original, TypedValue) and isinstance(copied, TypedValue)
    assert copied.value == original.value and copied.value is not original.value
    put_box(session, b"nocopy", copy_mode="missing")
    assert run("COPY", "nocopy", "x") == "ERR not supported for this module key"
    put_box(session, b"broken", copy_mode="fails")
    assert run("COPY", "broken", "x") == "ERR module key failed to copy"
    assert run("EXISTS", "x") == 0


# -- OBJECT ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "encoding"),
    [
        ("12345", b"int"),
        ("-9223372036854775808", b"int"),
        ("9223372036854775808", b"embstr"),
        ("01", b"embstr"),
        ("hello", b"embstr"),
        ("x" * 44, b"embstr"),
        ("x" * 45, b"raw"),
    ],
)
def test_object_encoding_follows_content(run: Run, value: str, encoding: bytes) -> None:
    run("SET", "k", value)
    assert run("OBJECT", "ENCODING", "k") == encoding


def test_object_encoding_after_edits_and_for_module_values(run: Run, session: Session) -> None:
    run("SET", "k", "abc")
    run("APPEND", "k", "d")
    assert run("OBJECT", "ENCODING", "k") == b"raw"
    run("SETRANGE", "r", "0", "1")
    assert run("OBJECT", "ENCODING", "r") == b"raw"
    run("INCR", "n")
    assert run("OBJECT", "encoding", "n") == b"int"
    put_box(session, b"box")
    assert run("OBJECT", "ENCODING", "box") == b"raw"
    assert run("OBJECT", "ENCODING", "missing") is None


def test_object_refcount(run: Run, state: ServerState) -> None:
    run("MSET", "small", "100", "big", "12345", "text", "abc")
    assert run("OBJECT", "REFCOUNT", "small") == 2147483647  # a shared integer
    assert run("OBJECT", "REFCOUNT", "big") == 1
    assert run("OBJECT", "REFCOUNT", "text") == 1
    assert run("OBJECT", "REFCOUNT", "missing") is None
    state.settings.maxmemory = 1 << 30
    state.settings.maxmemory_policy = "allkeys-lru"  # Redis stops sharing integers then
    assert run("OBJECT", "REFCOUNT", "small") == 1


def test_object_freq_and_idletime_follow_the_policy(run: Run, state: ServerState) -> None:
    run("SET", "k", "v")
    assert run("OBJECT", "FREQ", "missing") is None
    assert run("OBJECT", "FREQ", "k") == (
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust."
    )
    assert run("OBJECT", "IDLETIME", "k") == 0
    state.settings.maxmemory_policy = "allkeys-lfu"
    assert isinstance(run("OBJECT", "FREQ", "k"), int)
    assert run("OBJECT", "IDLETIME", "k") == (
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust."
    )


def test_object_help_and_errors(run: Run) -> None:
    lines = run("OBJECT", "HELP")
    assert lines[0] == "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[-2:] == ["HELP", "    Prints this help."]
    assert "REFCOUNT <key>" in lines
    assert run("OBJECT", "FOO", "k") == "ERR unknown subcommand 'FOO'. Try OBJECT HELP."
    arity = "ERR wrong number of arguments for 'object|encoding' command"
    assert run("OBJECT", "ENCODING") == arity
    assert run("OBJECT") == "ERR wrong number of arguments for 'object' command"


# -- the command table -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arity", "flags", "triple"),
    [
        ("get", 2, {"readonly", "fast"}, (1, 1, 1)),
        ("set", -3, {"write", "denyoom"}, (1, 1, 1)),
        ("setnx", 3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        ("getex", -2, {"write", "fast"}, (1, 1, 1)),
        ("mget", -2, {"readonly", "fast"}, (1, -1, 1)),
        ("mset", -3, {"write", "denyoom"}, (1, -1, 2)),
        ("msetnx", -3, {"write", "denyoom"}, (1, -1, 2)),
        ("incrbyfloat", 3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        ("getrange", 4, {"readonly"}, (1, 1, 1)),
        ("lcs", -3, {"readonly"}, (1, 2, 1)),
        ("del", -2, {"write"}, (1, -1, 1)),
        ("unlink", -2, {"write", "fast"}, (1, -1, 1)),
        ("exists", -2, {"readonly", "fast"}, (1, -1, 1)),
        ("keys", 2, {"readonly"}, (0, 0, 0)),
        ("scan", -2, {"readonly"}, (0, 0, 0)),
        ("randomkey", 1, {"readonly"}, (0, 0, 0)),
        ("rename", 3, {"write"}, (1, 2, 1)),
        ("renamenx", 3, {"write", "fast"}, (1, 2, 1)),
        ("copy", -3, {"write", "denyoom"}, (1, 2, 1)),
        ("touch", -2, {"readonly", "fast"}, (1, -1, 1)),
        ("expire", -3, {"write", "fast"}, (1, 1, 1)),
        ("pexpireat", -3, {"write", "fast"}, (1, 1, 1)),
        ("ttl", 2, {"readonly", "fast"}, (1, 1, 1)),
        ("pexpiretime", 2, {"readonly", "fast"}, (1, 1, 1)),
        ("persist", 2, {"write", "fast"}, (1, 1, 1)),
    ],
)
def test_command_table_rows(
    state: ServerState, name: str, arity: int, flags: set[str], triple: tuple[int, int, int]
) -> None:
    spec = state.commands.lookup(name)
    assert spec is not None
    assert spec.arity == arity
    assert set(spec.flags) == flags
    assert (spec.first_key, spec.last_key, spec.key_step) == triple
    assert spec.summary and spec.since and spec.complexity


def test_command_table_details(state: ServerState) -> None:
    since = {
        "getdel": "6.2.0",
        "copy": "6.2.0",
        "lcs": "7.0.0",
        "expiretime": "7.0.0",
        "scan": "2.8.0",
        "unlink": "4.0.0",
        "touch": "3.2.1",
        "mset": "1.0.1",
    }
    for name, version in since.items():
        spec = state.commands.lookup(name)
        assert spec is not None and spec.since == version, name
    rename = state.commands.lookup("rename")
    assert rename is not None
    flags = [ks["flags"] for ks in rename.key_specs]
    assert flags == [["RW", "ACCESS", "DELETE"], ["OW", "UPDATE"]]
    mset = state.commands.lookup("mset")
    assert mset is not None
    assert mset.key_specs[0]["find_keys"]["spec"] == {"lastkey": -1, "keystep": 2, "limit": 0}
    assert "request_policy:multi_shard" in mset.tips
    obj = state.commands.lookup("object")
    assert obj is not None
    encoding = obj.subcommands["encoding"]
    assert (encoding.arity, encoding.first_key, encoding.full_name) == (3, 2, "object|encoding")
    assert encoding.key_specs[0]["begin_search"]["spec"] == {"index": 2}
    assert {spec.group for spec in state.commands if spec.name in ("del", "scan", "object")} == {
        "generic"
    }


# -- over the wire ---------------------------------------------------------------------------


def test_wire_resp2(r: redis.Redis) -> None:
    r.mset({"a": "1", "b": "2"})
    assert r.exists("a", "b", "c") == 2
    assert r.type("a") == b"string"
    assert r.type("none") == b"none"
    assert sorted(r.keys("*")) == [b"a", b"b"]
    assert sorted(r.scan_iter(count=1)) == [b"a", b"b"]
    cursor, keys = r.scan(0, match="a", count=100)
    assert (cursor, keys) == (0, [b"a"])
    assert r.rename("a", "c") is True
    assert r.renamenx("c", "b") is False
    assert r.copy("c", "d") is True
    assert r.object("encoding", "d") == b"int"
    assert r.delete("b", "c", "d") == 3
    assert r.randomkey() is None
    with pytest.raises(redis.ResponseError, match=r"^no such key$"):
        r.rename("nothing", "x")


def test_wire_resp3(r3: redis.Redis) -> None:
    r3.set("a", "1")
    assert r3.type("a") == b"string"
    assert r3.scan(0) == (0, [b"a"])
    assert r3.object("encoding", "a") == b"int"
    assert r3.touch("a", "missing") == 1
    assert r3.unlink("a") == 1


def _exchange(port: int, payload: bytes, expected: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        data = b""
        while len(data) < len(expected):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def _command(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def test_wire_exact_bytes_in_both_protocols(server: FerriteProcess) -> None:
    commands = [
        (b"FLUSHALL",),
        (b"SET", b"k", b"12"),
        (b"TYPE", b"k"),
        (b"TYPE", b"nope"),
        (b"SCAN", b"0", b"MATCH", b"k"),
        (b"OBJECT", b"ENCODING", b"k"),
        (b"OBJECT", b"ENCODING", b"nope"),
        (b"TTL", b"k"),
        (b"RANDOMKEY",),
        (b"EXPIRE", b"k", b"10", b"NX", b"XX"),
    ]
    common = (
        b"+OK\r\n+OK\r\n+string\r\n+none\r\n*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"
        b"$3\r\nint\r\n%s:-1\r\n$1\r\nk\r\n"
        b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    )
    payload = b"".join(_command(*c) for c in commands)
    resp2 = common % b"$-1\r\n"
    assert _exchange(server.port, payload, resp2) == resp2
    hello = _command(b"HELLO", b"3")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(hello + payload)
        data = b""
        resp3 = common % b"_\r\n"
        while not data.endswith(resp3):
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
