"""The module as a whole: RedisBloom's name and version, types, persistence, hashing."""

from __future__ import annotations

import time

import pytest
from bloom_wire import raw
from ferrite_bloom import dump
from ferrite_bloom.filter import ScalableBloomFilter
from ferrite_bloom.hashing import murmurhash2, murmurhash64a

pytestmark = pytest.mark.ferrite_modules("bloom")


def test_module_list_shows_redisbloom(r):
    modules = r.execute_command("MODULE", "LIST")
    entry = modules[0]
    fields = entry if isinstance(entry, dict) else dict(zip(entry[::2], entry[1::2], strict=True))
    assert fields[b"name"] == b"bf" and fields[b"ver"] == 20612


def _populate(client) -> None:
    client.bf().madd("bf", *[f"b{i}" for i in range(200)])
    client.cf().insert("cf", [f"c{i}" for i in range(200)])
    client.cms().initbydim("cms", 100, 4)
    client.cms().incrby("cms", ["x", "y"], [7, 9])
    client.topk().reserve("topk", 3, 20, 4, 0.9)
    client.topk().incrby("topk", ["a", "b", "c"], [9, 5, 1])
    client.tdigest().create("td", 200)
    client.tdigest().add("td", [float(i) for i in range(500)])


def _state(client) -> dict[str, object]:
    """Everything observable about the populated keys, read raw (no redis-py parsing)."""
    return {
        "types": [raw(client, "TYPE", key) for key in ("bf", "cf", "cms", "topk", "td")],
        "bf": raw(client, "BF.DEBUG", "bf"),
        "cf": raw(client, "CF.DEBUG", "cf"),
        "cf_items": raw(client, "CF.MEXISTS", "cf", *[f"c{i}" for i in range(200)]),
        "cms": raw(client, "CMS.QUERY", "cms", "x", "y", "z"),
        "topk": raw(client, "TOPK.LIST", "topk", "WITHCOUNT"),
        "td": raw(client, "TDIGEST.QUANTILE", "td", 0.1, 0.5, 0.99),
        "td_info": raw(client, "TDIGEST.INFO", "td"),
        "memory": [
            raw(client, "MEMORY", "USAGE", key) for key in ("bf", "cf", "cms", "topk", "td")
        ],
    }


def test_every_type_survives_save_and_restart(ferrite_server_factory, tmp_path):
    server = ferrite_server_factory(modules=["bloom"], directory=tmp_path)
    client = server.client()
    _populate(client)
    before = _state(client)
    assert all(before["cf_items"])  # type: ignore[arg-type]
    client.save()
    client.close()
    server.stop()
    restarted = ferrite_server_factory(modules=["bloom"], directory=tmp_path, port=server.port)
    client = restarted.client()
    assert _state(client) == before
    client.close()


def test_every_type_survives_an_aof_rewrite(ferrite_server_factory, tmp_path):
    server = ferrite_server_factory("--appendonly", "yes", modules=["bloom"], directory=tmp_path)
    client = server.client()
    _populate(client)
    before = _state(client)
    client.bgrewriteaof()
    while client.info("persistence")["aof_rewrite_in_progress"]:
        time.sleep(0.05)
    client.close()
    server.stop()
    restarted = ferrite_server_factory(
        "--appendonly", "yes", modules=["bloom"], directory=tmp_path, port=server.port
    )
    client = restarted.client()
    assert _state(client) == before
    client.close()


def test_copy_and_digest(r):
    _populate(r)
    for key in ("bf", "cf", "cms", "topk", "td"):
        assert r.copy(key, f"{key}-copy")
        assert r.execute_command("DEBUG", "DIGEST-VALUE", key) == r.execute_command(
            "DEBUG", "DIGEST-VALUE", f"{key}-copy"
        )
    r.cms().incrby("cms-copy", ["x"], [1])
    assert r.cms().query("cms", "x") == [7]


def test_records_written_under_the_old_module_name_still_load(r):
    chain = ScalableBloomFilter.create(50, 0.01)
    for i in range(20):
        chain.add(f"old{i}".encode())
    record = dump.rdb_save(chain)
    assert r.execute_command(
        "FERRITE.RESTORE", "legacy", "MBbloom--", dump.ENCODING_VERSION, record, "MODULE", "bloom"
    )
    assert r.bf().card("legacy") == 20


def test_murmurhash_known_values():
    assert murmurhash2(b"", 0) == 0
    assert murmurhash2(b"hello", 0) == 0xE56129CB
    assert murmurhash2(b"hello", 1) != murmurhash2(b"hello", 0)
    # Every tail length (0-3 bytes past a block) contributes.
    assert len({murmurhash2(b"abcdefg"[:n], 0) for n in range(8)}) == 8
    assert len({murmurhash64a(b"abcdefghijklmnop"[:n], 0) for n in range(17)}) == 17
