"""INFO, CONFIG, TIME, MEMORY, SHUTDOWN and the scripting stubs."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from ferrite_host.commands.info import human_bytes, info_text
from ferrite_host.core.hookspecs import InfoProvider, hookimpl
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue
from ferrite_host.protocol import NO_REPLY, Error, Verbatim, encode

Run = Callable[..., Any]


def info(run: Run, *sections: str) -> str:
    reply = run("INFO", *sections)
    assert isinstance(reply, Verbatim)
    return reply.data.decode()


def headers(text: str) -> list[str]:
    return re.findall(r"^# (\w+)\r$", text, re.M)


def fields(text: str) -> dict[str, str]:
    return dict(
        line.split(":", 1) for line in text.split("\r\n") if line and not line.startswith("#")
    )


class SizedType:
    """A stand-in module value type: what the module layer registers for a module's type."""

    name = "sizedtype"
    encver = 0
    module_name = "sized"

    def release(self, value: Any) -> None:
        pass

    def mem_usage(self, value: Any) -> int:
        return 10_000

    def digest(self, value: Any) -> bytes:
        return repr(value).encode()

    def copy(self, value: Any) -> Any:
        return value

    def can_save(self) -> bool:
        return False

    def save(self, value: Any) -> bytes:
        return b""

    def load(self, data: bytes, encver: int) -> Any:
        return None

    def aof_rewrite(self, value: Any, key: bytes) -> list[list[bytes]] | None:
        return None


# -- INFO ------------------------------------------------------------------------------------


def test_info_default_sections_in_redis_order(run: Run) -> None:
    assert headers(info(run)) == [
        "Server",
        "Clients",
        "Memory",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ]
    assert headers(info(run, "default")) == headers(info(run))


def test_info_all_adds_commandstats_and_everything_adds_extra_sections(
    run: Run, state: ServerState
) -> None:
    class Persistence:
        @hookimpl
        def ferrite_info_sections(self, state: ServerState) -> dict[str, InfoProvider]:
            return {"persistence": lambda: [("loading", 0), ("rdb_changes_since_last_save", 3)]}

    class Bloom:
        @hookimpl
        def ferrite_info_sections(self, state: ServerState) -> dict[str, InfoProvider]:
            return {"bloom": lambda: [("bloom_filters", 2)]}

    state.hooks.register(Persistence())
    state.hooks.register(Bloom())
    default = headers(info(run))
    assert default[:5] == ["Server", "Clients", "Memory", "Persistence", "Stats"]
    assert default[-1] == "bloom" and "Commandstats" not in default
    everything = headers(info(run, "everything"))
    assert "Commandstats" in everything and everything[-1] == "bloom"
    assert "Commandstats" in headers(info(run, "all"))
    assert fields(info(run, "persistence")) == {"loading": "0", "rdb_changes_since_last_save": "3"}
    assert fields(info(run, "BLOOM")) == {"bloom_filters": "2"}


def test_info_selected_sections_and_unknown(run: Run) -> None:
    assert headers(info(run, "keyspace", "SERVER")) == ["Server", "Keyspace"]
    assert info(run, "nosuchsection") == ""
    text = info(run, "server", "clients")
    assert text.endswith("\r\n") and "\r\n\r\n# Clients\r\n" in text


def test_info_server_clients_replication_fields(run: Run, state: ServerState) -> None:
    values = fields(info(run, "server", "clients", "replication", "cluster"))
    assert values["redis_version"].count(".") == 2
    assert values["redis_mode"] == "standalone"
    assert values["process_id"] == str(state.pid)
    assert values["run_id"] == state.run_id and len(state.run_id) == 40
    assert values["connected_clients"] == str(len(state.clients))
    assert values["maxclients"] == "10000"
    assert values["role"] == "master" and values["connected_slaves"] == "0"
    assert values["cluster_enabled"] == "0"
    assert abs(int(values["server_time_usec"]) / 1e6 - time.time()) < 5


def test_info_memory_and_human_sizes(run: Run) -> None:
    values = fields(info(run, "memory"))
    assert int(values["used_memory_rss"]) > 1024 * 1024
    assert values["maxmemory_policy"] == "noeviction"
    assert human_bytes(1023) == "1023B"
    assert human_bytes(1024) == "1.00K"
    assert human_bytes(5 * 1024 * 1024 + 512 * 1024) == "5.50M"


def test_info_keyspace(run: Run) -> None:
    assert fields(info(run, "keyspace")) == {}
    run("SET", "a", "1")
    run("SET", "b", "2", "EX", "100")
    run("SELECT", "3")
    run("SET", "c", "3")
    assert fields(info(run, "keyspace")) == {
        "db0": "keys=2,expires=1,avg_ttl=0",
        "db3": "keys=1,expires=0,avg_ttl=0",
    }


def test_info_commandstats_and_errorstats(run: Run, state: ServerState) -> None:
    run("SET", "k", "notanumber")
    run("GET", "k")
    run("GET", "k")
    run("INCR", "k")
    run("CLIENT", "ID")
    run("NOSUCHCOMMAND")
    run("ACL", "SETUSER", "default", "resetpass")  # clients connecting now must AUTH
    locked = state.new_session()
    run("ACL", "SETUSER", "default", "nopass")
    run("ACL", "SETUSER", "default", "resetpass")
    assert state.dispatcher.execute(locked, [b"GET", b"k"]) == Error(
        "NOAUTH Authentication required."
    )
    run("ACL", "SETUSER", "default", "nopass")
    stats = fields(info(run, "commandstats"))
    assert re.fullmatch(
        r"calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0",
        stats["cmdstat_get"],
    )
    assert stats["cmdstat_incr"].endswith("rejected_calls=0,failed_calls=1")
    assert stats["cmdstat_client|id"].startswith("calls=1,")
    assert "cmdstat_dbsize" not in stats
    errors = fields(info(run, "errorstats"))
    assert errors == {"errorstat_ERR": "count=2", "errorstat_NOAUTH": "count=1"}
    assert fields(info(run, "stats"))["total_error_replies"] == "3"


def test_config_resetstat(run: Run) -> None:
    run("GET", "x")
    run("NOSUCH")
    assert run("CONFIG", "RESETSTAT") == "OK"
    assert "cmdstat_get" not in fields(info(run, "commandstats"))
    assert fields(info(run, "errorstats")) == {}
    stats = fields(info(run, "stats"))
    assert stats["total_commands_processed"] == "3"  # RESETSTAT itself and two INFO calls
    assert stats["total_error_replies"] == "0"


def test_info_is_verbatim_in_resp3() -> None:
    assert encode(Verbatim(b"# Server\r\n"), 3) == b"=14\r\ntxt:# Server\r\n\r\n"


def test_info_over_the_wire(r: redis.Redis, r3: redis.Redis) -> None:
    r.set("k", "v")
    for client in (r, r3):
        parsed = client.info()
        assert parsed["db0"] == {"keys": 1, "expires": 0, "avg_ttl": 0}
        assert parsed["tcp_port"] > 0
        assert client.info("commandstats")["cmdstat_set"]["calls"] >= 1


# -- CONFIG ----------------------------------------------------------------------------------


def test_config_get_patterns(run: Run) -> None:
    assert run("CONFIG", "GET", "maxclients") == {b"maxclients": b"10000"}
    assert run("CONFIG", "GET", "MAXCLIENTS") == {b"MAXCLIENTS": b"10000"}  # as typed
    assert run("CONFIG", "GET", "nosuch") == {}
    both = run("CONFIG", "GET", "port", "time*")
    assert set(both) == {b"port", b"timeout"}
    every = run("CONFIG", "GET", "*")
    assert len(every) > 60
    assert every[b"save"] == b"3600 1 300 100 60 10000"
    assert every[b"appendonly"] == b"no" and every[b"bind"] == b"127.0.0.1 ::1"
    assert b"loadmodule" not in every and b"config-file" not in every
    glob = run("CONFIG", "GET", "maxmemory*")
    assert set(glob) == {
        b"maxmemory",
        b"maxmemory-clients",
        b"maxmemory-eviction-tenacity",
        b"maxmemory-policy",
        b"maxmemory-samples",
    }


def test_config_get_reply_shapes(r: redis.Redis, r3: redis.Redis) -> None:
    conn = r.connection_pool.get_connection()
    conn.send_command("CONFIG", "GET", "maxclients", "timeout")
    assert sorted(conn.read_response()) == sorted([b"maxclients", b"10000", b"timeout", b"0"])
    r.connection_pool.release(conn)
    assert r3.config_get("maxclients") == {"maxclients": "10000"}
    assert "save" in r.config_get("*")


def test_config_set_several_settings(run: Run, state: ServerState) -> None:
    assert run("CONFIG", "SET", "maxclients", "50", "Timeout", "30", "maxmemory", "1mb") == "OK"
    settings = state.settings
    assert (settings.maxclients, settings.timeout, settings.maxmemory) == (50, 30, 1024 * 1024)
    assert run("CONFIG", "GET", "maxmemory") == {b"maxmemory": b"1048576"}


def test_config_set_is_all_or_nothing(run: Run, state: ServerState) -> None:
    reply = run("CONFIG", "SET", "maxclients", "50", "timeout", "soon")
    assert reply == Error(
        "ERR CONFIG SET failed (possibly related to argument 'timeout') - "
        "argument couldn't be parsed into an integer"
    )
    assert state.settings.maxclients == 10000


FAILED = "ERR CONFIG SET failed (possibly related to argument '{}') - {}"
ARITY = "ERR wrong number of arguments for 'config|set' command"
LOGLEVELS = "debug, verbose, notice, warning, nothing"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nosuch", "1"), "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
        (("port", "7000"), FAILED.format("port", "can't set immutable config")),
        (("databases", "2"), FAILED.format("databases", "can't set immutable config")),
        (
            ("maxclients", "0"),
            FAILED.format(
                "maxclients", "argument must be between 1 and 9223372036854775807 inclusive"
            ),
        ),
        (("appendonly", "maybe"), FAILED.format("appendonly", "argument must be 'yes' or 'no'")),
        (("maxmemory", "lots"), FAILED.format("maxmemory", "argument must be a memory value")),
        (
            ("loglevel", "loud"),
            FAILED.format("loglevel", f"argument(s) must be one of the following: {LOGLEVELS}"),
        ),
        (("timeout", "1", "TIMEOUT", "2"), FAILED.format("TIMEOUT", "duplicate parameter")),
        (("dir", "/no/such/dir"), FAILED.format("dir", "No such file or directory")),
        (("timeout",), ARITY),
        (("timeout", "1", "hz"), ARITY),
    ],
)
def test_config_set_errors(run: Run, args: tuple[str, ...], message: str) -> None:
    assert run("CONFIG", "SET", *args) == Error(message)


def test_config_set_loglevel_reaches_the_logger(run: Run) -> None:
    logger = logging.getLogger("ferrite")
    previous = logger.level
    try:
        run("CONFIG", "SET", "loglevel", "warning")
        assert logger.level == logging.WARNING
        run("CONFIG", "SET", "loglevel", "debug")
        assert logger.level == logging.DEBUG
    finally:
        logger.setLevel(previous)


def test_config_set_tells_listeners(run: Run, state: ServerState) -> None:
    seen: list[set[str]] = []

    class Listener:
        @hookimpl
        def ferrite_config_changed(self, state: ServerState, changed: set[str]) -> None:
            seen.append(changed)

    state.hooks.register(Listener())
    run("CONFIG", "SET", "appendonly", "yes", "hz", "10")
    assert seen == [{"appendonly"}]  # hz did not change


DIGEST = hashlib.sha256(b'quote"d pass').hexdigest()


def test_config_rewrite(run: Run, state: ServerState, tmp_path: Path) -> None:
    assert run("CONFIG", "REWRITE") == Error("ERR The server is running without a config file")
    conf = tmp_path / "redis.conf"
    conf.write_text("# keep me\nmaxclients 10\nsave 60 1\nsave 30 5\nloadmodule hello a b\n")
    state.settings.config_file = str(conf)
    run("CONFIG", "SET", "maxclients", "77", "save", "", "requirepass", 'quote"d pass')
    assert run("CONFIG", "REWRITE") == "OK"
    assert conf.read_text() == (
        '# keep me\nmaxclients 77\nsave ""\nloadmodule hello a b\n# Generated by CONFIG REWRITE\n'
        'requirepass "quote\\"d pass"\n'
        f"user default on #{DIGEST} ~* &* +@all\n"
    )  # the ACL users too, as Redis writes them without an aclfile
    conf.chmod(0o500)
    tmp_path.chmod(0o500)
    try:
        reply = run("CONFIG", "REWRITE")
    finally:
        tmp_path.chmod(0o700)
        conf.chmod(0o600)
    assert reply == "OK" or reply.startswith("ERR Rewriting config file: ")


def test_config_help(run: Run) -> None:
    lines = run("CONFIG", "HELP")
    assert lines[0] == "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[-2:] == ["HELP", "    Prints this help."]
    assert run("CONFIG") == Error("ERR wrong number of arguments for 'config' command")
    assert run("CONFIG", "NOPE") == Error("ERR unknown subcommand 'NOPE'. Try CONFIG HELP.")


# -- TIME, MEMORY ----------------------------------------------------------------------------


def test_time(run: Run) -> None:
    seconds, micros = run("TIME")
    assert abs(int(seconds) - time.time()) < 5
    assert 0 <= int(micros) < 1_000_000
    assert run("TIME", "x") == Error("ERR wrong number of arguments for 'time' command")


def test_memory_usage(run: Run, session: Session) -> None:
    assert run("MEMORY", "USAGE", "missing") is None
    run("SET", "small", "x")
    run("SET", "big", "x" * 10_000)
    small, big = run("MEMORY", "USAGE", "small"), run("MEMORY", "USAGE", "big")
    assert 50 < small < 300 and 10_000 < big < 10_400
    run("PEXPIRE", "small", "100000")
    assert run("MEMORY", "USAGE", "small", "SAMPLES", "0") > small  # the expiry entry counts
    session.db.set(b"typed", TypedValue(SizedType(), ["payload"]))
    assert 10_000 < run("MEMORY", "USAGE", "typed") < 10_400


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("k", "SAMPLES", "x"), "ERR value is not an integer or out of range"),
        (("k", "SAMPLES", "-1"), "ERR syntax error"),
        (("k", "SAMPLES"), "ERR syntax error"),
        (("k", "FOO", "1"), "ERR syntax error"),
    ],
)
def test_memory_usage_errors(run: Run, args: tuple[str, ...], message: str) -> None:
    assert run("MEMORY", "USAGE", *args) == Error(message)


def test_memory_stats_doctor_help(run: Run) -> None:
    run("SET", "k", "v")
    stats = run("MEMORY", "STATS")
    assert stats[b"keys.count"] == 1 and stats[b"total.allocated"] > 0
    assert b"db.0" in stats
    assert isinstance(run("MEMORY", "DOCTOR"), Verbatim)
    assert run("MEMORY", "HELP")[0].startswith("MEMORY <subcommand>")
    assert run("MEMORY", "PURGE") == "OK"


def test_memory_usage_over_the_wire(r: redis.Redis) -> None:
    r.set("k", "v" * 100)
    assert r.memory_usage("k") > 100
    assert r.memory_usage("missing") is None


# -- SHUTDOWN --------------------------------------------------------------------------------


@pytest.fixture
def shutdowns(state: ServerState) -> list[bool | None]:
    requests: list[bool | None] = []
    state.request_shutdown = lambda save=None: requests.append(save)
    return requests


@pytest.mark.parametrize(
    ("args", "save"),
    [
        ((), None),
        (("NOSAVE",), False),
        (("save", "now"), True),
        (("NOSAVE", "FORCE", "NOW"), False),
    ],
)
def test_shutdown_requests_stop(
    run: Run,
    session: Session,
    shutdowns: list[bool | None],
    args: tuple[str, ...],
    save: bool | None,
) -> None:
    assert run("SHUTDOWN", *args) is NO_REPLY
    assert shutdowns == [save]
    assert session.close_after_reply
    assert encode(NO_REPLY) == b""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("SAVE", "NOSAVE"), "ERR syntax error"),
        (("ABORT", "NOW"), "ERR syntax error"),
        (("BOGUS",), "ERR syntax error"),
        (("ABORT",), "ERR No shutdown in progress."),
    ],
)
def test_shutdown_errors(
    run: Run, shutdowns: list[bool | None], args: tuple[str, ...], message: str
) -> None:
    assert run("SHUTDOWN", *args) == Error(message)
    assert shutdowns == []


# -- scripting stubs, LOLWUT -----------------------------------------------------------------


def test_lolwut_prints_the_redis_version_as_redis_7_0_does(run: Run) -> None:
    assert run("LOLWUT") == Verbatim(b"Redis ver. 7.0.15\n")
    assert run("LOLWUT", "VERSION", "1") == Verbatim(b"Redis ver. 7.0.15\n")
    assert run("LOLWUT", "VERSION") == Verbatim(b"Redis ver. 7.0.15\n")
    assert run("LOLWUT", "VERSION", "x") == Error("ERR value is not an integer or out of range")
    art = run("LOLWUT", "VERSION", "5")
    assert isinstance(art, Verbatim) and art.data.endswith(b"Redis ver. 7.0.15\n")
    assert b"Ferrite ver." in art.data


def test_info_text_without_a_command(state: ServerState) -> None:
    """info_text is what other parts (e.g. the CLI) may call directly."""
    assert info_text(state, [b"cluster"]) == "# Cluster\r\ncluster_enabled:0\r\n"


def test_keyspace_hits_and_misses_count_reads_only(run) -> None:  # type: ignore[no-untyped-def]
    def stats() -> tuple[int, int]:
        reply = run("INFO", "stats")
        text = (reply.data if hasattr(reply, "data") else reply).decode()
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        return int(fields["keyspace_hits"]), int(fields["keyspace_misses"])

    run("SET", "k", "v")  # writes do not count
    run("APPEND", "k", "w")
    assert stats() == (0, 0)
    run("GET", "k")
    run("GET", "missing")
    run("MGET", "k", "missing", "nope")
    run("STRLEN", "k")
    run("EXISTS", "k")
    run("TTL", "missing")
    assert stats() == (4, 4)
    run("CONFIG", "RESETSTAT")
    assert stats() == (0, 0)
