"""ACL selectors, requirepass as the default user's password, and AUTH / HELLO AUTH
differential against redis-server: the same SETUSER / GETUSER / LIST / DRYRUN / AUTH
sequences to both, every reply compared (password hashes included). Command rules are
compared as sets of words: Redis lists single commands in its hash-table order."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hiredis_conn import Conn

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    theirs = reference_redis("--acllog-max-len", "127")  # a server of this module's own
    with FerriteProcess(modules=[]) as ours:
        yield theirs, ours.port


def _fields(reply: Any) -> Any:
    """GETUSER (or one selector of it) as a dict, command words sorted."""
    if not isinstance(reply, list):
        return reply
    fields = dict(zip(reply[::2], reply[1::2], strict=True))
    if isinstance(fields.get(b"commands"), bytes):
        fields[b"commands"] = sorted(fields[b"commands"].split())
    if b"selectors" in fields:
        fields[b"selectors"] = [_fields(selector) for selector in fields[b"selectors"]]
    return fields


def _line(line: Any) -> Any:
    """An ACL LIST line with the words of each part (root, each selector) sorted."""
    if not isinstance(line, bytes):
        return line
    parts = re.split(rb"\s*\(([^)]*)\)", line)
    return [sorted(part.split()) for part in parts if part.strip()]


SETUSER_CASES: list[list[str]] = [
    ["on", ">pw", "~a*", "+get", "(~b* +set)", "(%R~c* +@read -get)"],
    ["(~x", "+get)", "(", "~y", ")"],
    ["( ~x   +get )", "(~x allkeys)", "()"],
    ["(~x +get)", "clearselectors", "(%W~w* &ch* +@write)"],
    ["(&ch allchannels +publish)", "(~k resetkeys ~j -@all +@hash -hset)"],
    ["(~x +get", "~y"],
    ["(~x"],
    ["+get)"],
    ["(on)"],
    ["(>pw)"],
    ["(nopass)"],
    ["(reset)"],
    ["(clearselectors)"],
    ["(sanitize-payload)"],
    ["(allkeys ~x)"],
    ["(+@nosuch)"],
    ["(&* &x)"],
    ["~a", "~*"],
    ["&a", "&*"],
    ["&*", "&a"],
    ["%R~*", "~a"],
    ["skip-sanitize-payload", "(~q +get)", "reset"],
]


@pytest.mark.parametrize("rules", SETUSER_CASES, ids=lambda r: " ".join(r)[:40])
def test_selector_rules_like_redis(ports: tuple[int, int], rules: list[str]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        out = [conn("ACL", "SETUSER", "sel", "reset", *rules)]
        out.append(_fields(conn("ACL", "GETUSER", "sel")))
        out.append([_line(line) for line in conn("ACL", "LIST")])
        out.append(conn("ACL", "DELUSER", "sel"))
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


SELECTOR_USER = [
    "on",
    ">pw",
    "~a*",
    "+get",
    "+mget",
    "(~b* +set +get)",
    "(%R~c* +@read -get)",
    "(&news.* +publish +subscribe)",
]
DRYRUNS = [
    ["set", "b1", "x"],
    ["set", "a1", "x"],
    ["get", "c"],
    ["get", "b"],
    ["mget", "c1", "a1"],
    ["mget", "c1", "c2"],
    ["mget", "a1", "b1"],
    ["mget", "a1", "zz", "c1"],
    ["set", "c1", "x"],
    ["del", "a1"],
    ["publish", "news.a", "m"],
    ["publish", "other", "m"],
    ["subscribe", "news.a", "other"],
    ["lpush", "b1", "x"],
    ["strlen", "c1"],
    ["strlen", "d1"],
]


def test_dryrun_across_selectors_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        out = [conn("ACL", "SETUSER", "multi", "reset", *SELECTOR_USER)]
        out += [conn("ACL", "DRYRUN", "multi", *argv) for argv in DRYRUNS]
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


ATTEMPTS = [
    ["AUTH", "multi", "pw"],
    ["SET", "b1", "v"],
    ["GET", "b1"],
    ["GET", "a1"],
    ["SET", "a1", "v"],
    ["STRLEN", "c1"],
    ["GET", "c1"],
    ["MGET", "c1", "a1"],
    ["PUBLISH", "news.x", "m"],
    ["PUBLISH", "other", "m"],
    ["DEL", "b1"],
]


def test_selectors_enforced_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        admin("ACL", "SETUSER", "multi", "reset", *SELECTOR_USER)
        admin("ACL", "LOG", "RESET")
        conn = Conn(port)
        out = [conn(*argv) for argv in ATTEMPTS]
        log = admin("ACL", "LOG")
        out.append([_log_entry(entry) for entry in log])
        admin("ACL", "DELUSER", "multi")
        admin("DEL", "b1")
        conn.close()
        admin.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def _finish(admin: Conn, conn: Conn, user: str) -> None:
    """Drop the scenario's user and both connections."""
    admin("ACL", "DELUSER", user)
    conn.close()
    admin.close()


def _log_entry(entry: list[Any]) -> Any:
    """An ACL LOG entry without its timing fields; the client line reduced to user and cmd."""
    fields = dict(zip(entry[::2], entry[1::2], strict=True))
    fields.pop(b"age-seconds")
    info = dict(w.split(b"=", 1) for w in fields.pop(b"client-info").split() if b"=" in w)
    return [fields, info[b"user"], info[b"cmd"]]


def test_requirepass_is_the_default_users_password_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        before = Conn(port)  # connected while the default user was nopass: stays in
        admin = Conn(port)
        out = [admin("CONFIG", "SET", "requirepass", "s3cret")]
        out.append(_fields(admin("ACL", "GETUSER", "default")))
        out.append(before("PING"))
        fresh = Conn(port)
        out += [
            fresh("PING"),
            fresh("AUTH", "wrong"),
            fresh("AUTH", "default", "wrong"),
            fresh("HELLO", "2", "AUTH", "default", "wrong"),
            fresh("AUTH", "s3cret"),
            fresh("ACL", "WHOAMI"),
        ]
        hello = Conn(port)
        reply = hello("HELLO", "3", "AUTH", "default", "s3cret")
        out.append(reply.get(b"proto") if isinstance(reply, dict) else reply)
        out.append(hello("ACL", "WHOAMI"))
        out.append(fresh("ACL", "SETUSER", "default", ">another"))
        out.append(_fields(fresh("ACL", "GETUSER", "default")))
        out.append(fresh("CONFIG", "GET", "requirepass"))
        other = Conn(port)
        out += [other("AUTH", "another"), other("ACL", "WHOAMI")]
        out.append(fresh("CONFIG", "SET", "requirepass", ""))
        out.append(_fields(fresh("ACL", "GETUSER", "default")))
        late = Conn(port)
        out += [late("PING"), late("AUTH", "x"), late("AUTH", "default", "anything")]
        out.append(fresh("ACL", "SETUSER", "default", "resetpass"))
        locked = Conn(port)
        out += [locked("PING"), locked("HELLO", "3"), locked("AUTH", "x")]
        out.append(fresh("ACL", "SETUSER", "default", "nopass"))
        out.append(locked("PING"))  # nopass again: an unauthenticated client may run
        out.append([line.split() for line in fresh("ACL", "LIST")])
        for conn in (before, admin, fresh, hello, other, late, locked):
            conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def test_auth_with_a_username_and_hello_auth_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        admin("ACL", "SETUSER", "alice", "reset", "on", ">a1", ">a2", "~*", "+@all")
        admin("ACL", "SETUSER", "offuser", "reset", "off", ">pw", "+@all")
        admin("ACL", "SETUSER", "free", "reset", "on", "nopass", "+acl")
        admin("ACL", "LOG", "RESET")
        conn = Conn(port)
        out = [
            conn("AUTH", "alice", "a2"),
            conn("ACL", "WHOAMI"),
            conn("AUTH", "alice", "nope"),
            conn("ACL", "WHOAMI"),
            conn("AUTH", "offuser", "pw"),
            conn("AUTH", "free", "whatever"),
            conn("ACL", "WHOAMI"),
            conn("HELLO", "2", "AUTH", "alice", "bad"),
            conn("HELLO", "2", "AUTH", "nobody", "x"),
            conn("HELLO", "2", "AUTH", "alice"),
            conn("HELLO", "2", "AUTH", "alice", "a1", "SETNAME", "me")[:2],
            conn("ACL", "WHOAMI"),
            conn("CLIENT", "GETNAME"),
        ]
        out.append([_log_entry(entry) for entry in admin("ACL", "LOG")])
        admin("ACL", "DELUSER", "alice", "offuser", "free")
        conn.close()
        admin.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def test_genpass_and_cat_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        out: list[Any] = [[len(conn("ACL", "GENPASS", str(bits))) for bits in (1, 4, 7, 8, 255)]]
        out += [conn("ACL", "GENPASS", arg) for arg in ("abc", "-1", "0", "4097", "1.5")]
        out.append(conn("ACL", "CAT", "a", "b"))
        out.append(conn("ACL", "CAT", "STRING") == conn("ACL", "CAT", "string"))
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


SCRIPTS = [
    "return redis.call('set','a','x')",
    "return redis.call('get','b')",
    "return redis.call('publish','d','m')",
    "return redis.pcall('get','b')",
    "return redis.call('get','a')",
    "return redis.call('publish','c','m')",
]


def test_scripts_run_with_the_callers_permissions_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        admin("ACL", "SETUSER", "lua", "reset", "on", "nopass", "~a*", "&c", "+eval", "+get")
        admin("ACL", "SETUSER", "lua", "+publish")
        admin("ACL", "LOG", "RESET")
        conn = Conn(port)
        out = [conn("AUTH", "lua", "x")]
        for script in SCRIPTS:
            reply = conn("EVAL", script, "0")
            out.append(
                (reply[0], reply[1].split(" script: ")[0]) if isinstance(reply, tuple) else reply
            )
        out.append([_log_entry(entry) for entry in admin("ACL", "LOG")])
        _finish(admin, conn, "lua")
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


FIRST_ARG_RULES: list[list[str]] = [
    ["on", "nopass", "~*", "+select|0", "+select|1", "+get"],
    ["+select|0", "+select"],
    ["+select|0", "-select|0"],
    ["+@all", "-select", "+select|3"],
    ["+select|3", "-@all"],
    ["+select|2", "+@connection"],
    ["+@connection", "+select|2"],
    ["+select|A", "+select|a"],
    ["+config|get|x"],
    ["+config|nosuch"],
    ["+select|"],
    ["+nosuch|x"],
    ["(+select|5 ~*)"],
]


@pytest.mark.parametrize("rules", FIRST_ARG_RULES, ids=lambda r: " ".join(r)[:40])
def test_first_argument_rules_like_redis(ports: tuple[int, int], rules: list[str]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        out = [conn("ACL", "SETUSER", "fa", "reset", "on", "nopass", *rules)]
        out.append(_fields(conn("ACL", "GETUSER", "fa")))
        out += [
            conn("ACL", "DRYRUN", "fa", "select", arg) for arg in ("0", "1", "2", "3", "a", "5")
        ]
        out.append(conn("ACL", "DELUSER", "fa"))
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def test_subscribers_losing_their_channels_are_disconnected_like_redis(
    ports: tuple[int, int],
) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        admin("ACL", "SETUSER", "sub", "reset", "on", "nopass", "+@all", "allchannels")
        out = []
        for new_rules in (["resetchannels", "&news.*"], ["resetchannels", "&other"]):
            admin("ACL", "SETUSER", "sub", "allchannels")
            listener, patterned = Conn(port), Conn(port)
            listener("AUTH", "sub", "x")
            patterned("AUTH", "sub", "x")
            out.append(listener("SUBSCRIBE", "news.a"))
            out.append(patterned("PSUBSCRIBE", "news.*"))
            out.append(admin("ACL", "SETUSER", "sub", *new_rules))
            out += [listener("PING"), patterned("PING")]
            listener.close()
            patterned.close()
        admin("ACL", "DELUSER", "sub")
        admin.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def test_acl_pubsub_default_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        out = [conn("CONFIG", "GET", "acl-pubsub-default")]
        out.append(conn("CONFIG", "SET", "acl-pubsub-default", "allchannels"))
        out.append(conn("ACL", "SETUSER", "pd1", "(~x)"))
        out.append(conn("ACL", "SETUSER", "pd2", "reset"))
        out.append([_line(line) for line in conn("ACL", "LIST")])
        out.append(conn("CONFIG", "SET", "acl-pubsub-default", "bogus"))
        out.append(conn("CONFIG", "SET", "acl-pubsub-default", "resetchannels"))
        out.append(conn("ACL", "SETUSER", "pd2", "reset"))
        out.append(_fields(conn("ACL", "GETUSER", "pd2")))
        out.append(conn("ACL", "DELUSER", "pd1", "pd2"))
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


DESCRIBED = [
    "+@read +@write",
    "+@write +@read",
    "+@admin -@dangerous",
    "+@read -@hash +@hash",
    "+config -@dangerous -del +@keyspace -get",
    "+@all -@fast",
    "+@all +@string -@fast",
    "+@hash +@string -@read",
    "+@string +@fast",
    "+@all -config|set -@admin",
    "+@all -client +client|id",
    "-@all +client +@admin",
    "+@pubsub -publish",
    "+@list -@write",
]


@pytest.mark.parametrize("rules", DESCRIBED)
def test_command_rules_described_like_redis(ports: tuple[int, int], rules: str) -> None:
    """GETUSER's compact form: Redis's categories and single-command differences."""

    def scenario(port: int) -> Any:
        conn = Conn(port)
        conn("ACL", "SETUSER", "described", "reset", *rules.split())
        described = _fields(conn("ACL", "GETUSER", "described"))
        conn("ACL", "DELUSER", "described")
        conn.close()
        return described

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def _plain(reply: Any) -> Any:
    """Error replies inside arrays (EXEC's) as ("error", text), so replies compare."""
    if isinstance(reply, list):
        return [_plain(item) for item in reply]
    if isinstance(reply, Exception):
        return ("error", str(reply))
    return reply


def test_exec_checks_acl_rules_again_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        admin("ACL", "SETUSER", "tx", "reset", "on", "nopass", "~k*", "&c", "+@all", "-config")
        admin("ACL", "LOG", "RESET")
        conn = Conn(port)
        out = []
        for queued in (
            ["GET", "x"],
            ["PUBLISH", "d", "m"],
            ["CONFIG", "GET", "port"],
            ["GET", "k1"],
        ):
            out += [conn("MULTI"), conn("AUTH", "tx", "bad"), conn("AUTH", "tx", "x")]
            out += [conn(*queued), _plain(conn("EXEC")), conn("AUTH", "default", "x")]
        out.append([_log_entry(entry) for entry in admin("ACL", "LOG")])
        _finish(admin, conn, "tx")
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)
