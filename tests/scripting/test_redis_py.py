"""redis-py's Lua-based features against a real `ferrite serve`: register_script and Lock."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from redis.exceptions import LockError, LockNotOwnedError, NoScriptError

from ferrite_host.testing import FerriteProcess


def test_register_script_loads_once_and_runs_by_sha(r: redis.Redis) -> None:
    r.script_flush()
    incr_by = r.register_script(
        "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) return {v, #KEYS, ARGV[1]}"
    )
    assert incr_by(keys=["counter"], args=[5]) == [5, 1, b"5"]
    assert r.script_exists(incr_by.sha) == [True]
    assert incr_by(keys=["counter"], args=[2]) == [7, 1, b"2"]
    r.script_flush()
    assert r.script_exists(incr_by.sha) == [False]
    assert incr_by(keys=["counter"], args=[1])[0] == 8  # NOSCRIPT, then reloaded by redis-py
    with pytest.raises(NoScriptError):
        r.evalsha("0" * 40, 0)


def test_register_script_in_a_pipeline(r: redis.Redis) -> None:
    script = r.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
    pipe = r.pipeline()
    script(keys=["a"], args=["1"], client=pipe)
    pipe.get("a")
    assert pipe.execute() == [b"OK", b"1"]  # EVALSHA has no reply callback: raw status


def test_lock_acquire_release_extend_reacquire(r: redis.Redis) -> None:
    lock = r.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert lock.owned()
    assert lock.locked()
    assert 0 < r.pttl("resource") <= 10_000
    assert lock.extend(20)
    assert 10_000 < r.pttl("resource") <= 30_000
    assert lock.extend(5, replace_ttl=True)
    assert r.pttl("resource") <= 5_000
    assert lock.reacquire()
    assert 5_000 < r.pttl("resource") <= 10_000
    lock.release()
    assert not lock.locked()
    with pytest.raises(LockError):
        lock.release()


def test_lock_owned_by_someone_else(server: FerriteProcess, r: redis.Redis) -> None:
    other = server.client(protocol=2)
    mine = r.lock("shared", timeout=10)
    theirs = other.lock("shared", timeout=10)
    assert theirs.acquire(blocking=False)
    assert not mine.acquire(blocking=False)
    r.delete("shared")  # their lock expired, say; now it is mine
    assert mine.acquire(blocking=False)
    with pytest.raises(LockNotOwnedError):
        theirs.extend(5)  # the scripts see another token
    with pytest.raises(LockNotOwnedError):
        theirs.reacquire()
    with pytest.raises(LockNotOwnedError):
        theirs.release()
    assert mine.owned()
    mine.release()
    other.close()


def test_blocking_acquire_waits_for_the_holder(server: FerriteProcess, r: redis.Redis) -> None:
    holder = r.lock("queue", timeout=10)
    assert holder.acquire()
    waiter_client = server.client(protocol=2)
    waiter = waiter_client.lock("queue", timeout=10, sleep=0.01, thread_local=False)
    assert not waiter.acquire(blocking=True, blocking_timeout=0.2)
    got: list[bool] = []
    thread = threading.Thread(target=lambda: got.append(waiter.acquire(blocking_timeout=10)))
    thread.start()
    time.sleep(0.05)
    holder.release()
    thread.join(10)
    assert got == [True]
    assert waiter.owned()
    waiter.release()
    waiter_client.close()


def test_lock_as_context_manager_resp3(r3: redis.Redis) -> None:
    with r3.lock("ctx", timeout=5) as lock:
        assert lock.owned()
        assert r3.get("ctx") is not None
    assert r3.get("ctx") is None
