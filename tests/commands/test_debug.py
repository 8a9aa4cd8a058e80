"""DEBUG: digests, OBJECT, SLEEP, SET-ACTIVE-EXPIRE, RELOAD, PROTOCOL, and its gate."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.assembly import build_state
from ferrite_host.core.config import Settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue
from ferrite_host.persistence.manager import Persistence
from ferrite_host.protocol import Error, encode

Run = Callable[..., Any]
ZEROS = "0" * 40


class ListType:
    """A stand-in module value type whose digest callback hashes the list's items."""

    name = "listtype1"
    encver = 0
    module_name = "lists"

    def release(self, value: Any) -> None:
        pass

    def mem_usage(self, value: Any) -> int:
        return 0

    def digest(self, value: Any) -> bytes:
        return b"\x00".join(value)

    def copy(self, value: Any) -> Any:
        return list(value)

    def can_save(self) -> bool:
        return True

    def save(self, value: Any) -> bytes:
        return b"\x00".join(value)

    def load(self, data: bytes, encver: int) -> Any:
        return data.split(b"\x00")

    def aof_rewrite(self, value: Any, key: bytes) -> list[list[bytes]] | None:
        return None


def runner(state: ServerState) -> Run:
    session = state.new_session()

    def run(*args: str) -> Any:
        return state.dispatcher.execute(session, [a.encode() for a in args])

    return run


def digest(run: Run) -> str:
    reply = run("DEBUG", "DIGEST")
    assert re.fullmatch(r"[0-9a-f]{40}", reply)
    return str(reply)


def test_digest_of_empty_dataset_is_zeros(run: Run) -> None:
    assert digest(run) == ZEROS
    run("SET", "k", "v")
    run("DEL", "k")
    assert digest(run) == ZEROS


def test_digest_depends_on_content_not_insertion_order() -> None:
    first, second = runner(build_state(Settings())), runner(build_state(Settings()))
    for key, value in (("a", "1"), ("b", "2"), ("c", "3")):
        first("SET", key, value)
    for key, value in (("c", "3"), ("a", "1"), ("b", "2")):
        second("SET", key, value)
    assert digest(first) == digest(second) != ZEROS
    second("SET", "b", "changed")
    assert digest(first) != digest(second)


def test_digest_sees_expiry_and_database(run: Run) -> None:
    run("SET", "k", "v")
    plain = digest(run)
    run("EXPIRE", "k", "1000")
    with_ttl = digest(run)
    assert with_ttl != plain
    run("PERSIST", "k")
    assert digest(run) == plain
    run("MOVE", "k", "1")
    assert digest(run) not in (plain, ZEROS)


def test_digest_value(run: Run) -> None:
    run("SET", "a", "same")
    run("SET", "b", "same")
    run("SET", "c", "other")
    a, b, c, missing = run("DEBUG", "DIGEST-VALUE", "a", "b", "c", "missing")
    assert a == b != c  # the key name is not part of a value's digest
    assert missing == ZEROS
    assert run("DEBUG", "DIGEST-VALUE") == []


def test_module_values_digest_through_their_type(run: Run, session: Session) -> None:
    vtype = ListType()
    session.db.set(b"l1", TypedValue(vtype, [b"x", b"y"]))
    session.db.set(b"l2", TypedValue(vtype, [b"x", b"y"]))
    session.db.set(b"l3", TypedValue(vtype, [b"x", b"z"]))
    d1, d2, d3 = run("DEBUG", "DIGEST-VALUE", "l1", "l2", "l3")
    assert d1 == d2 != d3 != ZEROS
    run("SET", "s", "x\x00y")
    assert run("DEBUG", "DIGEST-VALUE", "s") != [d1]  # type is part of the digest


def test_debug_object(run: Run, session: Session) -> None:
    run("SET", "n", "12345")
    run("SET", "short", "hello")
    run("SET", "long", "x" * 100)
    pattern = (
        r"Value at:0x[0-9a-f]+ refcount:1 encoding:(\w+) serializedlength:(\d+) "
        r"lru:\d+ lru_seconds_idle:\d+"
    )
    encodings = {}
    for key in ("n", "short", "long"):
        match = re.fullmatch(pattern, run("DEBUG", "OBJECT", key))
        assert match is not None
        encodings[key] = match.group(1)
    assert encodings == {"n": "int", "short": "embstr", "long": "raw"}
    session.db.set(b"typed", TypedValue(ListType(), [b"a"]))
    assert "encoding:raw serializedlength:1 " in run("DEBUG", "OBJECT", "typed")
    assert run("DEBUG", "OBJECT", "missing") == Error("ERR no such key")


def test_set_active_expire(run: Run, state: ServerState) -> None:
    assert run("DEBUG", "SET-ACTIVE-EXPIRE", "0") == "OK"
    assert state.keyspace.active_expire_enabled is False
    assert run("DEBUG", "SET-ACTIVE-EXPIRE", "1") == "OK"
    assert state.keyspace.active_expire_enabled is True


def test_reload_without_persistence_says_so(run: Run, state: ServerState) -> None:
    state.subsystems.remove(Persistence)
    reply = run("DEBUG", "RELOAD")
    assert isinstance(reply, Error) and "persistence" in reply


def test_protocol_samples(run: Run) -> None:
    assert (
        encode(run("DEBUG", "PROTOCOL", "bignum"), 3)
        == b"(1234567999999999999999999999999999999\r\n"
    )
    assert encode(run("DEBUG", "PROTOCOL", "set"), 3) == b"~3\r\n:0\r\n:1\r\n:2\r\n"
    assert encode(run("DEBUG", "PROTOCOL", "false"), 2) == b":0\r\n"
    assert run("DEBUG", "PROTOCOL", "nope").startswith("ERR Wrong protocol type name.")


def test_help_and_bad_subcommands(run: Run) -> None:
    assert (
        run("DEBUG", "HELP")[0] == "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    )
    expected = "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP."
    assert run("DEBUG", "jmap") == Error(expected.format("jmap"))
    assert run("DEBUG", "OBJECT") == Error(expected.format("OBJECT"))
    assert run("DEBUG", "sleep", "1", "2") == Error(expected.format("sleep"))
    assert run("DEBUG") == Error("ERR wrong number of arguments for 'debug' command")


@pytest.mark.parametrize(
    ("setting", "addr", "allowed"),
    [
        ("yes", "10.1.2.3:4000", True),
        ("no", "127.0.0.1:4000", False),
        ("local", "127.0.0.1:4000", True),
        ("local", "[::1]:4000", True),
        ("local", "10.1.2.3:4000", False),
        ("local", "", True),  # internal callers have no address
    ],
)
def test_enable_debug_command_gate(
    state: ServerState, setting: str, addr: str, allowed: bool
) -> None:
    state.settings.enable_debug_command = setting  # type: ignore[assignment]
    session = state.new_session(addr)
    reply = state.dispatcher.execute(session, [b"DEBUG", b"DIGEST"])
    if allowed:
        assert reply == ZEROS
    else:
        assert reply == Error(
            'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
            "you can run it from a local connection, otherwise you need to set this option in "
            "the configuration file, and then restart the server."
        )


def test_debug_sleep_blocks_the_server(r: redis.Redis, server: Any) -> None:
    other = server.client()
    other.ping()
    timings: dict[str, float] = {}

    def ping_while_sleeping() -> None:
        time.sleep(0.05)
        start = time.monotonic()
        other.ping()
        timings["ping"] = time.monotonic() - start

    thread = threading.Thread(target=ping_while_sleeping)
    thread.start()
    assert r.execute_command("DEBUG", "SLEEP", "0.4") in (b"OK", True)
    thread.join()
    assert timings["ping"] > 0.2
    assert r.execute_command("DEBUG", "SLEEP", "0") in (b"OK", True)
    other.close()


def test_digest_over_the_wire(r: redis.Redis) -> None:
    assert r.execute_command("DEBUG", "DIGEST") == ZEROS.encode()
    r.set("k", "v")
    assert r.execute_command("DEBUG", "DIGEST") != ZEROS.encode()


def test_reload_keeps_the_dataset(r: redis.Redis) -> None:
    r.set("a", "1")
    r.set("b", "2", px=100_000)
    before = r.execute_command("DEBUG", "DIGEST")
    assert r.execute_command("DEBUG", "RELOAD") in (b"OK", True)
    assert r.execute_command("DEBUG", "DIGEST") == before != ZEROS.encode()
    assert r.get("a") == b"1" and 0 < r.pttl("b") <= 100_000
