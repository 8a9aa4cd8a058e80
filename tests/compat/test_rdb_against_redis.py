"""Redis's RDB format both ways: files and DUMP payloads cross between redis-server and Ferrite.

A real redis-server 7.0 fills every built-in type (small and large, so compact and plain
encodings appear), expiries and several databases, and SAVEs. Ferrite's reader must see
exactly that data, Ferrite must start on the file, redis-server must start on the file
Ferrite writes back (and redis-check-rdb accept it), and DUMP payloads must RESTORE in
both directions. Values are compared with DEBUG DIGEST-VALUE on redis-server, which hashes
the content whatever the encoding.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from ferrite_host.keyspace import HashValue, ListValue, SetValue, TypedValue, ZSetValue
from ferrite_host.keyspace.streams import MAX_ID, StreamValue, format_id
from ferrite_host.persistence.rdb import parse_rdb
from ferrite_host.persistence.rdb.crc64 import crc64
from ferrite_host.persistence.snapshot import SnapshotError
from ferrite_host.testing import FerriteProcess
from ferrite_host.testing.process import die_with_parent, free_port
from tests.compat.raw_resp import RawResp

REDIS = shutil.which("redis-server")
CHECK_RDB = shutil.which("redis-check-rdb")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server is not installed")
FUTURE_MS = 4_102_444_800_000  # 2100-01-01


class RedisProcess:
    """A redis-server of our own on a free port, with its files in `directory`."""

    def __init__(self, directory: Path, *args: str) -> None:
        assert REDIS is not None
        self.dir = directory
        self.port = free_port()
        self.log_path = directory / f"redis-{self.port}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    REDIS,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(directory),
                    "--enable-debug-command",
                    "yes",
                    *args,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + 15
        while True:
            try:
                self.client().ping()
                return
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{self.log()}") from None
                time.sleep(0.05)

    def client(self, db: int = 0, **kwargs: Any) -> redis.Redis:
        return redis.Redis(port=self.port, db=db, password=self.password, **kwargs)

    @property
    def password(self) -> str | None:
        args = self.proc.args
        assert isinstance(args, list)
        return str(args[args.index("--requirepass") + 1]) if "--requirepass" in args else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def fill(client: redis.Redis) -> None:
    """Every built-in type, small and large, with expiries, in dbs 0, 3 and 15."""
    client.flushall()
    client.set("str", "hello")
    client.set("int", "12345")
    client.set("neg", "-7")
    client.set("bigint", "123456789012345")
    client.set("long", "x" * 5000)  # LZF-compressed
    client.set("binary", bytes(range(256)) * 3)
    client.set("empty", "")
    client.set("volatile", "v", px=10_000_000)
    client.set("at", "v", pxat=FUTURE_MS)
    client.rpush("list-small", "a", "b", "1", "-5", "100000", "")
    client.rpush("list-large", *[f"item-{i}-" * 4 for i in range(3000)])
    client.rpush("list-big-item", "y" * 10000, "z")
    client.hset("hash-small", mapping={"f1": "v1", "f2": "2", "f3": ""})
    for i in range(600):  # past hash-max-listpack-entries (512, Redis 7.0's default)
        client.hset("hash-large", f"f{i}", f"v{i}")
    client.hset("hash-long-value", mapping={"k": "v" * 100})
    client.sadd("set-int", 1, 2, 3, -100, 70000, 5_000_000_000)
    client.sadd("set-str", "a", "b", "c")
    client.sadd("set-large", *range(1000))
    client.zadd("zset-small", {"a": 1, "b": 2.5, "c": -3, "d": float("inf"), "e": 1e20, "f": 0.1})
    client.zadd("zset-large", {f"m{i}": i * 1.5 for i in range(200)})
    client.zadd("zset-neg-inf", {"x": float("-inf"), "y": -0.0})
    client.pexpire("zset-large", 9_000_000)
    db3 = redis.Redis(port=client.connection_pool.connection_kwargs["port"], db=3)
    db3.set("db3-key", "x")
    db3.hset("h", "a", "b")
    db3.expire("h", 100_000)
    db15 = redis.Redis(port=client.connection_pool.connection_kwargs["port"], db=15)
    db15.rpush("last-db", "only")
    for index in range(50):
        client.xadd("stream", {"field": f"value-{index}", "n": index})
    client.xgroup_create("stream", "group", id="0")
    client.xreadgroup("group", "consumer", {"stream": ">"}, count=5)
    client.xadd("stream-empty-ish", {"a": "b"})
    client.xdel("stream-empty-ish", client.xrange("stream-empty-ish")[0][0])
    for index in range(250):  # three listpack nodes, one with tombstones, groups and PELs
        fields = {"f": index} if index % 3 else {"other": index, "x": "y" * (index % 7)}
        client.xadd("stream-groups", fields, id=f"{1000 + index}-{index % 4}")
    client.xdel("stream-groups", "1010-2", "1120-0", "1121-1")
    client.xgroup_create("stream-groups", "readers", id="0")
    client.xgroup_create("stream-groups", "late", id="$")
    client.xgroup_create("stream-groups", "noack", id="0", entries_read=0)
    client.xreadgroup("readers", "alice", {"stream-groups": ">"}, count=20)
    client.xreadgroup("readers", "bob", {"stream-groups": ">"}, count=7)
    client.xreadgroup("noack", "carol", {"stream-groups": ">"}, count=30, noack=True)
    client.xgroup_createconsumer("stream-groups", "readers", "idle-one")
    client.xack("stream-groups", "readers", "1001-1", "1002-2")
    client.xclaim("stream-groups", "readers", "bob", 0, ["1003-3"], retrycount=5)
    client.xtrim("stream-groups", minid="1005-0")
    client.xadd("stream-setid", {"a": "1"}, id="5-0")
    client.execute_command(
        "XSETID", "stream-setid", "90-0", "ENTRIESADDED", 40, "MAXDELETEDID", "80-0"
    )
    client.xgroup_create("stream-only-groups", "g", id="$", mkstream=True)
    client.function_load("#!lua name=rdblib\nredis.register_function('f', function() return 1 end)")


def python_value(client: redis.Redis, key: bytes) -> Any:
    kind = client.type(key)
    if kind == b"string":
        return client.get(key)
    if kind == b"list":
        return client.lrange(key, 0, -1)
    if kind == b"hash":
        return client.hgetall(key)
    if kind == b"set":
        return client.smembers(key)
    if kind == b"zset":
        return client.zrange(key, 0, -1, withscores=True)
    if kind == b"stream":
        return [[sid, fields] for sid, fields in client.xrange(key)]
    raise AssertionError(kind)


def loaded_value(value: Any) -> Any:
    if isinstance(value, ListValue):
        return list(value)
    if isinstance(value, HashValue):
        return dict(value)
    if isinstance(value, SetValue):
        return set(value)
    if isinstance(value, ZSetValue):
        return list(value)
    if isinstance(value, StreamValue):
        return [
            [format_id(sid), dict(zip(pairs[0::2], pairs[1::2], strict=True))]
            for sid, pairs in value.range((0, 0), MAX_ID)
        ]
    if isinstance(value, TypedValue):
        return value.type.name
    return value


DBS = (0, 3, 15)


def restore_like(
    source: redis.Redis, key: bytes, target: bytes, payload: bytes, into: redis.Redis | None = None
) -> None:
    """RESTORE `payload` at `target` with `key`'s expiry (DEBUG DIGEST-VALUE covers it)."""
    when = source.pexpiretime(key)
    (into or source).restore(target, max(when, 0), payload, replace=True, absttl=True)


def digests(client_of: Any) -> dict[tuple[int, bytes], bytes]:
    out = {}
    for db in DBS:
        client = client_of(db)
        for key in client.scan_iter(count=1000):
            out[(db, key)] = client.execute_command("DEBUG", "DIGEST-VALUE", key)[0]
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rdb")


@pytest.fixture(scope="module")
def source(workdir: Path) -> Iterator[RedisProcess]:
    """A redis-server holding the filled data, saved to workdir/source/dump.rdb."""
    directory = workdir / "source"
    directory.mkdir()
    server = RedisProcess(directory)
    fill(server.client())
    server.client().save()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_file(source: RedisProcess) -> bytes:
    return (source.dir / "dump.rdb").read_bytes()


@pytest.fixture(scope="module")
def ferrite_on_redis_file(workdir: Path, redis_file: bytes) -> Iterator[FerriteProcess]:
    directory = workdir / "ferrite"
    directory.mkdir()
    (directory / "dump.rdb").write_bytes(redis_file)
    with FerriteProcess(directory=directory, modules=[]) as server:
        yield server


def test_reader_sees_exactly_what_redis_holds(source: RedisProcess, redis_file: bytes) -> None:
    contents = parse_rdb(redis_file)
    assert contents.aux["redis-ver"] == b"7.0.15" or contents.aux["redis-ver"].startswith(b"7.")
    loaded = {(db, key): (loaded_value(value), when) for db, key, when, value in contents.records}
    expected = {}
    for db in DBS:
        client = source.client(db)
        for key in client.scan_iter(count=1000):
            when = client.pexpiretime(key)
            expected[(db, key)] = (python_value(client, key), None if when < 0 else when)
    assert set(loaded) == set(expected)
    for slot, (value, when) in expected.items():
        got, got_when = loaded[slot]
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            value = [(member, float(score)) for member, score in value]
        assert (got, got_when) == (value, when), slot
    encodings = {
        key: value.encoding() for _, key, _, value in contents.records if hasattr(value, "encoding")
    }
    assert encodings[b"hash-small"] == "listpack" and encodings[b"hash-large"] == "hashtable"
    assert encodings[b"set-int"] == "intset" and encodings[b"set-large"] == "hashtable"
    assert encodings[b"zset-small"] == "listpack" and encodings[b"zset-large"] == "skiplist"


def test_ferrite_starts_on_a_redis_file(
    source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    for db in DBS:
        ours, theirs = ferrite_on_redis_file.client(db=db), source.client(db)
        assert ours.dbsize() == theirs.dbsize()
        for key in theirs.scan_iter(count=1000):
            assert ours.type(key) == theirs.type(key), key
            assert abs(ours.pttl(key) - theirs.pttl(key)) < 60_000, key
    assert ferrite_on_redis_file.client().get("long") == b"x" * 5000
    assert "keys loaded: " in ferrite_on_redis_file.log()
    # The file's function library (a FUNCTION2 record) is loaded and callable.
    assert ferrite_on_redis_file.client().fcall("f", 0) == 1


STREAM_KEYS = (b"stream", b"stream-empty-ish", b"stream-groups", b"stream-setid")


def _stream_info(port: int, key: bytes) -> list[Any]:
    """Everything XINFO knows of a stream, as wire-typed replies."""
    client = RawResp(port)
    replies = [client.call("XINFO", "STREAM", key, "FULL"), client.call("XINFO", "GROUPS", key)]
    replies.append(client.call("XRANGE", key, "-", "+"))
    client.close()
    return replies


def test_streams_load_with_their_groups(
    source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    """XINFO STREAM FULL (nodes, counters, groups, PELs with delivery times, consumers with
    seen times) is the same in Ferrite after loading Redis's file."""
    for key in (*STREAM_KEYS, b"stream-only-groups"):
        assert _stream_info(ferrite_on_redis_file.port, key) == _stream_info(source.port, key), key


def test_dump_from_ferrite_restores_in_redis(
    source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    """Every value Ferrite loaded, DUMPed by Ferrite, is the same value in redis-server."""
    for db in DBS:
        ours, theirs = ferrite_on_redis_file.client(db=db), source.client(db)
        for key in theirs.scan_iter(count=1000):
            if key.startswith(b"copy:"):
                continue
            payload = ours.dump(key)
            restore_like(theirs, key, b"copy:" + key, payload)
            original = theirs.execute_command("DEBUG", "DIGEST-VALUE", key)
            copied = theirs.execute_command("DEBUG", "DIGEST-VALUE", b"copy:" + key)
            assert original == copied, key
            theirs.delete(b"copy:" + key)


def test_dump_from_redis_restores_in_ferrite(
    source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    """Redis DUMP -> Ferrite RESTORE -> Ferrite DUMP -> Redis RESTORE gives the same value."""
    theirs = source.client()
    ours = ferrite_on_redis_file.client()
    for key in list(theirs.scan_iter(count=1000)):
        payload = theirs.dump(key)
        restore_like(theirs, key, b"r:" + key, payload, ours)
        assert ours.type(b"r:" + key) == theirs.type(key)
        assert ours.pexpiretime(b"r:" + key) == theirs.pexpiretime(key)
        back = ours.dump(b"r:" + key)
        restore_like(theirs, key, b"back:" + key, back)
        assert theirs.execute_command("DEBUG", "DIGEST-VALUE", b"back:" + key) == (
            theirs.execute_command("DEBUG", "DIGEST-VALUE", key)
        ), key
        theirs.delete(b"back:" + key)
        ours.delete(b"r:" + key)


def test_redis_starts_on_a_ferrite_file(
    workdir: Path, source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    ferrite_on_redis_file.client().save()
    written = ferrite_on_redis_file.dir / "dump.rdb"
    assert written.read_bytes().startswith(b"REDIS0010")
    if CHECK_RDB is not None:
        check = subprocess.run([CHECK_RDB, str(written)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "RDB looks OK" in check.stdout
    directory = workdir / "redis-on-ferrite"
    directory.mkdir()
    shutil.copy(written, directory / "dump.rdb")
    target = RedisProcess(directory)
    try:
        assert "Done loading RDB" in target.log()
        assert digests(target.client) == digests(source.client)
        for db in DBS:
            for key in source.client(db).scan_iter(count=1000):
                assert target.client(db).object("encoding", key) == source.client(db).object(
                    "encoding", key
                ), key
        assert target.client().pexpiretime("at") == FUTURE_MS
        for key in STREAM_KEYS:  # groups, PELs and counters survive Ferrite's own file too
            assert _stream_info(target.port, key) == _stream_info(source.port, key), key
    finally:
        target.stop()


def _reply(client: redis.Redis, *args: Any) -> Any:
    try:
        return client.execute_command(*args)
    except redis.ResponseError as exc:
        return ("error", str(exc))


def test_restore_errors_and_options_match_redis(
    source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    theirs, ours = source.client(), ferrite_on_redis_file.client()
    payload = theirs.dump("str")
    assert payload is not None
    broken = payload[:-1] + bytes([payload[-1] ^ 1])
    future_version = payload[:-10] + b"\x0c\x00" + payload[-8:]
    scenarios: list[tuple[Any, ...]] = [
        ("DEL", "t"),
        ("RESTORE", "t", 0, payload),
        ("RESTORE", "t", 0, payload),  # BUSYKEY
        ("RESTORE", "t", 0, payload, "REPLACE"),
        ("RESTORE", "t2", -1, payload),
        ("RESTORE", "t2", "abc", payload),
        ("RESTORE", "t2", 0, broken),
        ("RESTORE", "t2", 0, b"short"),
        ("RESTORE", "t2", 0, future_version),
        ("RESTORE", "t2", 0, payload, "BOGUS"),
        ("RESTORE", "t2", 0, payload, "IDLETIME", -1),
        ("RESTORE", "t2", 0, payload, "IDLETIME", "x"),
        ("RESTORE", "t2", 0, payload, "FREQ", 256),
        ("RESTORE", "t2", 0, payload, "IDLETIME", 10, "FREQ", 5),
        ("RESTORE", "t3", 0, payload, "IDLETIME", 10),
        ("RESTORE", "t4", 0, payload, "FREQ", 5),
        ("RESTORE", "t5", 1000, payload, "ABSTTL"),  # long past: nothing is created
        ("EXISTS", "t5"),
        ("RESTORE", "t", 1000, payload, "ABSTTL", "REPLACE"),  # deletes the old key
        ("EXISTS", "t"),
        ("RESTORE", "t6", 100_000, payload),
        ("RESTORE", "t7", FUTURE_MS, payload, "ABSTTL"),
        ("PEXPIRETIME", "t7"),
        ("DUMP", "missing"),
        ("DUMP",),
        ("RESTORE", "t8", 0),
        ("DEL", "t", "t2", "t3", "t4", "t5", "t6", "t7"),
    ]
    for scenario in scenarios:
        assert _reply(ours, *scenario) == _reply(theirs, *scenario), scenario
    body = b"\x00\x41abc\x0a\x00"  # a string that claims 65 bytes and holds 3
    bad_format = body + crc64(body).to_bytes(8, "little")
    assert _reply(ours, "RESTORE", "t9", 0, bad_format) == _reply(
        theirs, "RESTORE", "t9", 0, bad_format
    )


def test_damaged_redis_files_are_refused_with_the_offset(redis_file: bytes) -> None:
    for size in (3, 9, 40, len(redis_file) // 2, len(redis_file) - 4):
        with pytest.raises(SnapshotError, match="unexpected end of file"):
            parse_rdb(redis_file[:size])
    flipped = bytearray(redis_file)
    flipped[len(redis_file) // 2] ^= 0x10
    with pytest.raises(SnapshotError) as info:
        parse_rdb(bytes(flipped))
    assert info.value.offset > 0
    with pytest.raises(SnapshotError, match="version 12 is not supported"):
        parse_rdb(b"REDIS0012" + redis_file[9:])
    with pytest.raises(SnapshotError, match="unexpected bytes after the end"):
        parse_rdb(redis_file + b"\x00")


def _migrate_scenario(
    source: redis.Redis, target: RedisProcess, payloads: dict[bytes, bytes]
) -> list[Any]:
    """The same MIGRATE calls from `source` to `target`: every reply and the target's state."""
    dead_port = free_port()
    for key, payload in payloads.items():
        source.restore(key, 0, payload, replace=True)
    source.pexpire(b"m1", 500_000)
    host, port = "127.0.0.1", target.port
    steps: list[tuple[Any, ...]] = [
        ("MIGRATE", host, port, "m1", 1, 5000, "AUTH", "pw"),
        ("MIGRATE", host, port, "m1", 1, 5000, "AUTH", "pw"),
        ("MIGRATE", host, port, "m2", 1, 5000, "COPY", "AUTH", "pw"),
        ("MIGRATE", host, port, "m2", 1, 5000, "COPY", "AUTH", "pw"),
        ("MIGRATE", host, port, "m2", 1, 5000, "COPY", "REPLACE", "AUTH", "pw"),
        ("MIGRATE", host, port, "", 1, 5000, "AUTH2", "default", "pw", "KEYS", "m3", "m4", "nx"),
        ("MIGRATE", host, port, "m2", 1, 5000, "REPLACE"),
        ("MIGRATE", host, port, "m2", 1, 5000, "AUTH", "wrong"),
        ("MIGRATE", host, port, "m2", 1, 5000, "KEYS", "m3"),
        ("MIGRATE", host, port, "m2", 1, 5000, "BOGUS"),
        ("MIGRATE", host, port, "m2", "x", 5000),
        ("MIGRATE", host, dead_port, "m2", 1, 5000),
        ("MIGRATE", host, port, "", 1, 5000, "KEYS", "none1", "none2"),
    ]
    out: list[Any] = [_reply(source, *step) for step in steps]
    out.append(sorted(key for key in payloads if source.exists(key)))
    remote = target.client(1)
    out.append(
        {key: remote.execute_command("DEBUG", "DIGEST-VALUE", key) for key in remote.scan_iter()}
    )
    out.append(0 < remote.pttl("m1") <= 500_000)
    target.client().flushall()
    for key in payloads:
        source.delete(key)
    return out


def test_migrate_matches_redis(
    workdir: Path, source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    directory = workdir / "migrate-target"
    directory.mkdir()
    target = RedisProcess(directory, "--requirepass", "pw")
    try:
        theirs = source.client()
        payloads = {
            b"m1": theirs.dump("str"),
            b"m2": theirs.dump("hash-small"),
            b"m3": theirs.dump("zset-large"),
            b"m4": theirs.dump("list-large"),
        }
        ours = _migrate_scenario(ferrite_on_redis_file.client(), target, payloads)  # type: ignore[arg-type]
        expected = _migrate_scenario(theirs, target, payloads)  # type: ignore[arg-type]
        assert ours == expected
        assert ours[0] == b"OK" and ours[1] == b"NOKEY"
    finally:
        target.stop()


def test_migrate_between_ferrite_servers(ferrite_on_redis_file: FerriteProcess) -> None:
    ours = ferrite_on_redis_file.client()
    with FerriteProcess(modules=[]) as other:
        ours.set("moving", "value", px=100_000)
        reply = ours.execute_command("MIGRATE", "127.0.0.1", other.port, "moving", 2, 1000)
        assert reply == b"OK"
        assert ours.exists("moving") == 0
        remote = other.client(db=2)
        assert remote.get("moving") == b"value" and 0 < remote.pttl("moving") <= 100_000


def test_dump_payloads_are_byte_for_byte_redis_s(
    source: RedisProcess, ferrite_on_redis_file: FerriteProcess
) -> None:
    """Same value, same DUMP bytes: integer strings, LZF (liblzf's exact choices), listpacks,
    intsets, quicklist node splits, scores spelled as Redis's d2string spells them."""
    theirs, ours = source.client(), ferrite_on_redis_file.client()
    strings = [b"12", b"-129", b"2147483648", b"012", b"x" * 21, b"abc" * 400, b"q" * 100_000]
    strings += [bytes(range(256)) * 3, b"the quick brown fox jumps over the lazy dog " * 20]
    for value in strings:
        theirs.set("bytes", value)
        ours.set("bytes", value)
        assert ours.dump("bytes") == theirs.dump("bytes"), value[:30]
    builders = {
        "hash": lambda: theirs.hset("built", mapping={"f": "v", "n": "12", "long": "z" * 60}),
        "zset": lambda: theirs.zadd("built", {"a": 0.1, "b": 2, "c": 1e20, "d": -0.0, "e": 3.14}),
        "intset": lambda: theirs.sadd("built", 1, 5, -3, 1000, 70000),
        "list": lambda: theirs.rpush("built", *[f"item-{i}" for i in range(5000)]),
        "list-mixed": lambda: theirs.rpush("built", *["x" * (i % 300) for i in range(3000)]),
    }
    for name, build in builders.items():
        theirs.delete("built")
        build()
        payload = theirs.dump("built")
        ours.restore("built", 0, payload, replace=True)
        assert ours.dump("built") == payload, name
    theirs.delete("built", "bytes")
    ours.delete("built", "bytes")


class _BlobType:
    """A module type whose rdb_save is the value's bytes (what a bytes-blob module writes)."""

    name = "blob"
    encver = 2
    module_name = "blobs"

    def can_save(self) -> bool:
        return True

    def save(self, value: bytes) -> bytes:
        return value


@pytest.mark.skipif(CHECK_RDB is None, reason="redis-check-rdb is not installed")
def test_redis_check_rdb_walks_ferrite_module_values(tmp_path: Path) -> None:
    from ferrite_host.keyspace import Keyspace, TypedValue
    from ferrite_host.persistence.rdb import iter_dumps, write_rdb

    keyspace = Keyspace(16)
    keyspace[0].set(b"m", TypedValue(_BlobType(), b"payload" * 10))  # type: ignore[arg-type]
    keyspace[0].set(b"s", b"x")
    path = tmp_path / "modules.rdb"
    with open(path, "wb") as out:
        write_rdb(out, iter_dumps(keyspace))
    check = subprocess.run([str(CHECK_RDB), str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "2 keys read" in check.stdout, check.stdout
