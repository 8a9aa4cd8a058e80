"""CMS.* against a real server through redis-py's cms() helpers, in RESP2 and RESP3."""

from __future__ import annotations

import collections
import random

import pytest
from bloom_wire import WRONGTYPE, as_dict, error_of, raw
from ferrite_bloom import cms
from ferrite_bloom.cms import CountMinSketch
from ferrite_bloom.hashing import murmurhash2

pytestmark = pytest.mark.ferrite_modules("bloom")


def test_documented_examples(r):
    assert r.cms().initbydim("test", 2000, 5)
    assert r.cms().incrby("test", ["foo", "bar"], [10, 42]) == [10, 42]
    assert r.cms().query("test", "foo", "bar", "baz") == [10, 42, 0]
    assert as_dict(raw(r, "CMS.INFO", "test")) == {"width": 2000, "depth": 5, "count": 52}
    assert r.cms().initbyprob("prob", 0.001, 0.01)
    assert as_dict(raw(r, "CMS.INFO", "prob")) == {"width": 2000, "depth": 7, "count": 0}
    assert r.type("test") == b"CMSk-TYPE"


def test_info_helper_in_both_protocols(r):
    r.cms().initbydim("c", 10, 3)
    info = r.cms().info("c")
    if isinstance(info, dict):
        assert info == {b"width": 10, b"depth": 3, b"count": 0}
    else:
        assert (info.width, info.depth, info.count) == (10, 3, 0)


def test_merge_with_weights(r):
    for key in ("a", "b", "dest"):
        r.cms().initbydim(key, 100, 4)
    r.cms().incrby("a", ["x", "y"], [1, 2])
    r.cms().incrby("b", ["x"], [10])
    assert r.cms().merge("dest", 2, ["a", "b"], [3, 1])
    assert r.cms().query("dest", "x", "y") == [13, 6]
    assert as_dict(raw(r, "CMS.INFO", "dest"))["count"] == 19
    assert r.cms().merge("dest", 2, ["a", "b"])
    assert r.cms().query("dest", "x") == [11]


def test_errors(r):
    assert error_of(r, "CMS.INITBYDIM", "c", 0, 5) == "CMS: invalid width"
    assert error_of(r, "CMS.INITBYDIM", "c", 10, "x") == "CMS: invalid depth"
    assert error_of(r, "CMS.INITBYPROB", "c", 1, 0.1) == "CMS: invalid overestimation value"
    assert error_of(r, "CMS.INITBYPROB", "c", 0.1, 0) == "CMS: invalid prob value"
    r.cms().initbydim("c", 10, 2)
    assert error_of(r, "CMS.INITBYDIM", "c", 10, 2) == "CMS: key already exists"
    assert error_of(r, "CMS.INCRBY", "c", "a", "x") == "CMS: Cannot parse number"
    assert error_of(r, "CMS.INCRBY", "c", "a", -1) == "CMS: Number cannot be negative"
    assert error_of(r, "CMS.INCRBY", "c", "a") == (
        "wrong number of arguments for 'cms.incrby' command"
    )
    assert error_of(r, "CMS.QUERY", "missing", "a") == "CMS: key does not exist"
    assert error_of(r, "CMS.MERGE", "c", 1, "missing") == "CMS: key does not exist"
    r.cms().initbydim("other", 20, 2)
    assert error_of(r, "CMS.MERGE", "c", 1, "other") == "CMS: width/depth is not equal"
    assert error_of(r, "CMS.MERGE", "c", "x", "other") == "CMS: invalid numkeys"
    assert error_of(r, "CMS.MERGE", "c", 2, "other") == "CMS: wrong number of keys"
    assert error_of(r, "CMS.MERGE", "c", 1, "c", "WEIGHTS", "x") == "CMS: invalid weight value"
    r.set("s", "v")
    assert error_of(r, "CMS.QUERY", "s", "a") == WRONGTYPE


def test_counters_saturate_with_an_error(r):
    r.cms().initbydim("c", 10, 2)
    r.execute_command("CMS.INCRBY", "c", "a", 2**32 - 2)
    replies = r.execute_command("CMS.INCRBY", "c", "a", 5, "b", 0)
    assert str(replies[0]) == "CMS: INCRBY overflow"
    assert r.cms().query("c", "a") == [2**32 - 2]


def test_estimates_never_undercount_and_stay_within_the_error_bound(r):
    r.cms().initbyprob("c", 0.01, 0.01)
    rng = random.Random(7)
    stream = [f"item{int(rng.paretovariate(1.2)) % 500}" for _ in range(5000)]
    truth = collections.Counter(stream)
    items = list(truth)
    for start in range(0, len(items), 200):
        chunk = items[start : start + 200]
        r.cms().incrby("c", chunk, [truth[item] for item in chunk])
    estimates = r.cms().query("c", *items)
    errors = [estimate - truth[item] for item, estimate in zip(items, estimates, strict=True)]
    assert min(errors) >= 0
    assert sum(error > 0.01 * len(stream) for error in errors) <= 0.01 * len(items) + 1


def test_rows_use_murmurhash2_seeded_by_row():
    sketch = CountMinSketch.create(50, 3)
    sketch.incrby(b"apple", 4)
    for row in range(3):
        assert sketch.counters[row * 50 + murmurhash2(b"apple", row) % 50] == 4
    assert sum(sketch.counters) == 12
    loaded = cms.rdb_load(cms.rdb_save(sketch), cms.ENCODING_VERSION)
    assert loaded == sketch
