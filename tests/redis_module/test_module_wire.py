"""Over the wire: a real `ferrite serve` with the fixture modules pip-installed, via redis-py
and raw sockets."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import pytest
import redis
from redis_module_helpers import BROKEN, GOOD, fx_env, raw_replies

from ferrite_host.testing import FerriteProcess

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def command(*args: bytes | str) -> bytes:
    parts = [a if isinstance(a, bytes) else a.encode() for a in args]
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def exchange(port: int, request: bytes, expected: bytes, hello3: bool = False) -> bytes:
    """Send `request` (then PING) and return the reply bytes, checking nothing trails them."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        if hello3:
            sock.sendall(command("HELLO", "3"))
            data = b""
            while b"proto" not in data or not data.endswith(b"\r\n"):
                data += sock.recv(65536)
            time.sleep(0.05)
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.recv(65536)
            sock.setblocking(True)
        sock.sendall(request + command("PING"))
        data = b""
        deadline = time.monotonic() + 5
        while not data.endswith(b"+PONG\r\n") and time.monotonic() < deadline:
            data += sock.recv(65536)
    assert data.endswith(b"+PONG\r\n"), data
    return data[: -len(b"+PONG\r\n")]


RAW_REPLIES = {
    "simple": (b"+fine\r\n", b"+fine\r\n"),
    "error": (b"-ERR something bad\r\n", b"-ERR something bad\r\n"),
    "errorraw": (b"-invalid range\r\n", b"-invalid range\r\n"),
    "longlong": (b":-42\r\n", b":-42\r\n"),
    "string": (b"$7\r\nbin\x00ary\r\n", b"$7\r\nbin\x00ary\r\n"),
    "buffer": (b"$3\r\nbuf\r\n", b"$3\r\nbuf\r\n"),
    "cstring": (b"$3\r\nh\xc3\xa9\r\n", b"$3\r\nh\xc3\xa9\r\n"),
    "null": (b"$-1\r\n", b"_\r\n"),
    "nullarray": (b"*-1\r\n", b"_\r\n"),
    "emptyarray": (b"*0\r\n", b"*0\r\n"),
    "array": (b"*3\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n", b"*3\r\n:1\r\n$3\r\ntwo\r\n_\r\n"),
    "postponed": (b"*2\r\n:1\r\n*3\r\n:10\r\n:20\r\n:30\r\n",) * 2,
    "map": (
        b"*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$3\r\n2.5\r\n",
        b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n,2.5\r\n",
    ),
    "postponedmap": (b"*2\r\n$1\r\nk\r\n:1\r\n", b"%1\r\n$1\r\nk\r\n#t\r\n"),
    "set": (b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n", b"~2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
    "double": (b"$3\r\n3.5\r\n", b",3.5\r\n"),
    "doubleint": (b"$1\r\n6\r\n", b",6\r\n"),
    "bool": (b"*2\r\n:1\r\n:0\r\n", b"*2\r\n#t\r\n#f\r\n"),
    "bignum": (b"$28\r\n1234567999999999999999999999\r\n", b"(1234567999999999999999999999\r\n"),
    "verbatim": (b"$9\r\nsome text\r\n", b"=13\r\ntxt:some text\r\n"),
}


@pytest.mark.parametrize("kind", sorted(RAW_REPLIES))
def test_reply_bytes_resp2_and_resp3(fx_server: FerriteProcess, kind: str) -> None:
    resp2, resp3 = RAW_REPLIES[kind]
    request = command("FX.REPLIES", kind)
    assert exchange(fx_server.port, request, resp2) == resp2
    assert exchange(fx_server.port, request, resp3, hello3=True) == resp3


def test_redis_py_reads_every_reply_kind(fr: redis.Redis, fr3: redis.Redis) -> None:
    assert fr.execute_command("fx.replies", "map") == [b"a", 1, b"b", b"2.5"]
    assert fr3.execute_command("fx.replies", "map") == {b"a": 1, b"b": 2.5}
    assert set(fr3.execute_command("fx.replies", "set")) == {b"x", b"y"}
    assert fr3.execute_command("fx.replies", "bool") == [True, False]
    assert fr.execute_command("fx.replies", "postponed") == [1, [10, 20, 30]]
    with pytest.raises(redis.ResponseError, match=r"^invalid range$"):
        fr.execute_command("fx.replies", "errorraw")


# -- the seed's example, the good module, and the API over the wire ------------------------


def test_seed_mymod_set(fr: redis.Redis) -> None:
    assert fr.execute_command("MYMOD.SET", "greeting", "hello") == b"OK"
    assert fr.get("greeting") == b"hello"
    assert fr.execute_command("mymod.get", "greeting") == b"hello"
    with pytest.raises(redis.ResponseError, match=r"^wrong number of arguments$"):
        fr.execute_command("MYMOD.SET", "only-key")


def test_mytype_values(fr: redis.Redis) -> None:
    assert fr.execute_command("MYMOD.TSET", "t", "blob") == b"OK"
    assert fr.execute_command("MYMOD.GET", "t") == b"blob"
    assert fr.type("t") == b"mytype"
    with pytest.raises(redis.ResponseError, match=f"^{WRONGTYPE}$"):
        fr.get("t")
    with pytest.raises(redis.ResponseError, match=f"^{WRONGTYPE}$"):
        fr.append("t", "x")
    with pytest.raises(redis.ResponseError, match=r"^not supported for this module key$"):
        fr.copy("t", "t2")
    fr.set("s", "str")
    assert fr.execute_command("MYMOD.TSET", "s", "blob2") == b"OK"  # replaces any type
    assert fr.type("s") == b"mytype"


def test_load_args_and_identity(fr: redis.Redis) -> None:
    assert fr.execute_command("fx.args") == [b"alpha", b"beta"]
    name, db, client_id = fr.execute_command("FX.WHOAMI")
    assert (name, db) == (b"Fx.WhoAmI", 0)
    assert client_id == fr.client_id()


def test_key_api(fr: redis.Redis) -> None:
    fr.set("s", "hello")
    assert fr.execute_command("fx.upper", "s") == 5
    assert fr.get("s") == b"HELLO"
    assert fr.execute_command("fx.truncate", "s", 8) == 0
    assert fr.get("s") == b"HELLO\x00\x00\x00"
    assert fr.execute_command("fx.truncate", "new", 2) == 0
    assert fr.get("new") == b"\x00\x00"
    assert fr.execute_command("fx.keytype", "s") == b"string"
    assert fr.execute_command("fx.keytype", "missing") == b"empty"
    assert fr.execute_command("fx.len", "s") == 8
    assert fr.execute_command("fx.ttl", "s") == -1
    assert fr.execute_command("fx.expire", "s", 100_000) == 0
    assert 99_000 < fr.pttl("s") <= 100_000
    assert 99_000 < fr.execute_command("fx.ttl", "s") <= 100_000
    assert fr.execute_command("fx.expire", "missing", 10) == 1
    assert fr.execute_command("fx.readonly_write", "s") == [1, 1, 1, 1, 1]
    assert fr.get("s") == b"HELLO\x00\x00\x00"
    assert fr.execute_command("fx.del", "s") == 0
    assert fr.exists("s") == 0


def test_call_and_numbers(fr: redis.Redis) -> None:
    assert fr.execute_command("fx.call", "SET", "a", "1") == b"OK"
    assert fr.execute_command("fx.call", "INCR", "a") == 2
    assert fr.execute_command("fx.call", "MYMOD.GET", "a") == b"2"
    with pytest.raises(redis.ResponseError, match=r"unknown command 'NOPE'"):
        fr.execute_command("fx.call", "NOPE")
    assert fr.execute_command("fx.numbers", "42") == 42
    assert fr.execute_command("fx.numbers", "1.5") == b"1.5"
    with pytest.raises(redis.ResponseError, match=r"not a valid float: '1x'"):
        fr.execute_command("fx.numbers", "1x")


def test_select_from_a_module_moves_the_client(fx_server: FerriteProcess) -> None:
    client = fx_server.client(single_connection_client=True, protocol=2)
    try:
        assert client.execute_command("fx.select", 3) == 0
        client.set("in-db-3", "x")
        client.select(0)
        assert client.get("in-db-3") is None
        assert client.execute_command("fx.select", 99) == 1
    finally:
        client.flushall()
        client.close()


def test_failing_callbacks_leave_connection_and_server_up(fr: redis.Redis) -> None:
    with pytest.raises(
        redis.ResponseError, match=r"^module command 'fx.raise' raised ValueError: boom$"
    ):
        fr.execute_command("fx.raise")
    with pytest.raises(
        redis.ResponseError, match=r"^module command 'fx.noreply' returned without replying$"
    ):
        fr.execute_command("fx.noreply")
    with pytest.raises(redis.ResponseError, match=r"replied 2 times instead of once"):
        fr.execute_command("fx.twice")
    with pytest.raises(
        redis.ResponseError, match=r"^wrong number of arguments for 'fx.arity' command$"
    ):
        fr.execute_command("FX.ARITY", "one")
    assert fr.ping() is True


def test_traceback_is_logged(fr: redis.Redis, fx_server: FerriteProcess) -> None:
    with pytest.raises(redis.ResponseError):
        fr.execute_command("fx.raise")
    log = fx_server.log()
    assert "Module fx_good: command 'fx.raise' raised" in log
    assert 'raise ValueError("boom")' in log


# -- the custom type: callbacks over the wire ---------------------------------------------


def stats(client: redis.Redis) -> dict[bytes, int]:
    flat = client.execute_command("fxc.stats")
    return dict(zip(flat[::2], flat[1::2], strict=True))


def test_free_on_delete_overwrite_expire_flush(fr: redis.Redis) -> None:
    fr.execute_command("fxc.reset")
    for key in ("a", "b", "c", "d", "e"):
        assert fr.execute_command("fxc.incr", key, "m", 2) == 2
    assert fr.execute_command("fxc.incr", "a", "m") == 3
    assert fr.type("a") == b"fxcounter"
    fr.delete("a")
    assert stats(fr)[b"free"] == 1
    assert fr.execute_command("fxc.del", "b") == 0
    assert stats(fr)[b"free"] == 2
    fr.set("c", "overwritten")
    assert stats(fr)[b"free"] == 3
    assert fr.execute_command("fxc.expire", "d", 1) == 0
    time.sleep(0.01)
    assert fr.exists("d") == 0
    assert stats(fr)[b"free"] == 4
    fr.flushall()
    assert stats(fr)[b"free"] == 5


def test_module_key_callbacks_used_by_builtins(fr: redis.Redis) -> None:
    fr.execute_command("fxc.reset")
    fr.execute_command("fxc.incr", "k", "abc", 5)
    assert fr.memory_usage("k") is not None
    assert stats(fr)[b"mem_usage"] >= 1
    with pytest.raises(redis.ResponseError, match=f"^{WRONGTYPE}$"):
        fr.incr("k")
    fr.execute_command("DEBUG", "DIGEST-VALUE", "k")
    assert stats(fr)[b"digest"] >= 1
    with pytest.raises(redis.ResponseError, match=r"^not supported for this module key$"):
        fr.copy("k", "k2")
    assert fr.execute_command("fxc.get", "k", "abc") == 5
    fr.set("str", "x")
    with pytest.raises(redis.ResponseError, match=f"^{WRONGTYPE}$"):
        fr.execute_command("fxc.incr", "str", "m")


# -- MODULE commands, introspection, unload/reload ----------------------------------------


def test_module_list_resp2_and_resp3(fr: redis.Redis, fr3: redis.Redis) -> None:
    entries = fr.execute_command("MODULE", "LIST")
    assert [
        b"name",
        b"fx_good",
        b"ver",
        3,
        b"path",
        b"ferrite.modules:fx_good = fx_good",
        b"args",
        [b"alpha", b"beta"],
    ] in entries
    assert len(entries) == 3
    maps = fr3.execute_command("MODULE", "LIST")
    custom = next(m for m in maps if m[b"name"] == b"fx_custom_type")
    assert custom == {
        b"name": b"fx_custom_type",
        b"ver": 7,
        b"path": b"ferrite.modules:fx_custom_type = fx_custom_type:plugin",
        b"args": [],
    }
    hello = fr3.execute_command("HELLO", "3")
    assert sorted(m[b"name"] for m in hello[b"modules"]) == [
        b"fx_custom_type",
        b"fx_good",
        b"fx_unload_refuses",
    ]


def test_info_modules(fr: redis.Redis) -> None:
    raw = fr.execute_command("INFO", "modules")
    text = raw.decode() if isinstance(raw, bytes) else None
    if text is None:  # redis-py parsed it
        modules = raw["modules"]
        assert {
            "name": "fx_good",
            "ver": 3,
            "api": 1,
            "filters": 0,
            "usedby": [],
            "using": [],
            "options": [],
        } in modules
    else:
        assert "module:name=fx_good,ver=3,api=1,filters=0,usedby=[],using=[],options=[]" in text


def test_command_info_and_docs_for_a_module_command(fr: redis.Redis) -> None:
    (info,) = fr.execute_command("COMMAND", "INFO", "mymod.set")
    assert info[:6] == [b"MYMOD.SET", -1, [b"write", b"module"], 1, 1, 1]
    assert info[6] == [] and info[9] == []
    assert len(info[8]) == 1
    docs = fr.execute_command("COMMAND", "DOCS", "mymod.set")
    doc = dict(zip(docs[1][::2], docs[1][1::2], strict=True))
    assert doc[b"group"] == b"module" and doc[b"module"] == b"fx_good"
    listed = fr.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "fx_custom_type")
    assert sorted(listed) == [
        b"fxc.del",
        b"fxc.expire",
        b"fxc.get",
        b"fxc.incr",
        b"fxc.reset",
        b"fxc.stats",
    ]


def test_unload_and_reload_over_the_wire(fr: redis.Redis) -> None:
    count = fr.execute_command("COMMAND", "COUNT")
    assert fr.execute_command("MODULE", "UNLOAD", "fx_good") == b"OK"
    with pytest.raises(
        redis.ResponseError,
        match=r"^unknown command 'MYMOD.SET', with args beginning with: 'k' 'v' $",
    ):
        fr.execute_command("MYMOD.SET", "k", "v")
    assert fr.execute_command("COMMAND", "INFO", "mymod.set") == [None]
    assert fr.execute_command("COMMAND", "COUNT") < count
    assert fr.execute_command("MODULE", "LOAD", "fx_good", "alpha", "beta") == b"OK"
    assert fr.execute_command("MYMOD.SET", "k", "v") == b"OK"
    assert fr.execute_command("COMMAND", "COUNT") == count


def test_unload_errors_over_the_wire(fr: redis.Redis) -> None:
    with pytest.raises(redis.exceptions.ModuleError, match=r"no such module with that name"):
        fr.execute_command("MODULE", "UNLOAD", "nope")
    fr.execute_command("fxc.incr", "k", "m")
    with pytest.raises(redis.exceptions.ModuleError, match=r"can't unload"):
        fr.execute_command("MODULE", "UNLOAD", "fx_custom_type")
    with pytest.raises(redis.exceptions.ModuleError, match=r"operation not possible"):
        fr.execute_command("MODULE", "UNLOAD", "fx_unload_refuses")
    assert fr.execute_command("fx.refuse.ping") == b"PONG"


@pytest.mark.parametrize("name", BROKEN)
def test_loading_each_broken_kind_over_the_wire(
    fr: redis.Redis, fx_server: FerriteProcess, name: str
) -> None:
    with pytest.raises(redis.exceptions.ModuleError, match=r"Error loading the extension"):
        fr.execute_command("MODULE", "LOAD", name)
    assert f"Module '{name}' ({name.replace('_', '-')} 0.1.0) failed to load: " in fx_server.log()
    assert len(fr.execute_command("MODULE", "LIST")) == 3
    assert fr.ping()


# -- start-up ------------------------------------------------------------------------------


def test_default_start_loads_everything_installed_and_keeps_going(fx_site: Path) -> None:
    with FerriteProcess(env=fx_env(fx_site)) as proc:
        client = raw_replies(proc.client(protocol=2))
        names = {entry[1] for entry in client.execute_command("MODULE", "LIST")}
        assert {name.encode() for name in GOOD} <= names
        assert not {name.encode() for name in BROKEN} & names
        assert client.execute_command("MYMOD.SET", "k", "v") == b"OK"
        with pytest.raises(redis.ResponseError, match=r"unknown command 'fx.err.ok'"):
            client.execute_command("fx.err.ok")
        log = proc.log()
        client.close()
    for name in BROKEN:
        failures = [
            line
            for line in log.splitlines()
            if f"Module '{name}' " in line and "failed to load" in line
        ]
        assert len(failures) == 1, log


def test_module_flags_and_enable_module_command(fx_site: Path) -> None:
    args = ("--enable-module-command", "no", "--disable-module", "fx_custom_type")
    with FerriteProcess(*args, modules=None, env=fx_env(fx_site)) as proc:
        client = raw_replies(proc.client(protocol=2))
        names = {entry[1] for entry in client.execute_command("MODULE", "LIST")}
        assert b"fx_custom_type" not in names and b"fx_good" in names
        with pytest.raises(
            redis.ResponseError,
            match=r'^MODULE command not allowed. If the enable-module-command option is set to "l',
        ):
            client.execute_command("MODULE", "LOAD", "fx_custom_type")
        with pytest.raises(redis.ResponseError, match=r"^MODULE command not allowed"):
            client.execute_command("MODULE", "UNLOAD", "fx_good")
        assert len(client.execute_command("MODULE", "HELP")) == 11
        client.close()


def test_config_file_loadmodule_and_disable_module(fx_site: Path, tmp_path: Path) -> None:
    conf = tmp_path / "ferrite.conf"
    conf.write_text(
        "# modules from redis.conf\n"
        'loadmodule fx_good "first arg" second\n'
        "loadmodule fx_custom_type\n"
        "disable-module fx_custom_type\n"
    )
    with FerriteProcess("--config", str(conf), env=fx_env(fx_site)) as proc:
        client = raw_replies(proc.client(protocol=2))
        entries = client.execute_command("MODULE", "LIST")
        assert [(e[1], e[7]) for e in entries] == [(b"fx_good", [b"first arg", b"second"])]
        assert (
            "Module 'fx_custom_type' (fx-custom-type 0.1.0) failed to load: module " in proc.log()
        )
        client.close()
