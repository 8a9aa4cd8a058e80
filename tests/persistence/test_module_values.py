"""Module values through real restarts, with the pip-installed fixture module `fxpersist`.

fxlist has every callback; fxblob has no aof_rewrite (rewrites use FERRITE.RESTORE); fxtemp
has no rdb_save (never persisted). A list holding `poison` makes rdb_load raise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis
from persist_helpers import (
    Servers,
    assert_clean_refusal,
    install_fixture_module,
    module_env,
    raw,
    run_cli,
    wait_no_child,
)

from ferrite_host.persistence.snapshot import ModulePayload, parse_snapshot

FUTURE = 4_102_444_800_000
FX = ["fxpersist"]


@pytest.fixture(scope="module")
def fx_env() -> dict[str, str]:
    return module_env(install_fixture_module())


class ModuleServers:
    """Servers sharing one directory, started with the fixture module on the path."""

    def __init__(self, servers: Servers, env: dict[str, str]) -> None:
        self.servers = servers
        self.env = env
        self.dir = servers.dir

    def start(self, *args: str, modules: list[Any] | None = None) -> Any:
        return self.servers.start(*args, modules=FX if modules is None else modules, env=self.env)

    def start_failing(self, *args: str, modules: list[Any] | None = None) -> tuple[int, str]:
        return self.servers.start_failing(
            *args, modules=FX if modules is None else modules, env=self.env
        )


@pytest.fixture
def mservers(servers: Servers, fx_env: dict[str, str]) -> ModuleServers:
    return ModuleServers(servers, fx_env)


def fill(client: redis.Redis) -> None:
    client.execute_command("FXP.PUSH", "list", "a", b"\x00\r\n", "")
    client.execute_command("FXP.PUSH", "list", "z")
    client.execute_command("FXP.EXPIREAT", "list", FUTURE)
    client.execute_command("FXP.SETBLOB", "blob", b"\xff" * 300)
    client.execute_command("SELECT", 4)
    client.execute_command("FXP.PUSH", "db4-list", "x")
    client.execute_command("SELECT", 0)
    client.set("plain", "string")


def check(client: redis.Redis) -> None:
    assert client.execute_command("FXP.GET", "list") == [b"a", b"\x00\r\n", b"", b"z"]
    assert client.execute_command("FXP.GET", "blob") == [b"\xff" * 300]
    assert client.get("plain") == b"string"
    client.execute_command("SELECT", 4)
    assert client.execute_command("FXP.GET", "db4-list") == [b"x"]
    client.execute_command("SELECT", 0)
    assert client.type("list") == b"fxlist"


def module_records(path: Path) -> dict[bytes, tuple[Any, int | None]]:
    return {
        key: (value, expiry) for _, key, expiry, value in parse_snapshot(path.read_bytes()).records
    }


def test_snapshot_round_trip_of_module_values(mservers: ModuleServers) -> None:
    server = mservers.start()
    client = server.client()
    fill(client)
    client.execute_command("FXP.SETTEMP", "temp", "not saved")
    assert client.save() is True
    assert "Skipped 1 key(s) of module type 'fxtemp' (module 'fxpersist')" in server.log()
    server.stop()

    records = module_records(mservers.dir / "dump.rdb")
    payload, expiry = records[b"list"]
    assert isinstance(payload, ModulePayload) and expiry == FUTURE
    # RDB stores the type id (name + encver), not the module's name
    assert (payload.type_name, payload.encver) == ("fxlist", 1)
    assert b"temp" not in records

    server = mservers.start()
    client = server.client()
    check(client)
    assert client.execute_command("FXP.ENCVER", "list") == 1, "rebuilt by rdb_load"
    assert client.execute_command("FXP.GET", "temp") is None
    client.save()
    assert module_records(mservers.dir / "dump.rdb")[b"list"][1] == FUTURE, "TTL kept exactly"


def test_rdb_load_gets_the_encver_that_wrote_the_value(mservers: ModuleServers) -> None:
    server = mservers.start()
    server.client().execute_command("FXP.PUSH", "old", "v")
    server.client().save()
    server.stop()
    server = mservers.start(modules=[("fxpersist", "encver", "2")])
    assert server.client().execute_command("FXP.ENCVER", "old") == 1
    server.client().save()
    server.stop()

    code, log = mservers.start_failing(modules=[("fxpersist", "encver", "1")])
    assert_clean_refusal(code, log, "encoding version 2, newer than the 1")


def test_missing_module_refuses_to_start_naming_type_and_module(mservers: ModuleServers) -> None:
    server = mservers.start()
    fill(server.client())
    server.client().save()
    server.stop()
    strict = ("--keep-unknown-module-values", "no")
    code, log = mservers.start_failing(*strict, modules=[])
    line = assert_clean_refusal(code, log, "no matching module type 'fxlist'")
    assert "Install that module" in line
    code, log = mservers.start_failing(*strict, "--disable-module", "fxpersist", modules=None)
    assert_clean_refusal(code, log, "no matching module type")


def test_raising_rdb_load_refuses_to_start_naming_the_key(mservers: ModuleServers) -> None:
    server = mservers.start()
    client = server.client()
    client.execute_command("FXP.PUSH", "fine", "ok")
    client.execute_command("FXP.PUSH", "bad-key", "poison")
    client.save()
    server.stop()
    code, log = mservers.start_failing()
    assert_clean_refusal(code, log, "failed to load key 'bad-key'", "ValueError: poisoned payload")


def test_aof_replays_module_commands(mservers: ModuleServers) -> None:
    server = mservers.start("--appendonly", "yes", "--appendfsync", "always")
    client = server.client()
    fill(client)
    server.kill()
    server = mservers.start("--appendonly", "yes")
    check(server.client())
    assert server.client().execute_command("FXP.ENCVER", "list") == -1, "replayed, not rdb_load"
    server.stop()

    code, log = mservers.start_failing("--appendonly", "yes", modules=[])
    assert_clean_refusal(code, log, "Unknown command 'FXP.PUSH'", "install and load the module")


def test_rewrite_uses_aof_rewrite_or_ferrite_restore(mservers: ModuleServers) -> None:
    server = mservers.start("--appendonly", "yes")
    client = server.client()
    fill(client)
    client.execute_command("FXP.SETTEMP", "temp", "t")
    assert raw(client, "BGREWRITEAOF") == b"Background append only file rewriting started"
    info = wait_no_child(client)
    assert info["aof_last_bgrewrite_status"] == "ok"
    text = (mservers.dir / "appendonly.aof").read_bytes()
    assert b"FXP.PUSH" in text and b"FERRITE.RESTORE" in text and b"MODULE" in text
    assert b"FXP.EXPIREAT" not in text and b"PEXPIREAT" in text
    assert "AOF rewrite skipped 1 key(s) of module type 'fxtemp'" in server.log()
    server.kill()

    server = mservers.start("--appendonly", "yes")
    client = server.client()
    check(client)
    assert client.execute_command("FXP.ENCVER", "blob") == 1, "FERRITE.RESTORE used rdb_load"
    server.stop()

    code, log = mservers.start_failing("--appendonly", "yes", modules=[])
    assert_clean_refusal(code, log, "append only file", "at offset")


def test_debug_reload_with_module_values(mservers: ModuleServers) -> None:
    server = mservers.start()
    client = server.client()
    fill(client)
    try:
        assert client.execute_command("DEBUG", "RELOAD") == b"OK"
    except redis.ResponseError as exc:
        if "unknown command" in str(exc):
            pytest.skip("DEBUG is not implemented in this build yet")
        raise
    check(client)
    assert client.execute_command("FXP.ENCVER", "list") == 1


def test_values_of_a_missing_module_are_kept_and_saved_back_unchanged(
    mservers: ModuleServers,
) -> None:
    server = mservers.start()
    fill(server.client())
    server.client().save()
    server.stop()
    before = module_records(mservers.dir / "dump.rdb")
    report = run_cli("check-snapshot", str(mservers.dir / "dump.rdb")).stdout
    assert "module type 'fxlist': 2 keys; needs the module that registers this type" in report

    server = mservers.start(modules=[])
    client = server.client()
    assert "Kept 2 key(s) of module type 'fxlist' as opaque values" in server.log()
    assert client.type("list") == b"fxlist"
    assert client.rename("list", "renamed") is True
    assert client.rename("renamed", "list") is True
    payload = client.dump("blob")
    assert client.delete("blob") == 1
    client.restore("blob", 0, payload)
    assert client.save() is True
    server.stop()
    after = module_records(mservers.dir / "dump.rdb")
    assert {
        key: (value.raw, expiry) for key, (value, expiry) in after.items() if key != b"plain"
    } == {key: (value.raw, expiry) for key, (value, expiry) in before.items() if key != b"plain"}

    server = mservers.start()
    check(server.client())
