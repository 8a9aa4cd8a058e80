"""The rest of the context and key API over the wire, through the fx_api and fx_typed
fixture modules: scans, getkeys-api, subcommands, command filters, shared APIs, server and
client information, strings, and signalling modified keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_module_helpers import fx_env, raw_replies

from ferrite_host import REDIS_COMPAT_VERSION
from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def api_server(fx_site: Path) -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=["fx_api", "fx_typed"], env=fx_env(fx_site)) as proc:
        yield proc


@pytest.fixture
def ar(api_server: FerriteProcess) -> Iterator[redis.Redis]:
    client = raw_replies(api_server.client(protocol=2))
    client.flushall()
    yield client
    client.close()


def test_scan_walks_every_key(ar: redis.Redis) -> None:
    names = [b"key:%d" % n for n in range(57)]
    ar.mset({name: b"v" for name in names})
    assert ar.execute_command("FXA.SCAN") == sorted(names)
    ar.flushall()
    assert ar.execute_command("FXA.SCAN") == []


def test_scan_key_over_hash_set_and_zset(ar: redis.Redis) -> None:
    ar.hset("h", mapping={f"f{n:02d}": f"v{n}" for n in range(25)})
    expected_hash = [part for n in range(25) for part in (b"f%02d" % n, b"v%d" % n)]
    assert ar.execute_command("FXA.SCANKEY", "h") == expected_hash
    ar.sadd("s", "b", "a", "c")
    assert ar.execute_command("FXA.SCANKEY", "s") == [b"a", None, b"b", None, b"c", None]
    ar.zadd("z", {"one": 1, "half": 0.5, "big": 1e20})
    assert ar.execute_command("FXA.SCANKEY", "z") == [
        b"big",
        b"1e+20",
        b"half",
        b"0.5",
        b"one",
        b"1",
    ]
    ar.set("str", "x")
    with pytest.raises(redis.ResponseError, match="errno 22"):
        ar.execute_command("FXA.SCANKEY", "str")


def test_getkeys_api_answers_command_getkeys(ar: redis.Redis) -> None:
    info = ar.execute_command("COMMAND", "INFO", "fxa.movkeys")[0]
    assert b"movablekeys" in info[2]
    keys = ar.execute_command("COMMAND", "GETKEYS", "fxa.movkeys", "2", "k1", "k2", "extra")
    assert keys == [b"k1", b"k2"]
    flagged = ar.execute_command(
        "COMMAND", "GETKEYSANDFLAGS", "fxa.movkeys", "2", "k1", "k2", "extra"
    )
    assert [(key, sorted(flags)) for key, flags in flagged] == [
        (b"k1", [b"RO", b"access"]),
        (b"k2", [b"RW", b"access", b"update"]),
    ]
    ar.set("k2", "v")
    assert ar.execute_command("fxa.movkeys", "2", "k1", "k2", "extra") == 1


def test_getkeys_api_keys_are_checked_by_acl(api_server: FerriteProcess, ar: redis.Redis) -> None:
    ar.execute_command("ACL", "SETUSER", "dora", "on", ">pw", "~allowed*", "+@all")
    dora = raw_replies(api_server.client(protocol=2))
    try:
        dora.execute_command("AUTH", "dora", "pw")
        assert dora.execute_command("fxa.movkeys", "1", "allowed1") == 0
        with pytest.raises(redis.exceptions.NoPermissionError):
            dora.execute_command("fxa.movkeys", "1", "secret")
    finally:
        dora.close()
        ar.execute_command("ACL", "DELUSER", "dora")


def test_subcommands(ar: redis.Redis) -> None:
    assert ar.execute_command("FXA.CONT", "SET", "k", "v") == b"OK"
    assert ar.execute_command("fxa.cont", "get", "k") == b"v"
    with pytest.raises(redis.ResponseError, match="unknown subcommand 'nope'"):
        ar.execute_command("FXA.CONT", "nope")
    with pytest.raises(redis.ResponseError, match=r"wrong number of arguments for 'fxa.cont'"):
        ar.execute_command("FXA.CONT")
    info = ar.execute_command("COMMAND", "INFO", "fxa.cont")[0]
    subs = {entry[0]: entry for entry in info[9]}
    assert set(subs) == {b"fxa.cont|get", b"fxa.cont|set"}
    assert subs[b"fxa.cont|set"][3:6] == [2, 2, 1]
    assert ar.execute_command("COMMAND", "GETKEYS", "fxa.cont", "set", "kk", "v") == [b"kk"]


def test_command_filter_rewrites_arguments(ar: redis.Redis) -> None:
    reply = ar.execute_command("FXA.ECHOARGS", "a", "@drop", "@swap", "b")
    assert reply == [b"@inserted", b"a", b"swapped", b"b"]
    # NOSELF: the module's own ctx.call is not filtered
    unfiltered = ar.execute_command("FXA.SELFCALL", "FXA.ECHOARGS", "x", "@swap")
    assert unfiltered == [b"x", b"@swap"]
    # a script's redis.call is
    script = "return redis.call('FXA.ECHOARGS', 'y', '@drop')"
    assert ar.execute_command("EVAL", script, "0") == [b"@inserted", b"y"]
    # queued commands are filtered when queued
    pipe = ar.pipeline(transaction=True)
    pipe.execute_command("FXA.ECHOARGS", "@swap")
    assert pipe.execute() == [[b"@inserted", b"swapped"]]
    assert ar.execute_command("FXA.FILTER", "OFF") == 1
    try:
        assert ar.execute_command("FXA.ECHOARGS", "@swap") == [b"@swap"]
        assert ar.execute_command("FXA.FILTER", "OFF") == 0
    finally:
        assert ar.execute_command("FXA.FILTER", "ON") == 1
    assert ar.execute_command("FXA.ECHOARGS", "@swap") == [b"@inserted", b"swapped"]


def test_shared_api_and_its_dependency(api_server: FerriteProcess, ar: redis.Redis) -> None:
    assert ar.execute_command("FXT.SHARED", "bob") == b"hello bob"
    with pytest.raises(redis.ResponseError, match="exports APIs used by other modules"):
        ar.execute_command("MODULE", "UNLOAD", "fx_api")
    assert ar.execute_command("FXA.BUSY", "fx_api") == 1
    assert ar.execute_command("FXA.BUSY", "FX_TYPED") == 1
    assert ar.execute_command("FXA.BUSY", "nonesuch") == 0


def test_server_info(api_server: FerriteProcess, ar: redis.Redis) -> None:
    assert ar.execute_command("FXA.INFO", "server", "tcp_port", "signed") == api_server.port
    assert ar.execute_command("FXA.INFO", "server", "tcp_port", "unsigned") == api_server.port
    version = REDIS_COMPAT_VERSION.encode()
    assert ar.execute_command("FXA.INFO", "server", "redis_version", "c") == version
    assert ar.execute_command("FXA.INFO", "server", "redis_version", "signed") is None
    assert ar.execute_command("FXA.INFO", "server", "nonesuch", "raw") is None
    assert float(ar.execute_command("FXA.INFO", "clients", "connected_clients", "double")) >= 1
    assert api_server.proc is not None
    pid = api_server.proc.pid
    assert ar.execute_command("FXA.INFO", "everything", "process_id", "signed") == pid


def test_client_info_and_user_name(api_server: FerriteProcess, ar: redis.Redis) -> None:
    other = raw_replies(api_server.client(protocol=2))
    try:
        other.execute_command("SELECT", "3")
        other_id = other.execute_command("CLIENT", "ID")
        client_id, flags, addr, port, db = ar.execute_command("FXA.CLIENT", other_id)
        assert (client_id, flags, addr, db) == (other_id, 0, b"127.0.0.1", 3)
        laddr = other.execute_command("CLIENT", "INFO").split(b" addr=")[1].split(b" ")[0]
        assert laddr == b"127.0.0.1:%d" % port
        other.execute_command("MULTI")
        assert ar.execute_command("FXA.CLIENT", other_id)[1] == 1 << 5
        other.execute_command("DISCARD")
        assert ar.execute_command("FXA.USER", other_id) == b"default"
    finally:
        other.close()
    assert ar.execute_command("FXA.CLIENT", 999999) is None
    assert ar.execute_command("FXA.USER", 999999) is None


def test_strings_random_and_clock(ar: redis.Redis) -> None:
    assert ar.execute_command("FXA.MISC") == [0, 16, 1, b"abcd", 7]
    assert ar.execute_command("FXA.LD", "0x1p-1") == b"0.5"
    assert ar.execute_command("FXA.LD", "1e3") == b"1000"
    for bad in (" 1", "nan", "1x", ""):
        with pytest.raises(redis.ResponseError, match="not a long double"):
            ar.execute_command("FXA.LD", bad)


def test_dbsize_random_key_and_db_id(ar: redis.Redis) -> None:
    ar.execute_command("SELECT", "2")
    assert ar.execute_command("FXA.DBINFO") == [0, None, 2]
    ar.set("only", "x")
    assert ar.execute_command("FXA.DBINFO") == [1, b"only", 2]


def test_closing_a_write_handle_signals_the_key(api_server: FerriteProcess) -> None:
    """Redis signals every key closed after OpenKey(WRITE): WATCH fails even unchanged."""
    client = raw_replies(api_server.client(protocol=2))
    try:
        client.set("w", "1")
        client.execute_command("WATCH", "w")
        client.execute_command("FXA.TOUCHW", "w")
        client.execute_command("MULTI")
        client.execute_command("GET", "w")
        assert client.execute_command("EXEC") is None
        stats = api_server.client(protocol=2)
        dirty = stats.info("persistence")["rdb_changes_since_last_save"]
        client.execute_command("FXA.TOUCHW", "w")  # a signal, not a change
        assert stats.info("persistence")["rdb_changes_since_last_save"] == dirty
        stats.close()
    finally:
        client.close()


def test_no_implicit_signal_modified(api_server: FerriteProcess) -> None:
    """fx_typed sets NO_IMPLICIT_SIGNAL_MODIFIED: only signal_modified_key invalidates."""
    client = raw_replies(api_server.client(protocol=2))
    try:
        client.set("w", "1")
        client.execute_command("WATCH", "w")
        client.execute_command("FXT.TOUCHW", "w")
        client.execute_command("MULTI")
        client.execute_command("GET", "w")
        assert client.execute_command("EXEC") == [b"1"]
        client.execute_command("WATCH", "w")
        client.execute_command("FXT.SIGNAL", "w")
        client.execute_command("MULTI")
        client.execute_command("GET", "w")
        assert client.execute_command("EXEC") is None
    finally:
        client.close()


def test_absolute_expiry_and_unlink(ar: redis.Redis) -> None:
    ar.set("k", "v")
    assert ar.execute_command("FXA.ABSEXP", "k") == -1
    assert ar.execute_command("FXA.ABSEXP", "k", "4102444800000") == 4102444800000
    assert ar.execute_command("PEXPIRETIME", "k") == 4102444800000
    assert ar.execute_command("FXA.ABSEXP", "k", "-1") == -1
    assert ar.execute_command("TTL", "k") == -1
    with pytest.raises(redis.ResponseError, match="set_abs_expire failed"):
        ar.execute_command("FXA.ABSEXP", "missing", "4102444800000")
    assert ar.execute_command("FXA.UNLINK", "k") == 0  # Status.OK
    assert ar.exists("k") == 0


def test_client_names_user_and_flags(api_server: FerriteProcess, ar: redis.Redis) -> None:
    other = raw_replies(api_server.client(protocol=2))
    try:
        other_id = other.execute_command("CLIENT", "ID")
        assert ar.execute_command("FXA.CLIENTNAME", other_id) is None
        assert ar.execute_command("FXA.CLIENTNAME", other_id, "bob") == 1
        assert other.execute_command("CLIENT", "GETNAME") == b"bob"
        assert ar.execute_command("FXA.CLIENTNAME", other_id) == b"bob"
        assert ar.execute_command("FXA.CLIENTNAME", other_id, "has space") == 0
        assert ar.execute_command("FXA.CLIENTNAME", 999999, "x") == 0
    finally:
        other.close()
    assert ar.execute_command("FXA.WHOAMI") == b"default"
    ar.execute_command("CONFIG", "SET", "notify-keyspace-events", "KEg$")
    try:
        notify, context_all, notify_all, version = ar.execute_command("FXA.FLAGS")
    finally:
        ar.execute_command("CONFIG", "SET", "notify-keyspace-events", "")
    assert notify == 1 | 2 | 4 | 8  # KEYSPACE KEYEVENT GENERIC STRING
    assert context_all == (1 << 24) - 1
    assert notify_all == (1 << 15) - 1
    assert (REDIS_COMPAT_VERSION, version) == ("7.0.15", 0x0007000F)


def test_string_helpers(ar: redis.Redis) -> None:
    assert ar.execute_command("FXA.CMP", "a", "b") == -1
    assert ar.execute_command("FXA.CMP", "b", "a") == 1
    assert ar.execute_command("FXA.CMP", "ab", "ab") == 0
    assert ar.execute_command("FXA.CMP", "a", "ab") == -1
    assert ar.execute_command("FXA.ULL", "18446744073709551615") == b"18446744073709551615"
    for bad in ("18446744073709551616", "-1", "01", " 1", ""):
        with pytest.raises(redis.ResponseError, match="not an unsigned integer"):
            ar.execute_command("FXA.ULL", bad)
    assert ar.execute_command("FXA.EMPTY") == b""


def test_module_type_replace_value(ar: redis.Redis) -> None:
    ar.execute_command("FXT.SET", "r", "3", "-1", "1", "1", "1", "x")
    ar.execute_command("PEXPIREAT", "r", "4102444800000")
    assert ar.execute_command("FXT.REPLACE", "r", "9") == 3
    assert ar.execute_command("FXT.GET", "r")[0] == b"9"
    assert ar.execute_command("PEXPIRETIME", "r") == 4102444800000
