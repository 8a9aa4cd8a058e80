"""maxmemory over the wire: under every policy, writing several times the limit keeps
used_memory under it, and what goes is what the policy says (checked by property: Redis
samples keys, so which ones go is not deterministic)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess

ROOM = 300_000  # bytes of data allowed above an empty server's used_memory
VALUE = b"x" * 1000
#: DUMP of the string "v" (RESTORE creates keys with an idle time or a frequency).
PAYLOAD = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"
EVICTING = [
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
]


@pytest.fixture(scope="module")
def proc() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as server:
        yield server


@pytest.fixture
def c(proc: FerriteProcess) -> Iterator[redis.Redis]:
    client = proc.client(protocol=2)
    client.config_set("maxmemory", 0)
    client.flushall()
    client.config_resetstat()
    yield client
    client.config_set("maxmemory", 0)
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("notify-keyspace-events", "")
    client.close()


def used(c: redis.Redis) -> int:
    return int(c.info("memory")["used_memory"])


def limit_to_room(c: redis.Redis, policy: str) -> int:
    limit = used(c) + ROOM
    c.config_set("maxmemory-policy", policy)
    c.config_set("maxmemory", limit)
    return limit


def write(c: redis.Redis, prefix: str, count: int, limit: int, ttl: bool) -> list[str]:
    """SET `count` keys of 1000 bytes in batches, checking used_memory after each."""
    names = []
    for start in range(0, count, 50):
        pipe = c.pipeline(transaction=False)
        for i in range(start, min(start + 50, count)):
            name = f"{prefix}:{i}"
            names.append(name)
            pipe.set(name, VALUE, ex=random.randint(1000, 100_000) if ttl else None)
        pipe.execute()
        assert used(c) <= limit
    return names


@pytest.mark.parametrize("policy", EVICTING)
def test_used_memory_stays_under_maxmemory(c: redis.Redis, policy: str) -> None:
    volatile = policy.startswith("volatile")
    persistent = [f"keep:{i}" for i in range(20)]
    for name in persistent:
        c.set(name, b"p")
    limit = limit_to_room(c, policy)
    names = write(c, "k", 4 * ROOM // len(VALUE), limit, ttl=volatile)
    stats = c.info("stats")
    assert stats["evicted_keys"] > 0
    present = c.exists(*names)
    assert 0 < present < len(names)
    assert stats["evicted_keys"] >= len(names) - present
    if volatile:  # keys without a TTL are never candidates
        assert c.exists(*persistent) == len(persistent)
    assert c.info("memory")["maxmemory_policy"] == policy


def test_volatile_ttl_evicts_nearest_expiry_first(c: redis.Redis) -> None:
    limit = limit_to_room(c, "volatile-ttl")
    ttls: dict[str, int] = {}
    for start in range(0, 1200, 50):
        pipe = c.pipeline(transaction=False)
        for i in range(start, start + 50):
            ttls[f"t:{i}"] = random.randint(1000, 1_000_000)
            pipe.set(f"t:{i}", VALUE, ex=ttls[f"t:{i}"])
        pipe.execute()
        assert used(c) <= limit
    alive = {name for name in ttls if c.exists(name)}
    gone = set(ttls) - alive
    assert alive and gone
    mean = lambda names: sum(ttls[n] for n in names) / len(names)  # noqa: E731
    assert mean(gone) < mean(alive)
    assert max(ttls, key=ttls.__getitem__) in alive


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-lru"])
def test_lru_evicts_idle_keys_first(c: redis.Redis, policy: str) -> None:
    ttl = 1_000_000 if policy.startswith("volatile") else 0
    idle = [f"idle:{i}" for i in range(60)]
    for name in idle:
        c.restore(name, ttl, PAYLOAD, idletime=100_000)
    limit = limit_to_room(c, policy)
    fresh = write(c, "fresh", 4 * ROOM // len(VALUE), limit, ttl=bool(ttl))
    assert c.exists(*idle) == 0  # every long-idle key went before fresh ones ran out
    assert c.exists(*fresh) > 0


@pytest.mark.parametrize("policy", ["allkeys-lfu", "volatile-lfu"])
def test_lfu_keeps_frequently_used_keys(c: redis.Redis, policy: str) -> None:
    ttl = 1_000_000 if policy.startswith("volatile") else 0
    c.config_set("maxmemory-policy", policy)
    hot = [f"hot:{i}" for i in range(60)]
    for name in hot:
        c.restore(name, ttl, PAYLOAD, frequency=255)
    limit = limit_to_room(c, policy)
    write(c, "cold", 4 * ROOM // len(VALUE), limit, ttl=bool(ttl))
    assert c.exists(*hot) >= 54  # sampling may rarely see only hot keys
    assert c.object("freq", hot[0]) == 255 or not c.exists(hot[0])


def test_noeviction_refuses_writes_and_keeps_reads(c: redis.Redis) -> None:
    limit = limit_to_room(c, "noeviction")
    with pytest.raises(redis.exceptions.OutOfMemoryError) as refused:
        write(c, "k", 4 * ROOM // len(VALUE), limit, ttl=False)
    assert str(refused.value).endswith("command not allowed when used memory > 'maxmemory'.")
    assert used(c) <= limit + 2 * len(VALUE)  # the write that crossed the limit, no more
    assert c.get("k:0") == VALUE and c.info("stats")["evicted_keys"] == 0
    c.delete("k:0", "k:1", "k:2")
    c.set("again", b"fits")  # freed memory makes room again


def test_volatile_policy_without_volatile_keys_gives_oom(c: redis.Redis) -> None:
    limit = limit_to_room(c, "volatile-lru")
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        write(c, "k", 4 * ROOM // len(VALUE), limit, ttl=False)
    assert c.info("stats")["evicted_keys"] == 0


def test_lowering_maxmemory_evicts_at_once(c: redis.Redis) -> None:
    write(c, "k", 400, 2**62, ttl=False)
    c.config_set("maxmemory-policy", "allkeys-random")
    limit = used(c) - ROOM
    c.config_set("maxmemory", limit)
    assert used(c) <= limit
    assert c.dbsize() < 400


def test_evicted_keys_are_announced(c: redis.Redis) -> None:
    c.config_set("notify-keyspace-events", "Ee")
    pubsub = c.pubsub()
    pubsub.subscribe("__keyevent@0__:evicted")
    pubsub.get_message(timeout=5)
    limit = limit_to_room(c, "allkeys-lru")
    names = write(c, "k", 600, limit, ttl=False)
    evicted = c.info("stats")["evicted_keys"]
    announced = set()
    while len(announced) < evicted:
        message = pubsub.get_message(timeout=5)
        assert message is not None, f"{len(announced)} of {evicted} evictions announced"
        announced.add(message["data"].decode())
    assert announced == {name for name in names if not c.exists(name)}
    pubsub.close()


def test_info_memory_fields(c: redis.Redis) -> None:
    c.config_set("maxmemory", "100mb")
    memory = c.info("memory")
    assert memory["maxmemory"] == 100 * 1024 * 1024 and memory["maxmemory_human"] == "100.00M"
    before = memory["used_memory"]
    c.set("big", b"y" * 100_000)
    memory = c.info("memory")
    assert 100_000 <= memory["used_memory"] - before < 101_000
    assert memory["used_memory_peak"] >= memory["used_memory"]
    assert memory["used_memory_dataset"] + memory["used_memory_overhead"] == memory["used_memory"]
    assert memory["used_memory_startup"] <= memory["used_memory_overhead"]
    c.delete("big")
    assert c.info("memory")["used_memory"] == before


def test_idle_time_grows_and_reads_reset_it(c: redis.Redis) -> None:
    c.set("k", "v")
    c.set("other", "v")
    time.sleep(1.2)  # the access clock has a resolution of one second, as Redis's
    assert c.object("idletime", "k") >= 1
    c.get("k")
    assert c.object("idletime", "k") == 0
    assert c.object("idletime", "other") >= 1


def test_time_over_maxmemory_is_counted(c: redis.Redis) -> None:
    limit_to_room(c, "noeviction")
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        write(c, "k", 4 * ROOM // len(VALUE), 2**62, ttl=False)
    time.sleep(0.05)
    stats = c.info("stats")
    assert stats["current_eviction_exceeded_time"] > 0
    assert stats["total_eviction_exceeded_time"] >= stats["current_eviction_exceeded_time"]
    c.flushall()
    c.ping()  # back under the limit: the current stretch ends
    assert c.info("stats")["current_eviction_exceeded_time"] == 0
    c.config_resetstat()
    assert c.info("stats")["total_eviction_exceeded_time"] == 0
