"""The expectations redis-py's own bloom-family tests hold against RedisBloom, against us."""

from __future__ import annotations

from math import inf

import pytest
import redis
from bloom_wire import as_dict, raw, resp3

pytestmark = pytest.mark.ferrite_modules("bloom")


def test_create_everything(r):
    assert r.bf().create("bloom", 0.01, 1000)
    assert r.bf().create("bloom_e", 0.01, 1000, expansion=1)
    assert r.bf().create("bloom_ns", 0.01, 1000, noScale=True)
    assert r.cf().create("cuckoo", 1000)
    assert r.cf().create("cuckoo_e", 1000, expansion=1)
    assert r.cf().create("cuckoo_bs", 1000, bucket_size=4)
    assert r.cf().create("cuckoo_mi", 1000, max_iterations=10)
    assert r.cms().initbydim("cmsDim", 100, 5)
    assert r.cms().initbyprob("cmsProb", 0.01, 0.01)
    assert r.topk().reserve("topk", 5, 100, 5, 0.9)
    assert r.tdigest().create("tDigest", 100)


def test_bf_add_insert_info(r):
    assert r.bf().create("bloom", 0.01, 1000)
    assert r.bf().add("bloom", "foo") == 1
    assert r.bf().add("bloom", "foo") == 0
    assert r.bf().madd("bloom", "foo", "bar") == [0, 1]
    assert r.bf().insert("bloom", ["foo", "baz"]) == [0, 1]
    assert r.bf().insert("captest", ["foo"], capacity=10) == [1]
    assert r.bf().insert("errtest", ["foo"], error=0.01) == [1]
    info = as_dict(raw(r, "BF.INFO", "bloom"))
    assert (info["Number of items inserted"], info["Capacity"], info["Number of filters"]) == (
        3,
        1000,
        1,
    )
    with pytest.raises(redis.RedisError):
        r.bf().create("myBloom", "0.0001", "1000", expansion=4, noScale=True)


def test_bf_scandump_loadchunk_keeps_debug_output(r):
    r.bf().create("myBloom", "0.0001", "1000")
    for x in range(1000):
        r.bf().add("myBloom", x)
    false_positives = sum(r.bf().mexists("myBloom", *[f"nonexist_{x}" for x in range(1000)]))
    assert false_positives < 5
    chunks = [r.bf().scandump("myBloom", 0)]
    while True:
        chunk = r.bf().scandump("myBloom", chunks[-1][0])
        if chunk[0] == 0:
            break
        chunks.append(chunk)
    before = r.execute_command("BF.DEBUG", "myBloom")
    r.delete("myBloom")
    for iterator, data in chunks:
        r.bf().loadchunk("myBloom", iterator, data)
    assert r.execute_command("BF.DEBUG", "myBloom") == before
    assert all(r.bf().mexists("myBloom", *range(1000)))


def test_cf_add_and_insert(r):
    assert r.cf().create("cuckoo", 1000)
    assert r.cf().add("cuckoo", "filter")
    assert not r.cf().addnx("cuckoo", "filter")
    assert r.cf().addnx("cuckoo", "newItem") == 1
    assert r.cf().insert("captest", ["foo"]) == [1]
    assert r.cf().insert("captest", ["foo"], capacity=1000) == [1]
    assert r.cf().insertnx("captest", ["bar"]) == [1]
    assert r.cf().insertnx("captest", ["food"], nocreate="1") == [1]
    assert r.cf().insertnx("captest", ["foo", "bar", "baz"]) == [0, 0, 1]
    assert r.cf().insertnx("captest", ["bar"], capacity=1000) == [0]
    info = as_dict(raw(r, "CF.INFO", "captest"))
    assert (info["Number of items inserted"], info["Number of items deleted"]) == (5, 0)
    assert info["Number of filters"] == 1


def test_cms_merge(r):
    for key in "ABC":
        assert r.cms().initbydim(key, 1000, 5)
    assert r.cms().incrby("A", ["foo", "bar", "baz"], [5, 3, 9])
    assert r.cms().incrby("B", ["foo", "bar", "baz"], [2, 3, 1])
    assert r.cms().merge("C", 2, ["A", "B"])
    assert r.cms().query("C", "foo", "bar", "baz") == [7, 6, 10]
    assert r.cms().merge("C", 2, ["A", "B"], ["1", "2"])
    assert r.cms().query("C", "foo", "bar", "baz") == [9, 9, 11]
    assert r.cms().merge("C", 2, ["A", "B"], ["2", "3"])
    assert r.cms().query("C", "foo", "bar", "baz") == [16, 15, 21]


def test_tdigest_merge_and_override(r):
    assert r.tdigest().create("to-tDigest", 10)
    assert r.tdigest().create("from-tDigest", 10)
    assert r.tdigest().add("from-tDigest", [1.0] * 10)
    assert r.tdigest().add("to-tDigest", [2.0] * 10)
    assert r.tdigest().merge("to-tDigest", 1, "from-tDigest")
    info = as_dict(raw(r, "TDIGEST.INFO", "to-tDigest"))
    assert info["Merged weight"] + info["Unmerged weight"] == 20  # type: ignore[operator]
    assert r.tdigest().create("from-override", 10)
    assert r.tdigest().create("from-override-2", 10)
    assert r.tdigest().add("from-override", [3.0] * 10)
    assert r.tdigest().add("from-override-2", [4.0] * 10)
    assert r.tdigest().merge("to-tDigest", 2, "from-override", "from-override-2", override=True)
    assert r.tdigest().min("to-tDigest") == 3.0
    assert r.tdigest().max("to-tDigest") == 4.0


def test_tdigest_quantile_cdf_trimmed_mean(r):
    assert r.tdigest().create("tDigest", 500)
    assert r.tdigest().add("tDigest", [x * 0.01 for x in range(1, 10000)])
    assert r.tdigest().quantile("tDigest", 1.0)[0] == r.tdigest().max("tDigest")
    assert r.tdigest().quantile("tDigest", 0.0)[0] == r.tdigest().min("tDigest")
    assert round(r.tdigest().quantile("tDigest", 0.01)[0], 2) == 1.0
    assert round(r.tdigest().quantile("tDigest", 0.99)[0], 2) == 99.0
    assert r.tdigest().create("t-digest", 100)
    assert r.tdigest().add("t-digest", [1, 2, 3, 4, 5])
    assert r.tdigest().quantile("t-digest", 0.5, 0.8) == [3.0, 5.0]
    assert r.tdigest().create("nine", 100)
    assert r.tdigest().add("nine", list(range(1, 10)))
    assert [round(x, 1) for x in r.tdigest().cdf("nine", 1.0, 9.0)] == [0.1, 0.9]
    assert r.tdigest().trimmed_mean("nine", 0.1, 0.9) == 5
    assert r.tdigest().trimmed_mean("nine", 0.4, 0.5) == 4.5


def test_tdigest_byrank_byrevrank(r):
    assert r.tdigest().create("t-digest", 500)
    assert r.tdigest().add("t-digest", list(range(1, 11)))
    assert r.tdigest().byrank("t-digest", 0)[0] == 1
    assert r.tdigest().byrank("t-digest", 9)[0] == 10
    assert r.tdigest().byrank("t-digest", 100)[0] == inf
    assert r.tdigest().byrevrank("t-digest", 0)[0] == 10
    assert r.tdigest().byrevrank("t-digest", 9)[0] == 1
    assert r.tdigest().byrevrank("t-digest", 100)[0] == -inf
    with pytest.raises(redis.ResponseError):
        r.tdigest().byrank("t-digest", -1)


def test_topk_info_helper(r):
    r.topk().reserve("topklist", 3, 50, 3, 0.9)
    info = r.topk().info("topklist")
    if resp3(r):
        assert (info[b"k"], info[b"width"], info[b"depth"]) == (3, 50, 3)
        assert round(float(info[b"decay"]), 1) == 0.9
    else:
        assert (info.k, info.width, info.depth) == (3, 50, 3)
        assert round(float(info.decay), 1) == 0.9
