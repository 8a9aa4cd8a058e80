"""BF.* against a real server: redis-py's bf() helpers, RedisBloom's replies and errors."""

from __future__ import annotations

import pytest
import redis
from ferrite_bloom import dump
from ferrite_bloom.filter import ScalableBloomFilter, murmurhash64a

from ferrite_host.testing import raw_command

pytestmark = pytest.mark.ferrite_modules("bloom")

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


@pytest.fixture
def client(r):
    """redis-py in each protocol: RedisBloom answers booleans and maps in RESP3."""
    return r


def info_of(client: redis.Redis, key: str) -> dict[str, object]:
    """bf().info() as a dict: redis-py gives a BFInfo in RESP2 and the raw map in RESP3."""
    info = client.bf().info(key)
    if isinstance(info, dict):
        return {name.decode(): value for name, value in info.items()}
    return {
        "Capacity": info.capacity,
        "Size": info.size,
        "Number of filters": info.filterNum,
        "Number of items inserted": info.insertedNum,
        "Expansion rate": info.expansionRate,
    }


raw = raw_command


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


def test_create_add_exists(client):
    bf = client.bf()
    assert bf.create("f", 0.01, 1000)
    assert bf.add("f", "apple") == 1
    assert bf.add("f", "apple") == 0
    assert bf.exists("f", "apple") == 1
    assert bf.exists("f", "pear") == 0
    assert bf.exists("missing", "apple") == 0
    assert client.type("f") == b"MBbloom--"


def test_madd_mexists(client):
    bf = client.bf()
    assert bf.madd("f", "a", "b", "c", "a") == [1, 1, 1, 0]
    assert bf.mexists("f", "a", "z", "c") == [1, 0, 1]
    assert bf.mexists("missing", "a", "b") == [0, 0]


def test_add_creates_a_filter_with_the_defaults(client):
    bf = client.bf()
    bf.add("f", "x")
    assert info_of(client, "f") == {
        "Capacity": 100,
        "Size": 240,
        "Number of filters": 1,
        "Number of items inserted": 1,
        "Expansion rate": 2,
    }
    assert bf.card("f") == 1


def test_insert_with_options(client):
    bf = client.bf()
    assert bf.insert("f", ["a", "b"], capacity=500, error=0.001, expansion=4) == [1, 1]
    info = info_of(client, "f")
    assert (info["Capacity"], info["Number of items inserted"], info["Expansion rate"]) == (
        500,
        2,
        4,
    )
    assert bf.insert("f", ["b", "c"], noCreate=True) == [0, 1]
    with pytest.raises(redis.ResponseError, match="not found"):
        bf.insert("missing", ["a"], noCreate=True)
    assert bf.insert("ns", ["a"], noScale=True) == [1]
    assert info_of(client, "ns")["Expansion rate"] is None


def test_info_single_fields(client):
    bf = client.bf()
    bf.create("f", 0.01, 100, noScale=True)
    resp3 = client.get_connection_kwargs()["protocol"] == 3
    assert raw(client, "BF.INFO", "f", "capacity") == ({b"Capacity": 100} if resp3 else [100])
    assert raw(client, "BF.INFO", "f", "items") == (
        {b"Number of items inserted": 0} if resp3 else [0]
    )
    assert raw(client, "BF.INFO", "f", "EXPANSION") == (
        {b"Expansion rate": None} if resp3 else [None]
    )
    assert error_of(client, "BF.INFO", "f", "colour") == "Invalid information value"


def test_card(client):
    bf = client.bf()
    assert bf.card("missing") == 0
    bf.madd("f", *[f"item{i}" for i in range(50)])
    assert 45 <= bf.card("f") <= 50
    client.set("s", "v")
    assert error_of(client, "BF.CARD", "s") == WRONGTYPE


def test_scaling_adds_filters_with_expansion(client):
    bf = client.bf()
    bf.create("f", 0.01, 10, expansion=3)
    bf.madd("f", *[f"item{i}" for i in range(100)])
    info = info_of(client, "f")
    filters = info["Number of filters"]
    assert isinstance(filters, int) and filters >= 3
    assert info["Capacity"] == sum(10 * 3**i for i in range(filters))
    assert all(bf.mexists("f", *[f"item{i}" for i in range(100)]))


def test_nonscaling_filter_fills_up(client):
    bf = client.bf()
    bf.create("f", 0.01, 5, noScale=True)
    replies = client.execute_command("BF.MADD", "f", *[f"i{i}" for i in range(10)])
    assert replies[:5] == [1] * 5
    # Items after the fifth are false positives (0) until one needs room: then the error.
    assert all(reply == 0 for reply in replies[5:-1])
    assert isinstance(replies[-1], redis.ResponseError)
    assert str(replies[-1]) == "non scaling filter is full"
    assert error_of(client, "BF.ADD", "f", "more") == "non scaling filter is full"


def test_false_positive_rate_stays_under_the_requested_error(client):
    bf = client.bf()
    bf.create("f", 0.01, 2000)
    bf.madd("f", *[f"in{i}" for i in range(2000)])
    hits = bf.mexists("f", *[f"out{i}" for i in range(2000)])
    assert sum(hits) / 2000 < 0.02


def test_reserve_errors(client):
    client.bf().create("f", 0.01, 100)
    assert error_of(client, "BF.RESERVE", "f", 0.01, 100) == "item exists"
    assert error_of(client, "BF.RESERVE", "g", "x", 100) == "bad error rate"
    assert error_of(client, "BF.RESERVE", "g", 1, 100) == "(0 < error rate range < 1) "
    assert error_of(client, "BF.RESERVE", "g", 0, 100) == "(0 < error rate range < 1) "
    assert error_of(client, "BF.RESERVE", "g", 0.1, "x") == "bad capacity"
    assert error_of(client, "BF.RESERVE", "g", 0.1, 0) == "(capacity should be larger than 0)"
    assert error_of(client, "BF.RESERVE", "g", 0.1, 10, "EXPANSION") == "no expansion"
    assert error_of(client, "BF.RESERVE", "g", 0.1, 10, "EXPANSION", "x") == "bad expansion"
    assert error_of(client, "BF.RESERVE", "g", 0.1, 10, "EXPANSION", 0) == (
        "expansion should be greater or equal to 1"
    )
    assert error_of(client, "BF.RESERVE", "g", 0.1, 10, "NONSCALING", "EXPANSION", 2) == (
        "Nonscaling filters cannot expand"
    )
    assert error_of(client, "BF.RESERVE", "g", 0.1) == (
        "wrong number of arguments for 'bf.reserve' command"
    )
    client.set("s", "v")
    assert error_of(client, "BF.RESERVE", "s", 0.1, 10) == WRONGTYPE
    assert client.exists("g") == 0


def test_insert_errors(client):
    assert error_of(client, "BF.INSERT", "f", "ITEMS") == (
        "wrong number of arguments for 'bf.insert' command"
    )
    assert error_of(client, "BF.INSERT", "f", "CAPACITY") == (
        "wrong number of arguments for 'bf.insert' command"
    )
    assert error_of(client, "BF.INSERT", "f", "CAPACITY", "x", "ITEMS", "a") == "Bad capacity"
    assert error_of(client, "BF.INSERT", "f", "ERROR", "x", "ITEMS", "a") == "Bad error rate"
    assert error_of(client, "BF.INSERT", "f", "EXPANSION", "x", "ITEMS", "a") == "Bad expansion"
    assert error_of(client, "BF.INSERT", "f", "ERROR", "2", "ITEMS", "a") == (
        "Bad argument received"
    )
    assert error_of(client, "BF.INSERT", "f", "BOGUS", "ITEMS", "a") == (
        "Unknown argument received"
    )
    client.set("s", "v")
    assert error_of(client, "BF.INSERT", "s", "ITEMS", "a") == WRONGTYPE
    assert error_of(client, "BF.ADD", "s", "a") == WRONGTYPE
    assert error_of(client, "BF.INFO", "missing") == "not found"


def test_exists_on_another_type_answers_zero(client):
    client.set("s", "v")
    assert client.execute_command("BF.EXISTS", "s", "v") in (0, False)


def test_scandump_loadchunk_copies_a_filter(client):
    bf = client.bf()
    bf.create("src", 0.001, 50)
    bf.madd("src", *[f"item{i}" for i in range(200)])
    iterator = 0
    while True:
        iterator, data = bf.scandump("src", iterator)
        if iterator == 0:
            break
        bf.loadchunk("copy", iterator, data)
    assert bf.mexists("copy", *[f"item{i}" for i in range(200)]) == [1] * 200
    assert info_of(client, "src") == info_of(client, "copy")


def test_loadchunk_rejects_bad_data(client):
    assert error_of(client, "BF.LOADCHUNK", "f", 1, b"garbage") == "received bad data"
    assert error_of(client, "BF.LOADCHUNK", "f", "x", b"") == "Second argument must be numeric"
    assert error_of(client, "BF.LOADCHUNK", "f", 5, b"data") == "not found"


def test_commands_keep_redisbloom_flags(bloom_server):
    ferrite_client = bloom_server.client()
    connection = ferrite_client.connection_pool.get_connection()
    try:
        connection.send_command("COMMAND", "INFO", "bf.add", "bf.exists")
        add, exists = connection.read_response()
    finally:
        ferrite_client.connection_pool.release(connection)
    assert set(add[2]) == {b"write", b"denyoom", b"module"} and add[3:6] == [1, 1, 1]
    assert set(exists[2]) == {b"readonly", b"fast", b"module"} and exists[3:6] == [1, 1, 1]


def test_filters_survive_a_snapshot_and_restart(ferrite_server_factory, tmp_path):
    server = ferrite_server_factory(modules=["bloom"], directory=tmp_path)
    client = server.client()
    client.bf().madd("f", *[f"item{i}" for i in range(300)])
    before = info_of(client, "f")
    client.save()
    client.close()
    server.stop()
    restarted = ferrite_server_factory(modules=["bloom"], directory=tmp_path, port=server.port)
    client = restarted.client()
    assert info_of(client, "f") == before
    assert client.bf().mexists("f", *[f"item{i}" for i in range(300)]) == [1] * 300
    client.close()


# The type callbacks, called directly.


def test_rdb_round_trip_keeps_every_bit():
    chain = ScalableBloomFilter.create(20, 0.01)
    for i in range(100):
        chain.add(f"x{i}".encode())
    loaded = dump.rdb_load(dump.rdb_save(chain), dump.ENCODING_VERSION)
    assert loaded == chain
    with pytest.raises(ValueError):
        dump.rdb_load(dump.rdb_save(chain), dump.ENCODING_VERSION + 1)
    with pytest.raises(Exception):  # noqa: B017 - truncated data fails one way or another
        dump.rdb_load(dump.rdb_save(chain)[:-3], dump.ENCODING_VERSION)


def test_aof_rewrite_commands_rebuild_the_filter(bloom_server):
    ferrite_client = bloom_server.client()
    ferrite_client.flushall()
    chain = ScalableBloomFilter.create(20, 0.01, expansion=3)
    for i in range(100):
        chain.add(f"x{i}".encode())
    for command in dump.dump_commands(chain, b"rebuilt"):
        ferrite_client.execute_command(*command)
    assert ferrite_client.execute_command("BF.CARD", "rebuilt") == chain.size
    found = ferrite_client.execute_command("BF.MEXISTS", "rebuilt", *[f"x{i}" for i in range(100)])
    assert all(found)


def test_murmurhash64a_is_seeded_and_spreads_bits():
    assert murmurhash64a(b"apple", 1) == murmurhash64a(b"apple", 1)
    assert murmurhash64a(b"apple", 1) != murmurhash64a(b"apple", 2)
    hashes = {murmurhash64a(f"k{i}".encode(), 7) for i in range(1000)}
    assert len(hashes) == 1000
    assert all(0 <= h < 2**64 for h in hashes)
    assert sum(h >> 63 for h in hashes) in range(400, 600)


def test_debug_describes_every_filter(client):
    bf = client.bf()
    bf.create("f", 0.01, 10, expansion=2)
    bf.madd("f", *[f"item{i}" for i in range(25)])
    lines = client.execute_command("BF.DEBUG", "f")
    chain = [line.decode() if isinstance(line, bytes) else line for line in lines]
    assert chain[0] == f"size:{bf.card('f')}"
    first = dict(field.split(":") for field in chain[1].split())
    assert first["capacity"] == "10" and first["hashwidth"] == "64" and first["ratio"] == "0.005"
    assert int(first["bits"]) == int(first["bytes"]) * 8 and first["hashes"] == "8"
    assert len(chain) - 1 == info_of(client, "f")["Number of filters"]
    assert error_of(client, "BF.DEBUG", "missing") == "not found"
    assert error_of(client, "BF.DEBUG") == "wrong number of arguments for 'bf.debug' command"
