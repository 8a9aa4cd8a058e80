"""`Persistence` in-process: loading policies, damaged files, SAVE, the AOF sink and replay."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from persist_helpers import ListType, execute

from ferrite_host.core.errors import StartupError
from ferrite_host.core.spec import CommandSpec
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue
from ferrite_host.persistence import Persistence
from ferrite_host.persistence.aof import encode_command
from ferrite_host.persistence.snapshot import parse_snapshot
from ferrite_host.protocol.replies import OK, Error

MakeState = Callable[..., ServerState]
FUTURE = 4_102_444_800_000


def attach(state: ServerState) -> Persistence:
    return Persistence.attach(state)


def wait_child(persistence: Persistence) -> None:
    deadline = time.monotonic() + 15
    while persistence.child is not None:
        assert time.monotonic() < deadline, "background child did not finish"
        persistence.cron()
        time.sleep(0.005)


def saved_dataset(make_state: MakeState) -> bytes:
    state = make_state()
    attach(state)
    execute(state, "SET", "a", "1")
    execute(state, "SET", "b", b"\x00\r\n", "PXAT", FUTURE)
    execute(state, "SELECT", 7)
    execute(state, "SET", "c", "3")
    assert execute(state, "SAVE") == OK
    return (Path(state.settings.dir) / "dump.rdb").read_bytes()


def dataset(state: ServerState) -> dict[tuple[int, bytes], tuple[Any, int | None]]:
    return {
        (db.index, key): (value.value if isinstance(value, TypedValue) else bytes(value), expiry)
        for db in state.keyspace.dbs
        for key, value, expiry in db.items()
    }


# -- start-up loading ------------------------------------------------------------------------


def test_missing_and_zero_byte_snapshots_start_empty(make_state: MakeState, tmp_path: Path) -> None:
    state = make_state()
    attach(state)
    assert state.keyspace.key_count() == 0
    (tmp_path / "dump.rdb").write_bytes(b"")
    state = make_state()
    attach(state)
    assert state.keyspace.key_count() == 0 and Persistence.of(state) is not None


def test_snapshot_is_loaded_at_attach(make_state: MakeState) -> None:
    saved_dataset(make_state)
    state = make_state()
    persistence = attach(state)
    assert dataset(state) == {
        (0, b"a"): (b"1", None),
        (0, b"b"): (b"\x00\r\n", FUTURE),
        (7, b"c"): (b"3", None),
    }
    assert state.dirty == 0
    info = dict(persistence.info())
    assert info["rdb_last_load_keys_loaded"] == 3 and info["loading"] == 0


def test_every_truncation_refuses_to_start_with_one_line(
    make_state: MakeState, tmp_path: Path
) -> None:
    data = saved_dataset(make_state)
    path = tmp_path / "dump.rdb"
    for size in range(1, len(data)):
        path.write_bytes(data[:size])
        state = make_state()
        with pytest.raises(StartupError) as info:
            attach(state)
        message = str(info.value)
        assert "\n" not in message
        assert f"Bad snapshot file {path} at offset " in message
        assert state.keyspace.key_count() == 0, "never a partial load"


def test_bit_flips_refuse_to_start(make_state: MakeState, tmp_path: Path) -> None:
    data = saved_dataset(make_state)
    path = tmp_path / "dump.rdb"
    for position in range(0, len(data), 3):
        damaged = bytearray(data)
        damaged[position] ^= 0x10
        path.write_bytes(bytes(damaged))
        state = make_state()
        with pytest.raises(StartupError, match="at offset"):
            attach(state)
        assert state.keyspace.key_count() == 0


def test_missing_directory_is_a_clear_startup_error(make_state: MakeState, tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="does not exist"):
        attach(make_state(dir=str(tmp_path / "nope")))


def test_stale_temp_files_are_ignored_and_removed(make_state: MakeState, tmp_path: Path) -> None:
    saved_dataset(make_state)
    dead_pid = 2**22 + 12345  # above pid_max defaults: no such process
    stale = [tmp_path / f"temp-{dead_pid}.rdb", tmp_path / f"temp-rewriteaof-bg-{dead_pid}.aof"]
    for path in stale:
        path.write_bytes(b"partial garbage")
    state = make_state()
    attach(state)
    assert state.keyspace.key_count() == 3
    assert not any(path.exists() for path in stale)


# -- SAVE, LASTSAVE, INFO --------------------------------------------------------------------


def test_save_lastsave_and_info(make_state: MakeState, tmp_path: Path) -> None:
    state = make_state()
    persistence = attach(state)
    before = execute(state, "LASTSAVE")
    assert isinstance(before, int) and abs(before - time.time()) < 5
    execute(state, "SET", "k", "v")
    assert dict(persistence.info())["rdb_changes_since_last_save"] == 1
    assert execute(state, "SAVE") == OK
    info = dict(persistence.info())
    assert info["rdb_changes_since_last_save"] == 0
    assert info["rdb_saves"] == 1 and info["rdb_last_bgsave_status"] == "ok"
    assert [r[1] for r in parse_snapshot((tmp_path / "dump.rdb").read_bytes()).records] == [b"k"]
    assert os.listdir(tmp_path) == ["dump.rdb"], "no temp file is left behind"


def test_bgsave_writes_a_point_in_time_snapshot(make_state: MakeState, tmp_path: Path) -> None:
    state = make_state()
    persistence = attach(state)
    for index in range(50):
        execute(state, "SET", f"k{index}", index)
    assert execute(state, "BGSAVE") == "Background saving started"
    execute(state, "SET", "after-fork", "x")  # not part of this snapshot
    assert execute(state, "BGSAVE") == Error("ERR Background save already in progress")
    assert execute(state, "SAVE") == Error("ERR Background save already in progress")
    wait_child(persistence)
    records = parse_snapshot((tmp_path / "dump.rdb").read_bytes()).records
    assert len(records) == 50 and b"after-fork" not in {r[1] for r in records}
    info = dict(persistence.info())
    assert info["rdb_changes_since_last_save"] == 1, "only the write after the fork is unsaved"
    assert info["rdb_bgsave_in_progress"] == 0 and info["rdb_saves"] == 1


def test_bgsave_arguments(make_state: MakeState) -> None:
    state = make_state()
    attach(state)
    assert execute(state, "BGSAVE", "NOW") == Error("ERR syntax error")
    assert execute(state, "BGSAVE", "SCHEDULE", "x") == Error("ERR syntax error")


def test_failing_rdb_save_keeps_the_old_snapshot(make_state: MakeState, tmp_path: Path) -> None:
    original = saved_dataset(make_state)
    state = make_state()
    persistence = attach(state)
    state.keyspace[0].set(b"mod", TypedValue(ListType(fail_save=True), [b"x"]))
    reply = execute(state, "SAVE")
    assert isinstance(reply, Error) and "failed to save key 'mod'" in reply
    assert dict(persistence.info())["rdb_last_bgsave_status"] == "err"
    assert (tmp_path / "dump.rdb").read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["dump.rdb"]
    assert execute(state, "BGSAVE") == "Background saving started"
    wait_child(persistence)
    assert dict(persistence.info())["rdb_last_bgsave_status"] == "err"
    assert (tmp_path / "dump.rdb").read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["dump.rdb"]


def test_save_rules_start_a_background_save(make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(save="1 2")
    persistence = attach(state)
    execute(state, "SET", "k", "v")
    persistence.lastsave = time.time() - 5
    persistence.cron()
    assert persistence.child is None, "1 change is below the rule's 2"
    execute(state, "SET", "k2", "v")
    persistence.cron()
    assert persistence.child is not None and persistence.child.kind == "rdb"
    wait_child(persistence)
    assert len(parse_snapshot((tmp_path / "dump.rdb").read_bytes()).records) == 2


@pytest.mark.parametrize(
    ("save", "rules", "saved"),
    [(None, "3600 1", True), (False, "3600 1", False), (None, "", False), (True, "", True)],
)
def test_shutdown_saves_per_rules_and_flags(
    make_state: MakeState, tmp_path: Path, save: bool | None, rules: str, saved: bool
) -> None:
    state = make_state(save=rules)
    persistence = attach(state)
    execute(state, "SET", "k", "v")
    persistence.on_shutdown(save)
    assert (tmp_path / "dump.rdb").exists() is saved


def test_debug_reload_saves_and_loads_in_place(make_state: MakeState) -> None:
    state = make_state()
    persistence = attach(state)
    vtype = ListType()
    state.module_types["demolist"] = vtype
    execute(state, "SET", "k", "v")
    state.keyspace[2].put(b"m", TypedValue(vtype, [b"1", b"2"]), FUTURE)
    before = dataset(state)
    persistence.debug_reload()
    assert dataset(state) == before
    assert vtype.released == [[b"1", b"2"]], "the old value was freed when replaced"
    assert state.dirty == 0


# -- the append-only file --------------------------------------------------------------------


def test_sink_writes_select_on_db_change_and_blocks_whole(
    make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state(appendonly=True)
    attach(state)
    execute(state, "SET", "a", "1")
    execute(state, "SET", "b", "2")
    state.propagate(
        3, [[b"MULTI"], [b"SET", b"c", b"3"], [b"SELECT", b"5"], [b"SET", b"d", b"4"], [b"EXEC"]]
    )
    state.propagate(5, [[b"SET", b"e", b"5"]])
    state.propagate(0, [[b"SET", b"f", b"6"]])
    expected = b"".join(
        encode_command(argv)
        for argv in [
            [b"SELECT", b"0"], [b"SET", b"a", b"1"], [b"SET", b"b", b"2"],
            [b"SELECT", b"3"], [b"MULTI"], [b"SET", b"c", b"3"], [b"SELECT", b"5"],
            [b"SET", b"d", b"4"], [b"EXEC"], [b"SET", b"e", b"5"],
            [b"SELECT", b"0"], [b"SET", b"f", b"6"],
        ]
    )  # fmt: skip
    assert (tmp_path / "appendonly.aof").read_bytes() == expected


def write_aof(path: Path, *commands: list[bytes | str]) -> bytes:
    data = b"".join(encode_command(argv) for argv in commands)
    path.write_bytes(data)
    return data


def test_aof_replay_wins_over_the_snapshot(make_state: MakeState, tmp_path: Path) -> None:
    saved_dataset(make_state)
    write_aof(
        tmp_path / "appendonly.aof",
        ["SET", "x", "1"],
        ["SELECT", "2"],
        ["INCR", "n"],
        ["INCR", "n"],
    )
    state = make_state(appendonly=True)
    attach(state)
    assert dataset(state) == {(0, b"x"): (b"1", None), (2, b"n"): (b"2", None)}
    assert state.stats.total_commands == 0, "replayed commands are not client traffic"


def test_aof_missing_loads_the_snapshot_and_creates_the_aof(
    make_state: MakeState, tmp_path: Path
) -> None:
    saved_dataset(make_state)
    state = make_state(appendonly=True)
    attach(state)
    assert len(dataset(state)) == 3
    assert (tmp_path / "appendonly.aof").stat().st_size > 0
    restarted = make_state(appendonly=True)
    (tmp_path / "dump.rdb").unlink()
    attach(restarted)
    assert dataset(restarted) == dataset(state)


def test_replay_does_not_expire_keys_midway(make_state: MakeState, tmp_path: Path) -> None:
    """INCR ran before the key expired; replaying it later must not resurrect the key."""
    past = int(time.time() * 1000) - 60_000
    write_aof(
        tmp_path / "appendonly.aof",
        ["SET", "k", "1", "PXAT", str(past)],
        ["INCR", "k"],
        ["SET", "live", "1"],
    )
    state = make_state(appendonly=True)
    persistence = attach(state)
    assert dataset(state) == {(0, b"live"): (b"1", None)}
    assert dict(persistence.info())["rdb_last_load_keys_expired"] == 1


def test_replay_does_not_append_to_the_aof(make_state: MakeState, tmp_path: Path) -> None:
    data = write_aof(tmp_path / "appendonly.aof", ["SET", "a", "1"], ["SET", "b", "2"])
    attach(make_state(appendonly=True))
    assert (tmp_path / "appendonly.aof").read_bytes() == data


def test_truncated_tail_is_dropped_and_the_file_repaired(
    make_state: MakeState, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "appendonly.aof"
    whole = write_aof(path, ["SET", "a", "1"], ["SET", "b", "2"])
    last = encode_command(["SET", "c", "3"])
    for cut in range(1, len(last)):
        path.write_bytes(whole + last[:cut])
        state = make_state(appendonly=True)
        persistence = attach(state)
        assert dataset(state) == {(0, b"a"): (b"1", None), (0, b"b"): (b"2", None)}
        assert path.read_bytes() == whole, f"file not repaired for cut {cut}"
        assert f"Truncating the AOF {path} at offset {len(whole)}" in caplog.text
        persistence.close()


def test_truncated_multi_block_is_dropped_whole(make_state: MakeState, tmp_path: Path) -> None:
    path = tmp_path / "appendonly.aof"
    whole = write_aof(path, ["SET", "a", "1"])
    block = write_aof(path, ["MULTI"], ["SET", "b", "2"], ["INCR", "n"], ["EXEC"])
    for cut in (len(block) - 1, len(block) - len(encode_command(["EXEC"])), 20):
        path.write_bytes(whole + block[:cut])
        state = make_state(appendonly=True)
        attach(state).close()
        assert dataset(state) == {(0, b"a"): (b"1", None)}
        assert path.read_bytes() == whole
    path.write_bytes(whole + block)
    state = make_state(appendonly=True)
    attach(state)
    assert dataset(state) == {
        (0, b"a"): (b"1", None),
        (0, b"b"): (b"2", None),
        (0, b"n"): (b"1", None),
    }


def test_truncated_tail_with_aof_load_truncated_no_refuses(
    make_state: MakeState, tmp_path: Path
) -> None:
    path = tmp_path / "appendonly.aof"
    whole = write_aof(path, ["SET", "a", "1"])
    path.write_bytes(whole + b"*3\r\n$3\r\nSET")
    with pytest.raises(StartupError) as info:
        attach(make_state(appendonly=True, aof_load_truncated=False))
    assert (
        f"Unexpected end of file reading the append only file {path} at offset {len(whole)}"
        in str(info.value)
    )
    assert "aof-load-truncated yes" in str(info.value)
    assert path.read_bytes() == whole + b"*3\r\n$3\r\nSET", "the file is left alone"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (b"+OK\r\n", "expected '*'"),
        (b"*1\r\n$4\r\nPING\r\nxx", "expected '*'"),
        (b"*1\r\n$2\r\nPING\r\n", "not followed by CRLF"),
        (b"*x\r\n", "malformed"),
        (b"*0\r\n", "no arguments"),
        (b"*1\r\n$-1\r\n", "malformed"),
    ],
)
def test_format_errors_refuse_to_start(
    make_state: MakeState, tmp_path: Path, damage: bytes, reason: str
) -> None:
    path = tmp_path / "appendonly.aof"
    whole = write_aof(path, ["SET", "a", "1"])
    path.write_bytes(whole + damage + encode_command(["SET", "b", "2"]))
    state = make_state(appendonly=True)
    with pytest.raises(StartupError) as info:
        attach(state)
    assert f"Bad file format reading the append only file {path} at offset" in str(info.value)
    assert reason in str(info.value)


def test_unknown_command_in_the_aof_refuses_to_start(make_state: MakeState, tmp_path: Path) -> None:
    path = tmp_path / "appendonly.aof"
    offset = len(write_aof(path, ["SET", "a", "1"]))
    write_aof(path, ["SET", "a", "1"], ["NOSUCH.CMD", "k"])
    with pytest.raises(
        StartupError, match=rf"Unknown command 'NOSUCH.CMD' .* at offset {offset}: install and load"
    ):
        attach(make_state(appendonly=True))


# -- rewrite and module values ----------------------------------------------------------------


def register_demo(state: ServerState, vtype: ListType) -> None:
    """A stand-in for a module: its type, and a write command that builds values of it."""

    def push(session: Any, argv: list[bytes]) -> Any:
        current = session.db.get(argv[1])
        if current is None:
            session.db.set(argv[1], TypedValue(vtype, [argv[2]]))
        else:
            current.value.append(argv[2])
            session.db.touch_value(argv[1])
        return OK

    state.module_types[vtype.name] = vtype
    state.commands.register(
        CommandSpec("demo.push", push, 3, frozenset({"write"}), 1, 1, 1, owner="demo")
    )


def test_bgrewriteaof_is_compact_and_keeps_writes_made_during_it(
    make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state(appendonly=True)
    register_demo(state, ListType())
    persistence = attach(state)
    for index in range(20):
        execute(state, "INCR", "counter")
        execute(state, "SET", f"k{index}", index, "PX", 3_600_000)
    execute(state, "DEMO.PUSH", "list", "a")
    execute(state, "DEMO.PUSH", "list", "b")
    execute(state, "SELECT", 4)
    execute(state, "SET", "four", "4")
    size_before = (tmp_path / "appendonly.aof").stat().st_size
    assert execute(state, "BGREWRITEAOF") == "Background append only file rewriting started"
    assert execute(state, "BGREWRITEAOF") == Error(
        "ERR Background append only file rewriting already in progress"
    )
    assert execute(state, "BGSAVE").startswith("ERR Another child process is active (AOF?)")
    assert execute(state, "BGSAVE", "SCHEDULE") == "Background saving scheduled"
    execute(state, "SET", "during", "1")
    execute(state, "SELECT", 0)
    execute(state, "INCR", "counter")
    wait_child(persistence)  # reaps the rewrite, then runs the scheduled BGSAVE
    wait_child(persistence)
    execute(state, "SET", "after", "1")
    assert (tmp_path / "appendonly.aof").stat().st_size < size_before + 200
    expected = dataset(state)
    persistence.close()

    restarted = make_state(appendonly=True)
    register_demo(restarted, ListType())
    attach(restarted)
    assert dataset(restarted) == expected
    assert expected[(0, b"counter")] == (b"21", None) and expected[(4, b"during")] == (b"1", None)
    assert expected[(0, b"list")] == ([b"a", b"b"], None)


def test_rewrite_uses_restore_for_types_without_aof_rewrite(
    make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state(appendonly=True)
    vtype = ListType(rewrites=False, encver=3)
    state.module_types[vtype.name] = vtype
    persistence = attach(state)
    state.keyspace[1].put(b"m", TypedValue(vtype, [b"x", b"\r\n"]), FUTURE)
    execute(state, "BGREWRITEAOF")
    wait_child(persistence)
    text = (tmp_path / "appendonly.aof").read_bytes()
    assert b"FERRITE.RESTORE" in text and b"demolist" in text and b"PXAT" in text
    persistence.close()

    restarted = make_state(appendonly=True)
    restored_type = ListType(rewrites=False, encver=3)
    restarted.module_types[vtype.name] = restored_type
    attach(restarted)
    assert dataset(restarted) == {(1, b"m"): ([b"x", b"\r\n"], FUTURE)}
    assert restored_type.loaded_encvers == [3]

    missing = make_state(appendonly=True)
    with pytest.raises(
        StartupError, match=r"no matching module type 'demolist' .* module 'demo-module'"
    ):
        attach(missing)


def test_ferrite_restore_command(make_state: MakeState) -> None:
    state = make_state()
    vtype = ListType()
    state.module_types[vtype.name] = vtype
    attach(state)
    payload = vtype.save([b"p", b"q"])
    assert execute(state, "FERRITE.RESTORE", "k", "demolist", 2, payload) == OK
    assert dataset(state) == {(0, b"k"): ([b"p", b"q"], None)}
    assert (
        execute(
            state, "FERRITE.RESTORE", "k", "demolist", 2, payload, "PXAT", FUTURE, "MODULE", "m"
        )
        == OK
    )
    assert dataset(state)[(0, b"k")][1] == FUTURE
    assert execute(state, "FERRITE.RESTORE", "k", "demolist", 2, payload, "PXAT", 1) == OK
    assert dataset(state) == {}, "an expiry in the past deletes, as RESTORE ABSTTL does"
    assert execute(state, "FERRITE.RESTORE", "k", "demolist", 9, payload).startswith(
        "ERR key 'k' of module type"
    )
    assert "no matching module type 'nope'" in execute(
        state, "FERRITE.RESTORE", "k", "nope", 1, payload
    )
    assert execute(state, "FERRITE.RESTORE", "k", "demolist", "x", payload) == Error(
        "ERR invalid encoding version"
    )
    assert execute(state, "FERRITE.RESTORE", "k", "demolist", 1, payload, "PXAT") == Error(
        "ERR syntax error"
    )


def test_auto_rewrite_on_growth(make_state: MakeState, tmp_path: Path) -> None:
    state = make_state(
        appendonly=True, auto_aof_rewrite_min_size=1000, auto_aof_rewrite_percentage=100
    )
    persistence = attach(state)
    for _ in range(100):
        execute(state, "SET", "same", "x" * 20)
    persistence.cron()
    assert persistence.child is not None and persistence.child.kind == "aof"
    wait_child(persistence)
    info = dict(persistence.info())
    assert info["aof_rewrites"] == 1 and info["aof_current_size"] == info["aof_base_size"] < 100


def test_config_set_appendonly_starts_and_stops_the_aof(
    make_state: MakeState, tmp_path: Path
) -> None:
    state = make_state()
    persistence = attach(state)
    execute(state, "SET", "before", "1")
    state.settings.appendonly = True
    persistence.on_config_change({"appendonly"})
    assert dict(persistence.info())["aof_enabled"] == 1 and persistence.child is not None
    execute(state, "SET", "during", "2")
    wait_child(persistence)
    execute(state, "SET", "after", "3")
    state.settings.appendonly = False
    persistence.on_config_change({"appendonly"})
    execute(state, "SET", "off", "4")
    assert dict(persistence.info())["aof_enabled"] == 0

    restarted = make_state(appendonly=True)
    attach(restarted)
    assert {key for _, key in dataset(restarted)} == {b"before", b"during", b"after"}


def test_shutdown_while_the_first_rewrite_runs_writes_the_aof(make_state: MakeState) -> None:
    state = make_state(rdb_key_save_delay=200_000)
    persistence = attach(state)
    execute(state, "SET", "before", "1")
    state.settings.appendonly = True
    persistence.on_config_change({"appendonly"})
    execute(state, "SET", "during", "2")
    assert persistence.child is not None, "the rewrite that creates the AOF is running"
    persistence.on_shutdown(False)
    execute(state, "SET", "late", "3")  # a command slipping in while connections close
    restarted = make_state(appendonly=True)
    attach(restarted)
    assert {key for _, key in dataset(restarted)} == {b"before", b"during", b"late"}


def test_a_select_beyond_the_databases_refuses_to_start(
    make_state: MakeState, tmp_path: Path
) -> None:
    write_aof(tmp_path / "appendonly.aof", ["SELECT", "20"], ["SET", "a", "1"])
    with pytest.raises(StartupError, match=r"at offset 0: it selects db 20, .* raise 'databases'"):
        attach(make_state(appendonly=True))


def test_a_failing_replayed_command_is_logged_and_loading_goes_on(
    make_state: MakeState, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_aof(
        tmp_path / "appendonly.aof", ["SET", "s", "abc"], ["INCR", "s"], ["SET", "after", "1"]
    )
    state = make_state(appendonly=True)
    attach(state)
    assert dataset(state) == {(0, b"s"): (b"abc", None), (0, b"after"): (b"1", None)}
    assert "failed while loading: ERR value is not an integer" in caplog.text
