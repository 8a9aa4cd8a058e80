"""CF.* against a real server through redis-py's cf() helpers, in RESP2 and RESP3."""

from __future__ import annotations

import pytest
import redis
from bloom_wire import WRONGTYPE, as_dict, error_of, raw, resp3
from ferrite_bloom import cuckoo
from ferrite_bloom.cuckoo import CuckooFilter, Probe

pytestmark = pytest.mark.ferrite_modules("bloom")


def info(r: redis.Redis, key: str) -> dict[str, object]:
    return as_dict(raw(r, "CF.INFO", key))


def test_documented_reserve_and_info(r):
    assert r.cf().create("cf", 1000)
    assert error_of(r, "CF.RESERVE", "cf", 1000) == "item exists"
    assert r.execute_command(
        "CF.RESERVE", "cf_params", 1000, "BUCKETSIZE", 8, "MAXITERATIONS", 20, "EXPANSION", 2
    )
    assert info(r, "cf") == {
        "Size": 1080,
        "Number of buckets": 512,
        "Number of filters": 1,
        "Number of items inserted": 0,
        "Number of items deleted": 0,
        "Bucket size": 2,
        "Expansion rate": 1,
        "Max iterations": 20,
    }
    params = r.cf().info("cf_params")
    if isinstance(params, dict):
        assert params[b"Bucket size"] == 8 and params[b"Expansion rate"] == 2
    else:
        assert (params.bucketSize, params.expansionRate, params.bucketNum) == (8, 2, 128)
    assert r.type("cf") == b"MBbloomCF"


def test_add_addnx_exists_count_del(r):
    cf = r.cf()
    assert cf.add("cf", "item1") == 1
    assert cf.add("cf", "item1") == 1  # duplicates are allowed
    assert cf.addnx("cf", "item1") == 0
    assert cf.addnx("cf", "item2") == 1
    assert cf.count("cf", "item1") == 2
    assert cf.exists("cf", "item1") == 1 and cf.exists("cf", "nope") == 0
    assert cf.mexists("cf", "item1", "item2", "item3") == [1, 1, 0]
    assert cf.delete("cf", "item1") == 1
    assert cf.count("cf", "item1") == 1
    assert cf.delete("cf", "nope") == 0
    assert info(r, "cf")["Number of items inserted"] == 2
    assert info(r, "cf")["Number of items deleted"] == 1
    # CF.ADD creates a default filter (capacity 1000 -> 512 buckets of 2).
    assert info(r, "cf")["Number of buckets"] == 512
    assert cf.exists("missing", "x") == 0 and cf.count("missing", "x") == 0


def test_resp3_answers_booleans(r):
    added = raw(r, "CF.ADD", "cf", "a")
    exists = raw(r, "CF.MEXISTS", "cf", "a", "b")
    if resp3(r):
        assert added is True and exists == [True, False]
    else:
        assert added == 1 and exists == [1, 0]


def test_insert_and_insertnx(r):
    cf = r.cf()
    assert cf.insert("cf", ["a", "b", "a"]) == [1, 1, 1]
    assert cf.insertnx("cf", ["a", "c"]) == [0, 1]
    assert cf.insert("big", ["x"], capacity=10000) == [1]
    assert info(r, "big")["Number of buckets"] == 8192
    with pytest.raises(redis.ResponseError, match="not found"):
        cf.insert("absent", ["x"], nocreate=True)
    assert r.exists("absent") == 0
    assert error_of(r, "CF.INSERT", "cf", "BOGUS", "ITEMS", "a") == "Unknown argument received"
    assert error_of(r, "CF.INSERT", "cf", "CAPACITY", "x", "ITEMS", "a") == "Bad capacity"
    assert error_of(r, "CF.INSERT", "cf", "ITEMS") == (
        "wrong number of arguments for 'cf.insert' command"
    )


def test_full_filter_without_expansion(r):
    r.execute_command("CF.RESERVE", "cf", 4, "BUCKETSIZE", 1, "EXPANSION", 0)
    results = r.execute_command("CF.INSERT", "cf", "ITEMS", *[f"i{i}" for i in range(40)])
    assert set(results) == {1, -1}
    assert info(r, "cf")["Number of items inserted"] == results.count(1) <= 4
    assert info(r, "cf")["Number of filters"] == 1
    added = results.count(1)
    for i in range(4 - added):  # fill the slots the kicks could not reach
        r.execute_command("CF.INSERT", "cf", "ITEMS", f"fill{i}")
    if info(r, "cf")["Number of items inserted"] == 4:
        assert error_of(r, "CF.ADD", "cf", "one-more") == "Filter is full"
        assert r.cf().insertnx("cf", ["one-more"]) == [-1]


def test_growth_no_false_negatives_and_fp_rate(r):
    r.cf().create("cf", 100, expansion=2)
    items = [f"member:{i}" for i in range(1500)]
    for start in range(0, len(items), 300):
        assert set(r.cf().insert("cf", items[start : start + 300])) == {1}
    filters = info(r, "cf")["Number of filters"]
    assert isinstance(filters, int) and filters > 1
    assert all(r.cf().mexists("cf", *items))
    misses = r.cf().mexists("cf", *[f"other:{i}" for i in range(2000)])
    # Each sub-filter checked risks 2 buckets x 2 slots / 255 fingerprints.
    assert sum(misses) / 2000 < 1.5 * filters * 4 / 255


def test_deleting_items_compacts_sub_filters():
    filter_ = CuckooFilter.create(8, 2, 20, 1)
    items = [f"i{i}".encode() for i in range(40)]
    for item in items:
        filter_.add(item)
    grown = len(filter_.filters)
    assert grown > 1
    for item in items[:35]:
        assert filter_.delete(item)
    assert len(filter_.filters) < grown
    assert all(filter_.contains(item) for item in items[35:])
    assert filter_.num_items == 5


def test_reserve_errors(r):
    assert error_of(r, "CF.RESERVE", "cf", "x") == "Bad capacity"
    assert error_of(r, "CF.RESERVE", "cf", 1) == "Capacity must be at least (BucketSize * 2)"
    assert error_of(r, "CF.RESERVE", "cf", 100, "BUCKETSIZE", "x") == "Couldn't parse BUCKETSIZE"
    assert error_of(r, "CF.RESERVE", "cf", 100, "BUCKETSIZE", 0) == (
        "BUCKETSIZE parameter needs to be a positive integer"
    )
    assert error_of(r, "CF.RESERVE", "cf", 100, "MAXITERATIONS", 0) == (
        "MAXITERATIONS parameter needs to be a positive integer"
    )
    assert error_of(r, "CF.RESERVE", "cf", 100, "EXPANSION", -1) == (
        "EXPANSION parameter needs to be a non-negative integer"
    )
    assert error_of(r, "CF.RESERVE", "cf", 100, "EXPANSION") == (
        "wrong number of arguments for 'cf.reserve' command"
    )
    r.set("s", "v")
    assert error_of(r, "CF.RESERVE", "s", 100) == WRONGTYPE
    assert error_of(r, "CF.ADD", "s", "a") == WRONGTYPE
    assert error_of(r, "CF.DEL", "missing", "a") == "not found"
    assert error_of(r, "CF.INFO", "missing") == "not found"


def test_debug_line(r):
    r.cf().create("cf", 1000, bucket_size=4, expansion=2)
    r.cf().add("cf", "a")
    line = r.execute_command("CF.DEBUG", "cf")
    assert line == (
        b"bktsize:4 buckets:256 items:1 deletes:0 filters:1 max_iterations:20 expansion:2"
    )


def test_scandump_loadchunk_round_trip(r):
    cf = r.cf()
    cf.create("src", 64, expansion=2)
    items = [f"k{i}" for i in range(300)]
    for start in range(0, 300, 100):
        cf.insert("src", items[start : start + 100])
    cf.delete("src", "k0")
    chunks = []
    iterator = 0
    while True:
        iterator, data = cf.scandump("src", iterator)
        if iterator == 0:
            break
        chunks.append((iterator, data))
    assert len(chunks[0][1]) == cuckoo.HEADER.size
    for iterator, data in chunks:
        assert cf.loadchunk("copy", iterator, data) in (b"OK", "OK", True)
    assert info(r, "copy") == info(r, "src")
    assert all(cf.mexists("copy", *items[1:]))
    assert error_of(r, "CF.LOADCHUNK", "other", 1, b"short") == "Couldn't create filter!"
    assert error_of(r, "CF.LOADCHUNK", "other", 5, b"data") == "not found"
    assert error_of(r, "CF.LOADCHUNK", "copy", 10**9, b"data") == "Couldn't load chunk!"


def test_fingerprints_and_buckets_follow_redisbloom():
    probe = Probe.of(b"apple")
    assert 1 <= probe.fp <= 255
    buckets = 1 << 10
    mix = probe.fp * 0x5BD1E995
    # Either bucket index gives the other one back: why bucket counts are powers of two.
    assert ((probe.h1 % buckets) ^ mix) % buckets == probe.h2 % buckets
    assert ((probe.h2 % buckets) ^ mix) % buckets == probe.h1 % buckets
    filter_ = CuckooFilter.create(buckets * 2)
    filter_.add(b"apple")
    first = (probe.h1 % buckets) * 2
    second = (probe.h2 % buckets) * 2
    slots = filter_.filters[0]
    assert probe.fp in (slots[first], slots[first + 1], slots[second], slots[second + 1])
    assert sum(1 for slot in slots if slot) == 1


def test_rdb_round_trip():
    filter_ = CuckooFilter.create(50, 4, 10, 2)
    for i in range(200):
        filter_.add(f"x{i}".encode())
    loaded = cuckoo.rdb_load(cuckoo.rdb_save(filter_), cuckoo.ENCODING_VERSION)
    assert loaded == filter_
    with pytest.raises(ValueError):
        cuckoo.rdb_load(cuckoo.rdb_save(filter_)[:-1], cuckoo.ENCODING_VERSION)
