"""TOPK.* against a real server through redis-py's topk() helpers, in RESP2 and RESP3."""

from __future__ import annotations

import random

import pytest
from bloom_wire import WRONGTYPE, as_dict, double, error_of, raw
from ferrite_bloom import topk
from ferrite_bloom.topk import TopK

pytestmark = pytest.mark.ferrite_modules("bloom")


def test_reserve_defaults_and_info(r):
    assert r.topk().reserve("t", 50, 2000, 7, 0.925)
    assert as_dict(raw(r, "TOPK.INFO", "t")) == {
        "k": 50,
        "width": 2000,
        "depth": 7,
        "decay": double(r, "0.92500000000000004"),
    }
    r.execute_command("TOPK.RESERVE", "d", 3)
    assert as_dict(raw(r, "TOPK.INFO", "d")) == {
        "k": 3,
        "width": 8,
        "depth": 7,
        "decay": double(r, "0.90000000000000002"),
    }
    assert r.type("t") == b"TopK-TYPE"


def test_documented_add_query_count_list(r):
    r.topk().reserve("topk", 50, 2000, 7, 0.925)
    assert r.topk().add("topk", "foo", "bar", "42") == [None, None, None]
    assert r.topk().query("topk", "42", "nonexist") == [1, 0]
    assert raw(r, "TOPK.COUNT", "topk", "foo", "42", "nonexist") == [1, 1, 0]
    assert r.topk().incrby("topk", ["foo", "bar", "42"], [3, 2, 1]) == [None, None, None]
    assert raw(r, "TOPK.LIST", "topk") == [b"foo", b"bar", b"42"]
    listed = raw(r, "TOPK.LIST", "topk", "WITHCOUNT")
    assert listed == [b"foo", 4, b"bar", 3, b"42", 2]


def test_a_full_list_expels_the_smallest(r):
    r.topk().reserve("t", 2, 50, 3, 0.9)
    r.topk().incrby("t", ["a", "b"], [5, 3])
    expelled = r.topk().incrby("t", ["c"], [10])
    assert expelled in ([b"b"], ["b"])
    assert sorted(raw(r, "TOPK.LIST", "t")) == [b"a", b"c"]


def test_heavy_hitters_are_found(r):
    r.topk().reserve("t", 5, 200, 5, 0.9)
    rng = random.Random(3)
    heavy = [f"heavy{i}" for i in range(5)]
    stream = heavy * 60 + [f"light{rng.randrange(2000)}" for _ in range(1500)]
    rng.shuffle(stream)
    for start in range(0, len(stream), 250):
        r.topk().add("t", *stream[start : start + 250])
    assert sorted(raw(r, "TOPK.LIST", "t")) == sorted(item.encode() for item in heavy)
    assert r.topk().query("t", *heavy) == [1] * 5


def test_errors(r):
    assert error_of(r, "TOPK.RESERVE", "t", 0) == "TopK: invalid k"
    assert error_of(r, "TOPK.RESERVE", "t", 2, 0, 5, 0.9) == "TopK: invalid width"
    assert error_of(r, "TOPK.RESERVE", "t", 2, 10, 0, 0.9) == "TopK: invalid depth"
    assert error_of(r, "TOPK.RESERVE", "t", 2, 10, 5, 0) == (
        "TopK: invalid decay value. must be '<= 1' & '> 0'"
    )
    assert error_of(r, "TOPK.RESERVE", "t", 2, 10) == (
        "wrong number of arguments for 'topk.reserve' command"
    )
    r.topk().reserve("t", 2, 10, 5, 0.9)
    assert error_of(r, "TOPK.RESERVE", "t", 2) == "TopK: key already exists"
    assert error_of(r, "TOPK.INCRBY", "t", "a", 100001) == topk_increment_error()
    assert error_of(r, "TOPK.INCRBY", "t", "a", -1) == topk_increment_error()
    assert error_of(r, "TOPK.LIST", "t", "COUNTS") == "WITHCOUNT keyword expected"
    for command in ("TOPK.ADD", "TOPK.QUERY", "TOPK.COUNT"):
        assert error_of(r, command, "missing", "a") == "TopK: key does not exist"
    assert error_of(r, "TOPK.INFO", "missing") == "TopK: key does not exist"
    r.set("s", "v")
    assert error_of(r, "TOPK.ADD", "s", "a") == WRONGTYPE


def topk_increment_error() -> str:
    return (
        "TopK: increment must be an integer greater or equal to 0 and smaller or equal to 100,000"
    )


def test_decay_takes_over_light_buckets():
    sketch = TopK.create(1, 1, 1, 0.9)
    sketch.add(b"light")
    for _ in range(50):
        sketch.add(b"heavy")
    assert [entry.item for entry in sketch.ranked()] == [b"heavy"]
    assert sketch.count(b"light") == 0
    loaded = topk.rdb_load(topk.rdb_save(sketch), topk.ENCODING_VERSION)
    assert loaded == sketch


def test_expulsions_follow_redisbloom_heap_order(r):
    # redis-py's own test sequence: with few collisions HeavyKeeper is deterministic.
    r.topk().reserve("topk", 3, 50, 4, 0.9)
    items = ["A", "B", "C", "D", "E", "A", "A", "B", "C", "G", "D", "B", "D", "A", "E", "E", "1"]
    expelled = raw(r, "TOPK.ADD", "topk", *items)
    expected = [
        None,
        None,
        None,
        "A",
        "C",
        "D",
        None,
        None,
        "E",
        None,
        "B",
        "C",
        None,
        None,
        None,
        "D",
        None,
    ]
    assert expelled == [None if item is None else item.encode() for item in expected]
    assert raw(r, "TOPK.QUERY", "topk", *"ABCDEFG") == [1, 1, 0, 0, 1, 0, 0]
    assert raw(r, "TOPK.COUNT", "topk", *"ABCDEFG") == [4, 3, 2, 3, 3, 0, 1]
    r.topk().reserve("topklist", 3, 50, 3, 0.9)
    r.topk().add("topklist", *items[:-1])
    assert raw(r, "TOPK.LIST", "topklist", "WITHCOUNT") == [b"A", 4, b"B", 3, b"E", 3]


def test_decay_one_always_takes_over(r):
    r.topk().reserve("topk", 3, 10, 3, 1)
    assert raw(r, "TOPK.INCRBY", "topk", "bar", 3, "baz", 6, "42", 2) == [None, None, None]
    assert raw(r, "TOPK.INCRBY", "topk", "42", 8, "xyzzy", 4) == [None, b"bar"]
    assert raw(r, "TOPK.COUNT", "topk", "bar", "baz", "42", "xyzzy", 4) == [3, 6, 10, 4, 0]
