"""Typed RDB IO against real Redis: the fx_typed type as a C module (c_modules/fxtyped.c)
loaded into redis-server 7.0 reads what Ferrite's Python module writes, and the other way
round, for DUMP/RESTORE and for whole snapshots with their module aux data."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis_module_helpers import build_c_module, fx_env, raw_replies

from ferrite_host.testing import FerriteProcess

RECORD = ["18446744073709551615", "-9223372036854775808", "1.5", "0.25", "0.1", "a", "bb", "c"]


def numbers(reply: list[bytes]) -> tuple[object, ...]:
    """u, s as integers, d, f, ld as floats, then the items: comparable across servers."""
    u, s, d, f, ld, *items = reply
    return (int(u), int(s), float(d), float(f), float(ld), *items)


EXPECTED = numbers([arg.encode() for arg in RECORD])


@pytest.fixture(scope="module")
def c_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_c_module("fxtyped", tmp_path_factory.mktemp("cmod"))


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redis-data")


@pytest.fixture(scope="module")
def real(
    reference_redis: Callable[..., int], c_module: Path, real_dir: Path
) -> Iterator[redis.Redis]:
    port = reference_redis("--loadmodule", str(c_module), "--dir", str(real_dir))
    client = redis.Redis(host="127.0.0.1", port=port, protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="module")
def ferrite(fx_site: Path) -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=["fx_typed"], env=fx_env(fx_site)) as proc:
        yield proc


@pytest.fixture
def fer(ferrite: FerriteProcess) -> Iterator[redis.Redis]:
    client = raw_replies(ferrite.client(protocol=2))
    client.flushall()
    yield client
    client.close()


def test_ferrite_dump_restores_in_redis(fer: redis.Redis, real: redis.Redis) -> None:
    fer.execute_command("FXT.SET", "k", *RECORD)
    payload = fer.execute_command("DUMP", "k")
    real.execute_command("RESTORE", "from-ferrite", "0", payload, "REPLACE")
    assert numbers(real.execute_command("FXT.GET", "from-ferrite")) == EXPECTED


def test_redis_dump_restores_in_ferrite(fer: redis.Redis, real: redis.Redis) -> None:
    real.execute_command("FXT.SET", "k", *RECORD)
    payload = real.execute_command("DUMP", "k")
    assert fer.execute_command("RESTORE", "from-redis", "0", payload) == b"OK"
    assert numbers(fer.execute_command("FXT.GET", "from-redis")) == EXPECTED
    assert fer.execute_command("TYPE", "from-redis") == b"fxtypedio"


def test_redis_snapshot_with_aux_data_loads_in_ferrite(
    real: redis.Redis, real_dir: Path, fx_site: Path, tmp_path: Path
) -> None:
    real.flushall()
    real.execute_command("FXT.SET", "k", *RECORD)
    real.execute_command("FXT.GLOBAL", "SET", "from-redis", "-7")
    real.save()
    shutil.copy(real_dir / "dump.rdb", tmp_path / "dump.rdb")
    with FerriteProcess(modules=["fx_typed"], directory=tmp_path, env=fx_env(fx_site)) as proc:
        client = raw_replies(proc.client(protocol=2))
        assert numbers(client.execute_command("FXT.GET", "k")) == EXPECTED
        assert client.execute_command("FXT.GLOBAL", "GET") == [b"from-redis", -7]
        client.close()


def test_ferrite_snapshot_with_aux_data_loads_in_redis(
    reference_redis: Callable[..., int], c_module: Path, fx_site: Path, tmp_path: Path
) -> None:
    with FerriteProcess(modules=["fx_typed"], directory=tmp_path, env=fx_env(fx_site)) as proc:
        client = raw_replies(proc.client(protocol=2))
        client.execute_command("FXT.SET", "k", *RECORD)
        client.execute_command("FXT.GLOBAL", "SET", "from-ferrite", "42")
        assert client.execute_command("SAVE") is True
        client.close()
    port = reference_redis("--loadmodule", str(c_module), "--dir", str(tmp_path))
    other = redis.Redis(host="127.0.0.1", port=port, protocol=2)
    try:
        assert numbers(other.execute_command("FXT.GET", "k")) == EXPECTED
        assert other.execute_command("FXT.GLOBAL", "GET") == [b"from-ferrite", 42]
    finally:
        other.close()
