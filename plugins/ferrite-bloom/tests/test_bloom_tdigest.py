"""TDIGEST.* against a real server through redis-py's tdigest() helpers, RESP2 and RESP3.

Expected values are the examples of RedisBloom's documentation for each command.
"""

from __future__ import annotations

import math
import random

import pytest
from bloom_wire import WRONGTYPE, as_dict, double, error_of, raw, resp3
from ferrite_bloom import tdigest
from ferrite_bloom.tdigest import TDigest

pytestmark = pytest.mark.ferrite_modules("bloom")

SAMPLE = [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5]


def doubles(r, texts: list[str]) -> list[object]:
    return [double(r, text) for text in texts]


@pytest.fixture
def t(r):
    r.tdigest().create("t", 1000)
    r.tdigest().add("t", SAMPLE)
    return r


def test_quantile(t):
    quantiles = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
    assert raw(t, "TDIGEST.QUANTILE", "t", *quantiles) == doubles(
        t, ["1", "2", "3", "3", "4", "4", "4", "5", "5", "5", "5"]
    )
    assert t.tdigest().quantile("t", 0.5) == [4.0]


def test_cdf(t):
    assert raw(t, "TDIGEST.CDF", "t", 0, 1, 2, 3, 4, 5, 6) == doubles(
        t,
        [
            "0",
            "0.033333333333333333",
            "0.13333333333333333",
            "0.29999999999999999",
            "0.53333333333333333",
            "0.83333333333333337",
            "1",
        ],
    )


def test_byrank_and_byrevrank(t):
    ranks = list(range(16))
    assert raw(t, "TDIGEST.BYRANK", "t", *ranks) == doubles(
        t, ["1", "2", "2", "3", "3", "3", "4", "4", "4", "4", "5", "5", "5", "5", "5", "inf"]
    )
    assert raw(t, "TDIGEST.BYREVRANK", "t", *ranks) == doubles(
        t, ["5", "5", "5", "5", "5", "4", "4", "4", "4", "3", "3", "3", "2", "2", "1", "-inf"]
    )


def test_rank_and_revrank(r):
    r.tdigest().create("s", 1000)
    r.tdigest().add("s", [10, 20, 30, 40, 50, 60])
    values = [0, 10, 20, 30, 40, 50, 60, 70]
    # Rounded half down: a single smallest observation has rank 0, as the docs' text says.
    assert r.tdigest().rank("s", *values) == [-1, 0, 1, 2, 3, 4, 5, 6]
    assert r.tdigest().revrank("s", *values) == [6, 5, 4, 3, 2, 1, 0, -1]
    r.tdigest().create("d", 1000)
    r.tdigest().add("d", [10, 10, 10, 10, 20, 20])
    assert r.tdigest().rank("d", 10, 20) == [2, 5]
    assert r.tdigest().revrank("d", 10, 20) == [4, 1]
    r.tdigest().create("w", 500)
    r.tdigest().add("w", list(range(20)))
    assert r.tdigest().rank("w", -20, 0, 9, 10, 20) == [-1, 0, 9, 10, 20]
    assert r.tdigest().revrank("w", 21, 20, 0, 10) == [-1, -1, 19, 9]


def test_trimmed_mean(r):
    r.tdigest().create("t", 1000)
    r.tdigest().add("t", list(range(1, 11)))
    assert raw(r, "TDIGEST.TRIMMED_MEAN", "t", 0.1, 0.6) == double(r, "4")
    assert raw(r, "TDIGEST.TRIMMED_MEAN", "t", 0.3, 0.9) == double(r, "6.5")
    assert raw(r, "TDIGEST.TRIMMED_MEAN", "t", 0, 1) == double(r, "5.5")


def test_min_max_and_info(r):
    r.tdigest().create("t")
    r.tdigest().add("t", [1, 2, 3, 4, 5])
    assert as_dict(raw(r, "TDIGEST.INFO", "t")) == {
        "Compression": 100,
        "Capacity": 610,
        "Merged nodes": 0,
        "Unmerged nodes": 5,
        "Merged weight": 0,
        "Unmerged weight": 5,
        "Observations": 5,
        "Total compressions": 0,
        "Memory usage": 9768,
    }
    assert raw(r, "TDIGEST.MIN", "t") == double(r, "1")
    assert raw(r, "TDIGEST.MAX", "t") == double(r, "5")
    info = r.tdigest().info("t")
    if not resp3(r):
        assert (info.compression, info.capacity, info.unmerged_nodes) == (100, 610, 5)


def test_merge(r):
    r.tdigest().create("s1")
    r.tdigest().create("s2")
    r.tdigest().add("s1", [10.0, 20.0])
    r.tdigest().add("s2", [30.0, 40.0])
    assert r.tdigest().merge("sM", 2, "s1", "s2")
    assert raw(r, "TDIGEST.BYRANK", "sM", 0, 1, 2, 3, 4) == doubles(
        r, ["10", "20", "30", "40", "inf"]
    )
    r.tdigest().create("big", 500)
    r.tdigest().add("big", [1.0])
    assert as_dict(raw(r, "TDIGEST.INFO", "sM"))["Compression"] == 100
    # An existing destination is merged into (its compression kept) unless OVERRIDE.
    assert r.tdigest().merge("sM", 1, "big")
    assert as_dict(raw(r, "TDIGEST.INFO", "sM"))["Observations"] == 5
    assert as_dict(raw(r, "TDIGEST.INFO", "sM"))["Compression"] == 100
    assert r.tdigest().merge("sM", 1, "big", override=True)
    assert as_dict(raw(r, "TDIGEST.INFO", "sM"))["Observations"] == 1
    assert as_dict(raw(r, "TDIGEST.INFO", "sM"))["Compression"] == 500
    assert r.tdigest().merge("sM", 2, "s1", "s2", compression=300, override=True)
    assert as_dict(raw(r, "TDIGEST.INFO", "sM"))["Compression"] == 300


def test_empty_and_reset(r):
    r.tdigest().create("t")
    smallest = raw(r, "TDIGEST.MIN", "t")
    assert math.isnan(smallest) if resp3(r) else smallest == b"nan"
    assert raw(r, "TDIGEST.RANK", "t", 1) == [-2]
    assert [math.isnan(float(v)) for v in raw(r, "TDIGEST.QUANTILE", "t", 0.5)] == [True]
    r.tdigest().add("t", [1, 2, 3])
    assert r.tdigest().reset("t")
    assert as_dict(raw(r, "TDIGEST.INFO", "t"))["Observations"] == 0


def test_errors(r):
    assert error_of(r, "TDIGEST.ADD", "missing", 1) == "T-Digest: key does not exist"
    r.tdigest().create("t")
    assert error_of(r, "TDIGEST.CREATE", "t") == "T-Digest: key already exists"
    assert error_of(r, "TDIGEST.CREATE", "u", "COMPRESSION", "x") == (
        "T-Digest: error parsing compression parameter"
    )
    assert error_of(r, "TDIGEST.CREATE", "u", "COMPRESSION", 0) == (
        "T-Digest: compression parameter needs to be a positive integer"
    )
    assert error_of(r, "TDIGEST.ADD", "t", "x") == "T-Digest: error parsing val parameter"
    assert error_of(r, "TDIGEST.QUANTILE", "t", "x") == "T-Digest: error parsing quantile"
    assert error_of(r, "TDIGEST.QUANTILE", "t", 2) == "T-Digest: quantile should be in [0,1]"
    assert error_of(r, "TDIGEST.CDF", "t", "x") == "T-Digest: error parsing cdf"
    assert error_of(r, "TDIGEST.RANK", "t", "x") == "T-Digest: error parsing value"
    assert error_of(r, "TDIGEST.BYRANK", "t", "x") == "T-Digest: error parsing rank"
    assert error_of(r, "TDIGEST.BYRANK", "t", -1) == "T-Digest: rank needs to be non negative"
    assert error_of(r, "TDIGEST.TRIMMED_MEAN", "t", 0.5, 0.1) == (
        "T-Digest: low_cut_percentile should be lower than high_cut_percentile"
    )
    assert error_of(r, "TDIGEST.TRIMMED_MEAN", "t", 0, 2) == (
        "T-Digest: low_cut_percentile and high_cut_percentile should be in [0,1]"
    )
    assert error_of(r, "TDIGEST.MERGE", "d", 0, "t") == (
        "T-Digest: numkeys needs to be a positive integer"
    )
    r.set("s", "v")
    assert error_of(r, "TDIGEST.MIN", "s") == WRONGTYPE


def test_quantiles_of_a_large_sample_are_accurate():
    rng = random.Random(11)
    values = [rng.gauss(0, 1) for _ in range(50_000)]
    digest = TDigest(100)
    for value in values:
        digest.add(value)
    ordered = sorted(values)
    for q in (0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999):
        exact_rank = q * len(values)
        estimate = digest.quantile(q)
        estimated_rank = sum(1 for v in ordered if v <= estimate)
        # Rank error: a fraction of a percent in the middle, much less at the tails.
        assert abs(estimated_rank - exact_rank) / len(values) < 0.005
    assert digest.quantile(0) == ordered[0] and digest.quantile(1) == ordered[-1]
    assert digest.merged_nodes < digest.capacity
    assert abs(digest.cdf(0.0) - 0.5) < 0.005


def test_rdb_round_trip_keeps_unmerged_nodes():
    digest = TDigest(50)
    for value in range(1000):
        digest.add(float(value))
    digest.add(2000.0)
    loaded = tdigest.rdb_load(tdigest.rdb_save(digest), tdigest.ENCODING_VERSION)
    assert loaded == digest
