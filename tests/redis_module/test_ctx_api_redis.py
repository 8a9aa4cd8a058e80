"""The context API against redis-server 7.0.15: part of the fx_api fixture as a C module
(c_modules/fxapi.c) and the Python fixture answer the same for getkeys-api commands,
subcommands (COMMAND INFO included), RM_ScanKey and command filters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis_module_helpers import build_c_module, fx_env, raw_replies

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def servers(
    reference_redis: Callable[..., int], tmp_path_factory: pytest.TempPathFactory, fx_site: Path
) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    target = build_c_module("fxapi", tmp_path_factory.mktemp("cmod"))
    real = raw_replies(redis.Redis(port=reference_redis("--loadmodule", str(target)), protocol=2))
    with FerriteProcess(modules=["fx_api"], env=fx_env(fx_site)) as proc:
        ours = raw_replies(proc.client(protocol=2))
        yield real, ours
        ours.close()
    real.close()


def _subcommands_sorted(info: object) -> object:
    """COMMAND INFO with each entry's subcommands sorted: Redis lists them in its dict's
    order, which changes with every server start (its hash seed is random)."""
    if not isinstance(info, list):
        return info
    return [
        [*entry[:9], sorted(entry[9]), *entry[10:]] if isinstance(entry, list) else entry
        for entry in info
    ]


def replies(client: redis.Redis, *commands: tuple[object, ...]) -> list[object]:
    found: list[object] = []
    for command in commands:
        try:
            reply = client.execute_command(*command)
            found.append(
                _subcommands_sorted(reply) if command[:2] == ("COMMAND", "INFO") else reply
            )
        except redis.ResponseError as exc:
            found.append((type(exc).__name__, str(exc)))
    return found


def same(servers: tuple[redis.Redis, redis.Redis], *commands: tuple[object, ...]) -> None:
    real, ours = servers
    for client in servers:
        client.flushall()
    for command, theirs, mine in zip(
        commands, replies(real, *commands), replies(ours, *commands), strict=True
    ):
        assert mine == theirs, command


def test_getkeys_api(servers: tuple[redis.Redis, redis.Redis]) -> None:
    same(
        servers,
        ("COMMAND", "GETKEYS", "fxa.movkeys", "2", "k1", "k2", "extra"),
        ("COMMAND", "GETKEYSANDFLAGS", "fxa.movkeys", "3", "a", "b", "c"),
        ("COMMAND", "GETKEYS", "fxa.movkeys", "0", "x"),
        ("SET", "k2", "v"),
        ("fxa.movkeys", "2", "k1", "k2", "extra"),
        ("COMMAND", "INFO", "fxa.movkeys"),
    )


def test_subcommands(servers: tuple[redis.Redis, redis.Redis]) -> None:
    same(
        servers,
        ("fxa.cont", "set", "k", "v"),
        ("FXA.CONT", "GET", "k"),
        ("fxa.cont", "nope"),
        ("fxa.cont",),
        ("fxa.cont", "get"),
        ("COMMAND", "GETKEYS", "fxa.cont", "set", "kk", "v"),
        ("COMMAND", "INFO", "fxa.cont"),
        ("COMMAND", "INFO", "fxa.scankey"),
    )


def test_scan_key(servers: tuple[redis.Redis, redis.Redis]) -> None:
    for client in servers:
        client.flushall()
        client.hset("h", mapping={"f1": "v1", "f2": "v2", "n": "12"})
        client.sadd("s", "a", "b", "7")
        client.zadd("z", {"one": 1, "half": 0.5, "big": 1e20, "tenth": 0.1, "neg": -2.5})
        client.zadd("zbig", {f"m{n}": n / 3 for n in range(200)})
        client.set("str", "x")

    def pairs(client: redis.Redis, key: str) -> object:
        try:
            flat = client.execute_command("fxa.scankey", key)
        except redis.ResponseError as exc:
            return type(exc).__name__
        if flat is None:
            return None
        return sorted(zip(flat[::2], flat[1::2], strict=True), key=repr)

    real, ours = servers
    for key in ("h", "s", "z", "zbig", "missing"):
        assert pairs(ours, key) == pairs(real, key), key


def test_command_filter(servers: tuple[redis.Redis, redis.Redis]) -> None:
    script = "return redis.call('fxa.echoargs', 'y', '@drop')"
    same(
        servers,
        ("fxa.echoargs", "a", "@drop", "@swap", "b"),
        ("fxa.echoargs",),
        ("fxa.selfcall", "fxa.echoargs", "x", "@swap"),
        ("EVAL", script, "0"),
    )
    for client in servers:
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("fxa.echoargs", "@swap")
        assert pipe.execute() == [[b"@inserted", b"swapped"]]
