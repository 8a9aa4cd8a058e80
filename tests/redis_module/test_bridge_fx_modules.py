"""The fixture modules on redis-server through the bridge, diffed against `ferrite serve`.

Every reply of the Redis-shaped API's commands (replies of each kind in RESP2 and RESP3,
keys, DMA, expiry, ctx.call, data types) must be the same on both hosts. Where the hosts
differ by design (Redis streams replies), the Redis behaviour is asserted on its own.
Broken fixture modules must fail to load with their reason in Redis's log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis_module_helpers import BROKEN

from ferrite_host.testing import FerriteProcess
from ferrite_host.testing.bridge_process import BridgeUnavailable, RedisBridgeProcess, ensure_bridge

pytestmark = pytest.mark.timeout(180)

KINDS = [
    "simple",
    "error",
    "errorraw",
    "longlong",
    "string",
    "buffer",
    "cstring",
    "null",
    "nullarray",
    "emptyarray",
    "array",
    "postponed",
    "map",
    "postponedmap",
    "set",
    "double",
    "doubleint",
    "bool",
    "bignum",
    "verbatim",
    "nosuchkind",
]

SCENARIO: list[tuple[object, ...]] = [
    *(("fx.replies", kind) for kind in KINDS),
    ("SET", "s", "hello"),
    ("fx.upper", "s"),
    ("GET", "s"),
    ("fx.truncate", "s", 2),
    ("GET", "s"),
    ("fx.truncate", "s", 4),
    ("GET", "s"),
    ("fx.len", "s"),
    ("fx.keytype", "s"),
    ("fx.keytype", "missing"),
    ("fx.ttl", "s"),
    ("fx.expire", "s", 100000),
    ("fx.expire", "missing", 1000),
    ("fx.expire", "s", -5),
    ("fx.readonly_write", "s"),
    ("fx.del", "s"),
    ("fx.del", "s"),
    ("EXISTS", "s"),
    ("fx.call", "SET", "k", "v"),
    ("fx.call", "GET", "k"),
    ("fx.call", "INCR", "k"),
    ("fx.call", "NOSUCHCOMMAND"),
    ("fx.call", "MGET", "k", "missing"),
    ("fx.arity", "a"),
    ("fx.arity", "a", "b"),
    ("fx.numbers", "42"),
    ("fx.numbers", "2.5"),
    ("fx.numbers", "x"),
    ("fx.select", 5),
    ("fx.select", 9999),
    ("MYMOD.SET", "m", "v"),
    ("MYMOD.GET", "m"),
    ("MYMOD.TSET", "t", "val"),
    ("fxc.incr", "c", "a"),
    ("fxc.incr", "c", "a", 5),
    ("fxc.incr", "c", "b", "x"),
    ("fxc.get", "c", "a"),
    ("fxc.get", "nope", "a"),
    ("fxc.get", "m", "a"),
    ("fxc.incr", "t", "a"),
    ("fxc.expire", "c", 100000),
    ("fxc.del", "c"),
    ("fxc.get", "c", "a"),
    ("fx.args",),
    ("fx.nested", 0),
    ("fx.nested", 1),
    ("fx.nested", 3),
]


@pytest.fixture(scope="module")
def bridge_fx(
    fx_site: Path, fx_server: FerriteProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisBridgeProcess]:
    try:
        so = ensure_bridge(tmp_path_factory.mktemp("bridge-build"))
    except BridgeUnavailable as exc:
        pytest.skip(str(exc))
    modules: list[str | tuple[str, ...]] = [("fx_good", "alpha", "beta"), "fx_custom_type"]
    with RedisBridgeProcess(modules=modules, bridge=so, paths=[fx_site]) as server:
        yield server


def reply(client: redis.Redis, *args: object) -> object:
    try:
        return client.execute_command(*args)
    except redis.ResponseError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("protocol", [2, 3])
def test_the_same_replies_as_ferrite(
    fx_server: FerriteProcess, bridge_fx: RedisBridgeProcess, protocol: int
) -> None:
    ferrite = fx_server.client(protocol=protocol)
    bridge = bridge_fx.client(protocol=protocol)
    for client in (ferrite, bridge):
        client.flushall()
    for command in SCENARIO:
        assert reply(bridge, *command) == reply(ferrite, *command), command
    ferrite.close()
    bridge.close()


def test_a_short_type_name_gets_nine_characters(bridge_fx: RedisBridgeProcess) -> None:
    client = bridge_fx.client()
    client.execute_command("MYMOD.TSET", "t", "v")
    assert client.type("t") == b"mytype___"
    client.close()


def test_redis_streams_replies(bridge_fx: RedisBridgeProcess) -> None:
    """A reply sent before an exception stays sent; a second reply is dropped; no reply
    at all answers Ferrite's error. The connection stays in step either way."""
    client = bridge_fx.client()
    assert client.execute_command("fx.raise") == b"this partial reply must be dropped"
    assert client.execute_command("fx.twice") == 1
    assert reply(client, "fx.noreply") == (
        "error",
        "module command 'fx.noreply' returned without replying",
    )
    assert client.ping()
    assert "command 'fx.raise' raised" in bridge_fx.log()
    client.close()


def test_a_ctx_kept_past_its_call_is_finished(bridge_fx: RedisBridgeProcess) -> None:
    """The bridge reuses a command's ctx object call after call, except one module code
    kept: that one stays finished (using it raises) and the next call gets a new one."""
    client = bridge_fx.client()
    assert client.execute_command("fx.keep") == 0
    for _ in range(3):
        assert reply(client, "fx.kept") == (
            "error",
            "ferrite bridge: context or key is no longer valid",
        )
    client.select(2)
    assert client.execute_command("fx.keep") == 2
    assert client.execute_command("fx.keep") == 2
    assert reply(client, "fx.kept")[0] == "error"
    client.close()


@pytest.mark.parametrize("entry_point", BROKEN)
def test_a_broken_module_fails_its_load_and_redis_keeps_serving(
    bridge_fx: RedisBridgeProcess, fx_site: Path, entry_point: str
) -> None:
    client = bridge_fx.client()
    with pytest.raises(redis.ResponseError, match="Error loading the extension"):
        client.execute_command(
            "MODULE", "LOAD", str(bridge_fx.bridge), f"path={fx_site}", entry_point
        )
    assert f"module '{entry_point}' failed to load" in bridge_fx.log()
    assert client.execute_command("fx.replies", "longlong") == -42
    names = [entry[b"name"] for entry in client.module_list()]
    assert sorted(names) == [b"fx_custom_type", b"fx_good"]
    client.close()
