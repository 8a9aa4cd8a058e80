"""Bitmaps, HyperLogLog and geo through the real dispatcher: the change events each command
emits (what WATCH, the dirty counter and notifications see), in-place edits, and the pure
algorithms (MurmurHash64A, geohash) against values Redis documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ferrite_host.core.state import ServerState
from ferrite_host.geo import geohash
from ferrite_host.keyspace import hll
from ferrite_host.keyspace.zsets import ZSetValue
from ferrite_host.protocol.encoder import encode
from ferrite_host.protocol.replies import DoubleText, Error

Run = Callable[..., Any]


@pytest.fixture
def events(state: ServerState) -> list[tuple[bytes | None, str, str]]:
    seen: list[tuple[bytes | None, str, str]] = []
    state.keyspace.subscribe(lambda db, key, event, cls: seen.append((key, event, cls)))
    return seen


def test_setbit_announces_only_real_changes(run: Run, events: list[Any]) -> None:
    assert run("SETBIT", "b", 9, 1) == 0
    assert events == [(b"b", "new", "n"), (b"b", "setbit", "$")]
    events.clear()
    assert run("SETBIT", "b", 9, 1) == 1  # same bit, same length: nothing changed
    assert run("SETBIT", "b", 3, 0) == 0
    assert events == []
    assert run("SETBIT", "b", 40, 0) == 0  # grows the string: a change even with a 0 bit
    assert events == [(b"b", "setbit", "$")]
    assert run("GET", "b") == b"\x00\x40\x00\x00\x00\x00"


def test_bitfield_fail_on_new_key_creates_it_silently(run: Run, events: list[Any]) -> None:
    assert run("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 9) == [None]
    assert run("GET", "f") == b"\x00"
    assert [event for _, event, cls in events if cls not in ("", "n")] == []  # no "setbit"
    assert run("BITFIELD", "f", "INCRBY", "u2", 0, 1, "GET", "u2", 0) == [1, 1]
    assert events[-1] == (b"f", "setbit", "$")


def test_bitop_stores_with_set_and_deletes_on_empty(run: Run, events: list[Any]) -> None:
    run("SET", "a", "\x0f")
    events.clear()
    assert run("BITOP", "NOT", "d", "a") == 1
    assert run("GET", "d") == b"\xf0"
    assert events == [(b"d", "new", "n"), (b"d", "set", "$")]
    events.clear()
    assert run("BITOP", "AND", "d", "nokey") == 0
    assert events == [(b"d", "del", "g")]
    assert run("EXISTS", "d") == 0


def test_bit_offsets_are_bounded_by_proto_max_bulk_len(run: Run) -> None:
    run("CONFIG", "SET", "proto-max-bulk-len", "1mb")
    offset = 1024 * 1024 * 8
    assert run("SETBIT", "b", offset, 1) == Error(
        "ERR bit offset is not an integer or out of range"
    )
    assert run("BITFIELD", "b", "GET", "u8", "#1048575") == [0]
    assert run("SETBIT", "b", offset - 1, 1) == 0
    assert run("BITFIELD", "b", "GET", "u8", "#1048576") == Error(
        "ERR bit offset is not an integer or out of range"
    )
    assert run("BITFIELD", "b", "GET", "u8", "#1048575") == [1]


def test_pfadd_pfmerge_events_and_silent_cache_write(
    run: Run, events: list[Any], state: ServerState
) -> None:
    assert run("PFADD", "h", "a", "b") == 1
    assert events == [(b"h", "new", "n"), (b"h", "pfadd", "$")]
    events.clear()
    assert run("PFADD", "h", "a") == 0
    assert events == []
    dirty = state.dirty
    assert run("PFCOUNT", "h") == 2
    assert [cls for _, _, cls in events] == [""]  # the cached count: no notification
    assert state.dirty > dirty
    events.clear()
    assert run("PFCOUNT", "h") == 2  # cache valid now: nothing written
    assert events == []
    assert run("PFMERGE", "m", "h") == "OK"
    assert events == [(b"m", "new", "n"), (b"m", "pfadd", "$")]


def test_hll_corruption_and_type_errors(run: Run) -> None:
    run("SET", "s", "not an hll")
    assert run("PFADD", "s", "x") == Error("WRONGTYPE Key is not a valid HyperLogLog string value.")
    run("SET", "cut", b"HYLL\x01" + bytes(10) + b"\x80\x7f\xfe")
    assert run("PFCOUNT", "cut") == Error("INVALIDOBJ Corrupted HLL object detected")
    run("GEOADD", "z", 0, 0, "m")
    assert run("PFCOUNT", "z").startswith("WRONGTYPE Operation")


def test_hll_sparse_max_bytes_decides_promotion(run: Run) -> None:
    run("CONFIG", "SET", "hll-sparse-max-bytes", "0")
    run("PFADD", "h", "a", "b")
    assert run("STRLEN", "h") == hll.DENSE_SIZE
    run("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    run("PFADD", "h2", *[f"e{i}" for i in range(200)])
    assert run("GETRANGE", "h2", 4, 4) == b"\x01"
    assert run("CONFIG", "GET", "hll-sparse-max-bytes") == {b"hll-sparse-max-bytes": b"3000"}


def test_murmurhash64a_and_pattern() -> None:
    assert hll.murmurhash64a(b"", 0) == 0
    assert hll.murmurhash64a(b"") != hll.murmurhash64a(b"a")
    index, count = hll.pattern(b"a")
    assert 0 <= index < hll.REGISTERS and 1 <= count <= 51


def test_estimator_of_empty_and_small_sets() -> None:
    assert hll.count(hll.new_sparse()) == 0
    value = hll.new_sparse()
    for element in (b"x", b"y", b"z"):
        hll.add(value, element, 3000)
    assert hll.count(value) == 3
    dense = bytearray(value)
    hll.to_dense(dense)
    assert len(dense) == hll.DENSE_SIZE and hll.count(dense) == 3


def test_geo_scores_and_geohash_strings_match_redis_documentation() -> None:
    # GEOADD's documentation example: Palermo scores 3479099956230698, geohash sqc8b49rny0.
    assert geohash.score_of(13.361389, 38.115556) == 3479099956230698
    assert geohash.standard_geohash(3479099956230698) == b"sqc8b49rny0"
    lon, lat = geohash.position_of(3479099956230698)
    assert abs(lon - 13.361389) < 1e-5 and abs(lat - 38.115556) < 1e-5


def test_geoadd_emits_zadd_and_store_events(run: Run, events: list[Any]) -> None:
    assert run("GEOADD", "g", 13.361389, 38.115556, "Palermo") == 1
    assert events == [(b"g", "new", "n"), (b"g", "zadd", "z")]
    events.clear()
    assert run("GEOADD", "g", 13.361389, 38.115556, "Palermo") == 0
    assert events == []
    run("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", 1, "km")
    run("GEORADIUS", "g", 13, 38, 100, "km", "STORE", "d2")
    assert (b"d", "geosearchstore", "z") in events
    assert (b"d2", "georadiusstore", "z") in events
    assert run("TYPE", "d") == "zset"


def test_geopos_coordinates_are_resp3_doubles_with_redis_text(run: Run) -> None:
    run("GEOADD", "g", 13.361389, 38.115556, "Palermo")
    reply = run("GEOPOS", "g", "Palermo", "nobody")
    assert reply[0] == [DoubleText("13.36138933897018433"), DoubleText("38.11555639549629859")]
    assert encode(reply, 3).endswith(b",38.11555639549629859\r\n_\r\n")
    assert encode(reply, 2).endswith(b"$20\r\n38.11555639549629859\r\n*-1\r\n")


def test_geoadd_propagates_as_zadd_once_zadd_exists(run: Run, state: ServerState) -> None:
    seen: list[list[bytes]] = []
    state.propagation_sinks.append(lambda db, commands: seen.extend(commands))
    run("GEOADD", "g", "CH", 13.361389, 38.115556, "Palermo")
    run("GEOADD", "g", 13.361389, 38.115556, "Palermo")  # no change: nothing propagated
    if state.commands.lookup(b"zadd") is None:
        assert seen == [[b"GEOADD", b"g", b"CH", b"13.361389", b"38.115556", b"Palermo"]]
    else:
        assert seen == [[b"ZADD", b"g", b"CH", b"3479099956230698", b"Palermo"]]


@pytest.mark.parametrize(
    ("score", "longitude", "latitude", "hashed"),
    [  # what redis-server 7.0.15 answers after ZADD z <score> m; GEOPOS/GEOHASH z m
        (-1.0, "180", "85.0511287799999991", b"bp05b5048p0"),
        (1e20, "-179.99999731779098511", "-85.05112751263942528", b"00bh0hbj200"),
        (float("inf"), "-179.99999731779098511", "-85.05112751263942528", b"00bh0hbj200"),
        (float("-inf"), "180", "-85.05112751263942528", b"00bh0hbj200"),
        (2.0**63, "180", "-85.05112751263942528", b"00bh0hbj200"),
        (5e15, "-127.13859289884567261", "85.0511287799999991", b"cpjefghd8p0"),
    ],
)
def test_scores_not_made_by_geoadd_decode_as_in_redis(
    run: Run, session: Any, score: float, longitude: str, latitude: str, hashed: bytes
) -> None:
    zset = ZSetValue()
    zset.add(b"m", score)
    session.db.set(b"z", zset, event="zadd", cls="z")
    assert run("GEOPOS", "z", "m") == [[DoubleText(longitude), DoubleText(latitude)]]
    assert run("GEOHASH", "z", "m") == [hashed]
