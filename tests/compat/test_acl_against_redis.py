"""ACL users differential against redis-server: SETUSER rules and their errors, GETUSER and
LIST descriptions, and what a restricted user may run on which keys (NOPERM texts), every
reply compared. Command rules are compared as sets of words: Redis lists single commands in
its hash-table order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hiredis_conn import Conn

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    theirs = reference_redis()
    with FerriteProcess(modules=[]) as ours:
        yield theirs, ours.port


def _words(text: Any) -> Any:
    return sorted(text.split()) if isinstance(text, bytes) else text


def _getuser(reply: Any) -> Any:
    if not isinstance(reply, list):
        return reply
    fields = dict(zip(reply[::2], reply[1::2], strict=True))
    fields[b"commands"] = _words(fields[b"commands"])
    return fields


RULE_ERRORS = [
    ["badrule"],
    ["+nosuch"],
    ["+@nosuch"],
    ["#abc"],
    ["<nopw"],
    ["%X~a"],
    ["allkeys", "~a"],
    ["~a", "allkeys"],
    ["on", ">pw", "+get", "bad"],  # a bad rule changes nothing
]


def test_setuser_errors_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        out = [conn("ACL", "SETUSER", "t", "reset")]
        out += [conn("ACL", "SETUSER", "t", *rules) for rules in RULE_ERRORS]
        out.append(_getuser(conn("ACL", "GETUSER", "t")))
        out.append(conn("ACL", "DELUSER", "t"))
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


USERS: list[list[str]] = [
    ["on", ">pw", "~app:*", "%R~ro:*", "%W~wo:*", "+get", "+set", "+config|get", "+acl"],
    ["on", "nopass", "allkeys", "allchannels", "allcommands", "-debug", "-config"],
    ["off", "#" + "a" * 64, "resetkeys", "&news.*", "+@string", "-set"],
    ["on", ">x", ">y", "<x", "~*", "nocommands", "+ping", "+@keyspace"],
]


@pytest.mark.parametrize("rules", USERS, ids=lambda r: " ".join(r)[:40])
def test_getuser_and_list_like_redis(ports: tuple[int, int], rules: list[str]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        out = [conn("ACL", "SETUSER", "u", "reset", *rules)]
        out.append(_getuser(conn("ACL", "GETUSER", "u")))
        lines = conn("ACL", "LIST")
        out.append([_words(line) for line in lines])
        out.append(conn("ACL", "USERS"))
        out.append(conn("ACL", "DELUSER", "u", "u", "nobody"))
        out.append(conn("ACL", "GETUSER", "u"))
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


ATTEMPTS: list[list[str]] = [
    ["AUTH", "bob", "nope"],
    ["AUTH", "nobody", "pw"],
    ["AUTH", "bob", "pw"],
    ["ACL", "WHOAMI"],
    ["GET", "app:1"],
    ["GET", "other"],
    ["GET", "ro:1"],
    ["SET", "ro:1", "x"],
    ["SET", "wo:1", "x"],
    ["SET", "wo:1", "x", "GET"],
    ["GET", "wo:1"],
    ["MGET", "app:1", "other"],
    ["DEL", "app:1"],
    ["CONFIG", "GET", "maxclients"],
    ["CONFIG", "SET", "maxclients", "100"],
    ["PING"],
    ["MULTI"],
    ["AUTH", "nobody", "x"],
    ["HELLO", "2", "AUTH", "bob", "wrong"],
    ["ACL", "DRYRUN", "bob", "get", "x"],
    ["ACL", "DRYRUN", "bob", "get", "app:x"],
    ["ACL", "DRYRUN", "bob", "del", "x"],
    ["ACL", "DRYRUN", "bob", "nosuch"],
    ["ACL", "DRYRUN", "nobody", "get", "x"],
    ["ACL", "DRYRUN", "bob", "get"],
    ["AUTH", "off", "pw"],
]


def test_permissions_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        admin("ACL", "SETUSER", "bob", "reset", *USERS[0])
        admin("ACL", "SETUSER", "off", "reset", "off", ">pw", "+@all", "~*")
        conn = Conn(port)
        out = [conn(*argv) for argv in ATTEMPTS]
        out.append(conn("ACL", "WHOAMI"))
        out.append(admin("ACL", "DELUSER", "bob", "off"))
        out.append(conn("PING"))  # bob's connection was closed with bob
        conn.close()
        admin.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


CHANNEL_USERS = [
    ["on", "nopass", "+@all", "~*", "resetchannels", "&news.*", "&exact"],
    ["on", "nopass", "+@all", "resetchannels", "&news.*"],
    ["on", "nopass", "+@all", "~*"],  # a new user has no channels (acl-pubsub-default)
]
CHANNEL_ATTEMPTS = [
    ["PUBLISH", "news.a", "m"],
    ["PUBLISH", "exact", "m"],
    ["PUBLISH", "other", "m"],
    ["SPUBLISH", "other", "m"],
    ["ACL", "DRYRUN", "chan", "publish", "news.b", "m"],
    ["ACL", "DRYRUN", "chan", "publish", "nope", "m"],
]


def test_channel_permissions_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        out: list[Any] = []
        for rules in CHANNEL_USERS:
            admin("ACL", "SETUSER", "chan", "reset", *rules)
            conn = Conn(port)
            out.append(conn("AUTH", "chan", "x"))
            out.extend(conn(*argv) for argv in CHANNEL_ATTEMPTS)
            out.append(conn("SUBSCRIBE", "news.a", "other"))
            conn.close()
            conn = Conn(port)
            conn("AUTH", "chan", "x")
            out.append(conn("PSUBSCRIBE", "news.a*"))
            conn.close()
        out.append(admin("ACL", "DELUSER", "chan"))
        admin.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def test_cat_whoami_genpass_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        conn = Conn(port)
        genpass = [conn("ACL", "GENPASS"), conn("ACL", "GENPASS", "5"), conn("ACL", "GENPASS", "9")]
        out: list[Any] = [[len(p) for p in genpass]]
        out.append(conn("ACL", "GENPASS", "0"))
        out.append(conn("ACL", "GENPASS", "4097"))
        out.append(conn("ACL", "CAT"))
        out.append(conn("ACL", "CAT", "nosuch"))
        out.append(conn("ACL", "WHOAMI"))
        out.append(conn("ACL", "DELUSER", "default"))
        out.append(conn("ACL", "USERS"))
        out.append(conn("AUTH", "default", "x"))
        conn.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def test_cat_of_a_category_lists_our_commands_in_it(ports: tuple[int, int]) -> None:
    """Ferrite has fewer commands than Redis: each one it lists in a category is in Redis's."""
    theirs, ours = (Conn(port) for port in ports)
    for category in ("string", "keyspace", "admin", "fast", "connection"):
        mine, redis_names = set(ours("ACL", "CAT", category)), set(theirs("ACL", "CAT", category))
        extra = {name for name in mine - redis_names if name.split(b"|")[0] != b"client"}
        assert mine and not extra, (category, extra)  # CLIENT SETINFO/NO-TOUCH are 7.2's


def _log(entries: Any) -> Any:
    """ACL LOG entries without their age and client line (checked for the user and cmd)."""
    if not isinstance(entries, list):
        return entries
    out = []
    for entry in entries:
        fields = dict(zip(entry[::2], entry[1::2], strict=True))
        info = fields.pop(b"client-info")
        assert float(fields.pop(b"age-seconds")) < 60
        words = dict(word.split(b"=", 1) for word in info.split() if b"=" in word)
        out.append([fields, words[b"user"], words[b"cmd"]])
    return out


def test_acl_log_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Conn(port)
        admin("ACL", "SETUSER", "bob", "reset", "on", ">pw", "~app:*", "+get", "+multi")
        admin("ACL", "LOG", "RESET")
        conn = Conn(port)
        for argv in (
            ["AUTH", "bob", "pw"],
            ["GET", "other"],
            ["SET", "a", "b"],
            ["GET", "other"],
            ["AUTH", "bob", "wrong"],
            ["AUTH", "nobody", "x"],
            ["MULTI"],
            ["GET", "x"],
            ["CONFIG", "GET", "port"],
        ):
            conn(*argv)
        out = [_log(admin("ACL", "LOG")), _log(admin("ACL", "LOG", "2"))]
        out += [admin("ACL", "LOG", "x"), admin("ACL", "LOG", "-1"), admin("ACL", "LOG", "RESET")]
        out.append(admin("ACL", "LOG"))
        admin("ACL", "DELUSER", "bob")
        conn.close()
        admin.close()
        return out

    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


def test_acl_help_is_redis_without_load_and_save(ports: tuple[int, int]) -> None:
    theirs, ours = (Conn(port)("ACL", "HELP") for port in ports)
    for missing in ():
        pos = theirs.index(missing)
        del theirs[pos : pos + 2]
    assert ours == theirs
