"""Snapshots through real servers: restarts, SAVE/BGSAVE/LASTSAVE/INFO, save rules, shutdown."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import redis
from persist_helpers import (
    Servers,
    assert_clean_refusal,
    info_persistence,
    raw,
    run_cli,
    shutdown,
    wait_for,
    wait_no_child,
)

from ferrite_host.persistence.snapshot import parse_snapshot

FUTURE = 4_102_444_800_000

VALUES = {
    b"plain": b"hello",
    b"empty": b"",
    b"nul": b"a\x00b\x00",
    b"crlf": b"one\r\ntwo\r\n",
    b"binary": bytes(range(256)) * 4,
    b"key with spaces \x00\r\n": b"v",
}


def fill(client: redis.Redis) -> None:
    for key, value in VALUES.items():
        client.set(key, value)
    client.set(b"volatile", b"v", pxat=FUTURE)
    for db in (1, 9, 15):
        client.execute_command("SELECT", db)
        client.set(b"db", b"%d" % db)
    client.execute_command("SELECT", 0)


def snapshot_records(path: Path) -> dict[tuple[int, bytes], tuple[bytes, int | None]]:
    contents = parse_snapshot(path.read_bytes())
    return {(db, key): (value, expiry) for db, key, expiry, value in contents.records}  # type: ignore[misc]


def test_restart_round_trip_with_expiries_and_databases(servers: Servers) -> None:
    server = servers.start()
    client = server.client()
    fill(client)
    short_expiry = int(time.time() * 1000) + 300
    client.set(b"short-lived", b"v", pxat=short_expiry)
    assert client.save() is True
    first = snapshot_records(servers.dir / "dump.rdb")
    assert first[(0, b"short-lived")] == (b"v", short_expiry)
    assert server.stop() == 0
    time.sleep(max(0.0, short_expiry / 1000 - time.time() + 0.05))

    server = servers.start()
    client = server.client()
    info = info_persistence(client)
    assert info["rdb_last_load_keys_expired"] == 1, "expired while down: dropped at load"
    assert info["rdb_last_load_keys_loaded"] == len(VALUES) + 4
    assert client.get(b"short-lived") is None
    for key, value in VALUES.items():
        assert client.get(key) == value
    for db in (1, 9, 15):
        client.execute_command("SELECT", db)
        assert client.get(b"db") == b"%d" % db
    client.execute_command("SELECT", 0)
    assert client.dbsize() == len(VALUES) + 1
    assert client.save() is True
    second = snapshot_records(servers.dir / "dump.rdb")
    del first[(0, b"short-lived")]
    assert second == first, "every value and absolute expiry came back byte for byte"
    assert second[(0, b"volatile")] == (b"v", FUTURE)


def test_save_bgsave_lastsave_replies_and_info(servers: Servers) -> None:
    server = servers.start("--rdb-key-save-delay", "50000")
    client = server.client()
    info = info_persistence(client)
    assert info["rdb_bgsave_in_progress"] == 0 and info["rdb_last_bgsave_status"] == "ok"
    assert info["rdb_changes_since_last_save"] == 0 and info["aof_enabled"] == 0
    assert abs(client.lastsave().timestamp() - time.time()) < 5
    for index in range(20):
        client.set(f"k{index}", index)
    assert info_persistence(client)["rdb_changes_since_last_save"] == 20

    assert raw(client, "BGSAVE") == b"Background saving started"
    with pytest.raises(redis.ResponseError, match=r"^Background save already in progress$"):
        raw(client, "BGSAVE")
    with pytest.raises(redis.ResponseError, match=r"^Background save already in progress$"):
        raw(client, "SAVE")
    # the save takes ~1 s (50 ms per key): the server keeps answering meanwhile
    assert info_persistence(client)["rdb_bgsave_in_progress"] == 1
    for _ in range(5):
        assert client.ping() is True
    client.set("written-during-bgsave", 1)
    assert client.get("written-during-bgsave") == b"1"
    assert info_persistence(client)["rdb_bgsave_in_progress"] == 1, "PING was answered mid-save"

    info = wait_no_child(client)
    assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_saves"] == 1
    assert info["rdb_changes_since_last_save"] == 1
    assert len(snapshot_records(servers.dir / "dump.rdb")) == 20

    before = client.lastsave()
    assert raw(client, "SAVE") == b"OK"
    assert info_persistence(client)["rdb_changes_since_last_save"] == 0
    assert client.lastsave() >= before
    with pytest.raises(redis.ResponseError, match="syntax error"):
        raw(client, "BGSAVE", "LATER")


def test_save_rules_fire_in_the_background(servers: Servers) -> None:
    server = servers.start("--save", "1 3")
    client = server.client()
    client.set("a", 1)
    client.set("b", 2)
    time.sleep(1.2)
    assert not (servers.dir / "dump.rdb").exists(), "2 changes do not meet the '1 3' rule"
    client.set("c", 3)
    wait_for(lambda: info_persistence(client)["rdb_saves"] >= 1, what="the save rule to fire")
    assert len(snapshot_records(servers.dir / "dump.rdb")) == 3
    assert "3 changes in 1 seconds. Saving..." in server.log()


def test_sigterm_saves_when_rules_exist(servers: Servers) -> None:
    server = servers.start("--save", "3600 1")
    server.client().set("k", "v")
    assert server.stop(signal.SIGTERM) == 0
    assert "Saving the final RDB snapshot before exiting." in server.log()
    assert snapshot_records(servers.dir / "dump.rdb") == {(0, b"k"): (b"v", None)}


def test_shutdown_nosave_and_save(servers: Servers) -> None:
    server = servers.start("--save", "3600 1")
    server.client().set("k", "v")
    assert shutdown(server, "NOSAVE") == 0
    assert not (servers.dir / "dump.rdb").exists()

    server = servers.start()  # no save rules: a plain SHUTDOWN does not save ...
    server.client().set("k", "v")
    assert shutdown(server) == 0
    assert not (servers.dir / "dump.rdb").exists()

    server = servers.start()  # ... but SHUTDOWN SAVE does
    server.client().set("k", "v2")
    assert shutdown(server, "SAVE") == 0
    assert snapshot_records(servers.dir / "dump.rdb") == {(0, b"k"): (b"v2", None)}


def saved_file(servers: Servers) -> bytes:
    server = servers.start()
    client = server.client()
    fill(client)
    client.save()
    server.stop()
    return (servers.dir / "dump.rdb").read_bytes()


def test_damaged_snapshots_refuse_to_start_with_one_clear_line(servers: Servers) -> None:
    data = saved_file(servers)
    path = servers.dir / "dump.rdb"
    header_end = 12  # every offset is covered in-process; these go through real start-ups
    offsets = [1, header_end, len(data) // 2, len(data) - 1]
    for size in offsets:
        path.write_bytes(data[:size])
        code, log = servers.start_failing()
        line = assert_clean_refusal(code, log, f"Bad snapshot file {path} at offset")
        assert "check-snapshot" in line
    for position in (len(data) // 3,):
        damaged = bytearray(data)
        damaged[position] ^= 0x04
        path.write_bytes(bytes(damaged))
        code, log = servers.start_failing()
        assert_clean_refusal(code, log, f"Bad snapshot file {path} at offset")


def test_zero_byte_snapshot_and_stale_temp_files(servers: Servers) -> None:
    path = servers.dir / "dump.rdb"
    path.write_bytes(b"")
    stale = servers.dir / f"temp-{2**22 + 4321}.rdb"
    stale.write_bytes(b"FERRITE\x00 partial")
    server = servers.start()
    assert server.client().dbsize() == 0
    assert not stale.exists()
    assert "is empty (0 bytes)" in server.log()


def test_check_snapshot_cli(servers: Servers) -> None:
    data = saved_file(servers)
    path = servers.dir / "dump.rdb"
    result = run_cli("check-snapshot", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: {len(VALUES) + 4} keys readable, checksum verified" in result.stdout
    assert "[info] db 15: 1 keys" in result.stdout

    cut = servers.dir / "cut.rdb"
    cut.write_bytes(data[:-3])  # inside the checksum: every key is still readable
    result = run_cli("check-snapshot", str(cut))
    assert result.returncode == 1
    assert f"DAMAGED: {cut} at offset" in result.stdout
    assert f"{len(VALUES) + 4} keys readable before the damage" in result.stdout

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x01
    cut.write_bytes(bytes(flipped))
    result = run_cli("check-snapshot", str(cut))
    assert result.returncode == 1 and "DAMAGED" in result.stdout

    result = run_cli("check-snapshot", str(servers.dir / "missing.rdb"))
    assert result.returncode == 1 and "cannot read the file" in result.stderr


def test_kill_during_bgsave_keeps_the_previous_snapshot(servers: Servers) -> None:
    server = servers.start("--rdb-key-save-delay", "2000")
    client = server.client()
    for index in range(300):
        client.set(f"k{index}", "before")
    client.save()
    good = (servers.dir / "dump.rdb").read_bytes()
    client.set("marker", "after")
    raw(client, "BGSAVE")
    wait_for(
        lambda: any(name.startswith("temp-") for name in os.listdir(servers.dir)),
        what="the child to start writing",
    )
    server.kill()  # the child dies with its parent
    assert (servers.dir / "dump.rdb").read_bytes() == good

    server = servers.start()
    client = server.client()
    assert client.dbsize() == 300 and client.get("marker") is None
    assert not any(name.startswith("temp-") for name in os.listdir(servers.dir))
