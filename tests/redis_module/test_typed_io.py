"""Typed RDB IO (`TypeMethods(typed_io=True)`), aux data and emit_aof, through the fx_typed
fixture module: DUMP/RESTORE, SAVE and BGSAVE with a restart, AOF rewrite with a restart,
the exact bytes Redis's module opcodes give, and truncated payloads refused cleanly."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_module_helpers import add_module, fx_env, raw_replies

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.module import Module
from ferrite_host.persistence.aof import iter_commands
from ferrite_host.persistence.rdb.crc64 import crc64
from ferrite_host.persistence.rdb.reader import parse_rdb
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module import RedisModuleManager
from ferrite_host.redis_module.api import AuxWhen, RedisModuleIO
from ferrite_host.testing import FerriteProcess, run_command

RECORD = ["18446744073709551615", "-9223372036854775808", "1.5", "0.25", "0.1", "a", "bb", "c"]
SHOWN = [b"18446744073709551615", b"-9223372036854775808", b"1.5", b"0.25", b"0.1"]
SHOWN += [b"a", b"bb", b"c"]
CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def type_id(name: str, encver: int) -> int:
    """Redis's module type id, computed here from its definition (6 bits a character)."""
    packed = 0
    for char in name:
        packed = packed * 64 + CHARSET.index(char)
    return packed << 10 | encver


def length(value: int) -> bytes:
    if value < 64:
        return bytes([value])
    if value < 1 << 14:
        return bytes([0x40 | value >> 8, value & 0xFF])
    if value < 1 << 32:
        return b"\x80" + value.to_bytes(4, "big")
    return b"\x81" + value.to_bytes(8, "big")


def payload(body: bytes) -> bytes:
    """A DUMP payload: module type 7, `body`, RDB version 10, CRC64."""
    data = b"\x07" + body + (10).to_bytes(2, "little")
    return data + crc64(data).to_bytes(8, "little")


def record_fields(items: list[bytes], count: int | None = None) -> bytes:
    """The typed fields fx_typed saves for (1, -1, 2.0, 0.5, 0.5L, items)."""
    fields = b"\x02" + length(1) + b"\x02" + length((1 << 64) - 1)  # signed: as unsigned
    fields += b"\x04" + struct.pack("<d", 2.0) + b"\x03" + struct.pack("<f", 0.5)
    fields += b"\x05" + length(3) + b"0.5"
    fields += b"\x02" + length(len(items) if count is None else count)
    for item in items:
        fields += b"\x05" + length(len(item)) + item
    return fields


def wait_idle(proc: FerriteProcess) -> None:
    client = proc.client(protocol=2)
    deadline = time.monotonic() + 30
    while True:
        info = client.info("persistence")
        busy = info["rdb_bgsave_in_progress"] or info["aof_rewrite_in_progress"]
        if not busy and not info["aof_rewrite_scheduled"]:
            client.close()
            return
        assert time.monotonic() < deadline, "background save did not finish"
        time.sleep(0.02)


# -- over the wire -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def typed_server(fx_site: Path) -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=["fx_typed", "fx_api"], env=fx_env(fx_site)) as proc:
        yield proc


@pytest.fixture
def tr(typed_server: FerriteProcess) -> Iterator[redis.Redis]:
    client = raw_replies(typed_server.client(protocol=2))
    client.flushall()
    yield client
    client.close()


def test_dump_is_redis_module_opcode_stream(tr: redis.Redis) -> None:
    tr.execute_command("FXT.SET", "k", "1", "-1", "2", "0.5", "0.5", "x", "yz")
    dumped = tr.execute_command("DUMP", "k")
    body = length(type_id("fxtypedio", 2)) + record_fields([b"x", b"yz"]) + b"\x00"
    long_double = b"0x1.0000000000000p-1"
    body = body.replace(b"\x05" + length(3) + b"0.5", b"\x05" + length(20) + long_double)
    assert dumped == payload(body)


def test_dump_restore_round_trip(tr: redis.Redis) -> None:
    assert tr.execute_command("FXT.SET", "k", *RECORD) == b"OK"
    dumped = tr.execute_command("DUMP", "k")
    assert tr.execute_command("RESTORE", "copy", "0", dumped) == b"OK"
    assert tr.execute_command("FXT.GET", "copy") == SHOWN
    assert tr.execute_command("TYPE", "copy") == b"fxtypedio"


def test_truncated_payload_is_refused_and_the_server_stays_up(
    typed_server: FerriteProcess, tr: redis.Redis
) -> None:
    mid = length(type_id("fxtypedio", 2))
    short = payload(mid + record_fields([b"only"], count=3) + b"\x00")
    with pytest.raises(redis.ResponseError, match=r"^Bad data format$"):
        tr.execute_command("RESTORE", "k", "0", short)
    wrong_kind = payload(mid + b"\x04" + struct.pack("<d", 1.0) + b"\x00")  # a double, not u
    with pytest.raises(redis.ResponseError, match=r"^Bad data format$"):
        tr.execute_command("RESTORE", "k", "0", wrong_kind)
    leftover = payload(mid + record_fields([b"a"]) + b"\x02\x07\x00")
    with pytest.raises(redis.ResponseError, match=r"^Bad data format$"):
        tr.execute_command("RESTORE", "k", "0", leftover)
    assert tr.execute_command("EXISTS", "k") == 0
    assert tr.execute_command("PING") is True
    log = typed_server.log()
    assert "read past the end of the value's fields" in log
    assert "left 1 of 8 field(s) unread" in log


def test_snapshot_and_restart_keep_values_and_aux_data(fx_site: Path, tmp_path: Path) -> None:
    def start() -> FerriteProcess:
        return FerriteProcess(modules=["fx_typed"], directory=tmp_path, env=fx_env(fx_site))

    with start() as proc:
        client = raw_replies(proc.client(protocol=2))
        client.execute_command("FXT.SET", "k", *RECORD)
        client.execute_command("FXT.SETNR", "nr", "7", "8", "9", "10", "11")
        client.execute_command("FXT.GLOBAL", "SET", "saved-before", "-42")
        assert client.execute_command("SAVE") is True
        client.execute_command("FXT.GLOBAL", "SET", "later", "1")
        client.close()
    contents = parse_rdb((tmp_path / "dump.rdb").read_bytes())
    aux = [(r.stored_name, r.when, r.fields) for r in contents.module_aux_records]
    assert aux == [
        ("fxtypedio", 1, [(5, b"saved-before")]),
        ("fxtypedio", 2, [(2, (1 << 64) - 42)]),
    ]
    with start() as proc:
        client = raw_replies(proc.client(protocol=2))
        assert client.execute_command("FXT.GET", "k") == SHOWN
        assert client.execute_command("FXT.GET", "nr") == [b"7", b"8", b"9.0", b"10.0", b"11.0"]
        assert client.execute_command("FXT.GLOBAL", "GET") == [b"saved-before", -42]
        client.execute_command("FXT.GLOBAL", "SET", "bg", "5")
        assert client.execute_command("BGSAVE")
        wait_idle(proc)
        client.close()
    with start() as proc:
        client = raw_replies(proc.client(protocol=2))
        assert client.execute_command("FXT.GLOBAL", "GET") == [b"bg", 5]
        assert client.execute_command("FXT.GET", "k") == SHOWN
        client.close()


def test_aof_rewrite_uses_emit_aof_or_restore(fx_site: Path, tmp_path: Path) -> None:
    def start() -> FerriteProcess:
        return FerriteProcess(
            "--appendonly", "yes", modules=["fx_typed"], directory=tmp_path, env=fx_env(fx_site)
        )

    with start() as proc:
        client = raw_replies(proc.client(protocol=2))
        client.execute_command("FXT.SET", "k", *RECORD)
        client.execute_command("FXT.SETNR", "nr", "7", "8", "9", "10", "11")
        assert client.execute_command("BGREWRITEAOF") is not None
        wait_idle(proc)
        client.close()
    data = b"".join(p.read_bytes() for p in sorted(tmp_path.rglob("*.aof")))
    argvs = [c.argv for c in iter_commands(data)]
    assert [b"FXT.SET", b"k", *(arg.encode() for arg in RECORD)] in argvs
    assert any(argv[:2] == [b"RESTORE", b"nr"] for argv in argvs)
    with start() as proc:
        client = raw_replies(proc.client(protocol=2))
        assert client.execute_command("FXT.GET", "k") == SHOWN
        assert client.execute_command("FXT.GET", "nr") == [b"7", b"8", b"9.0", b"10.0", b"11.0"]
        client.close()


# -- in process: without HANDLE_IO_ERRORS, and the Pythonic shape ------------------------------


@pytest.fixture
def strict(mstate: ServerState, manager: RedisModuleManager) -> ServerState:
    manager.load("fx_typed", ["strict"])
    return mstate


def test_strict_module_refuses_a_short_payload_too(
    strict: ServerState, msession: Session, caplog: pytest.LogCaptureFixture
) -> None:
    mid = length(type_id("fxtypedio", 2))
    short = payload(mid + record_fields([b"only"], count=3) + b"\x00")
    reply = run_command(strict, msession, "RESTORE", "k", "0", short)
    assert reply == Error("ERR Bad data format")
    assert "ModuleIOError" in caplog.text or "read past the end" in caplog.text
    assert run_command(strict, msession, "EXISTS", "k") == 0


class Counter:
    """A Pythonic typed-IO value."""

    def __init__(self, hits: int, label: bytes) -> None:
        self.hits, self.label = hits, label

    def rdb_save(self, io: RedisModuleIO) -> None:
        io.save_signed(self.hits)
        io.save_string(self.label)

    @classmethod
    def rdb_load(cls, io: RedisModuleIO, encver: int) -> Counter | None:
        hits, label = io.load_signed(), io.load_string_buffer()
        return None if io.is_io_error() or label is None else cls(hits, label)

    def aof_rewrite(self, io: RedisModuleIO, key: bytes) -> None:
        io.emit_aof("PYC.SET", key, self.hits, self.label)

    aux_seen: list[int] = []

    @classmethod
    def aux_save(cls, io: RedisModuleIO, when: int) -> None:
        io.save_unsigned(when)

    @classmethod
    def aux_load(cls, io: RedisModuleIO, encver: int, when: int) -> None:
        cls.aux_seen.append(io.load_unsigned())


@pytest.fixture
def pythonic(mstate: ServerState) -> Callable[..., Any]:
    module = Module("pyc", handle_io_errors=True)
    module.data_type("pycount", 3, typed_io=True, aux_triggers=AuxWhen.AFTER_RDB)(Counter)

    @module.command("pyc.set", flags="write", keys=(1, 1, 1), arity=4)
    def set_counter(ctx: Any, args: Any) -> Any:
        key = ctx.open_key_writable(args.next_bytes())
        key.set_value(Counter(args.next_int(), args.next_bytes()))
        return b"OK"

    add_module(mstate, "pyc", lambda staged: module.on_load(staged, []))
    session = mstate.new_session("127.0.0.1:1", "127.0.0.1:2")
    return lambda *argv: run_command(mstate, session, *argv)


def test_pythonic_typed_type_round_trips(mstate: ServerState, pythonic: Callable[..., Any]) -> None:
    assert pythonic("pyc.set", "k", "-5", "lbl") is not None
    dumped = pythonic("DUMP", "k")
    body = length(type_id("pycount__", 3)) + b"\x02" + length((1 << 64) - 5)
    assert dumped == payload(body + b"\x05\x03lbl\x00")
    assert pythonic("RESTORE", "k2", "0", dumped) == "OK"
    handle = mstate.module_types["pycount"]
    value = mstate.keyspace[0].get(b"k2").value  # type: ignore[union-attr]
    assert (value.hits, value.label) == (-5, b"lbl")
    assert handle.aof_rewrite(value, b"k2") == [[b"PYC.SET", b"k2", b"-5", b"lbl"]]
    assert handle.aux_fields(AuxWhen.AFTER_RDB) == [(2, 2)]
    handle.load_aux([(2, 2)], 3, AuxWhen.AFTER_RDB)
    assert Counter.aux_seen == [2]


def test_a_snapshot_with_a_short_typed_value_is_refused_at_startup(
    fx_site: Path, tmp_path: Path
) -> None:
    from ferrite_host.keyspace.values import TypedValue
    from ferrite_host.persistence.rdb.modules import OpaqueModuleValue, opaque_type
    from ferrite_host.persistence.rdb.writer import write_rdb

    short = record_fields([b"only"], count=3) + b"\x00"
    value = TypedValue(opaque_type(type_id("fxtypedio", 2)), OpaqueModuleValue(short))
    with open(tmp_path / "dump.rdb", "wb") as out:
        write_rdb(out, [(0, [(b"broken", value, None)])])
    proc = FerriteProcess(modules=["fx_typed"], directory=tmp_path, env=fx_env(fx_site))
    try:
        with pytest.raises(RuntimeError) as failed:
            proc.start()
    finally:
        proc.stop()
    message = str(failed.value)
    assert "failed to load key 'broken'" in message or "failed to load key broken" in message
    assert "read past the end of the value's fields" in message
    assert "Traceback" not in message
