"""ctx.call's refusals against RM_Call's in redis-server 7.0.15: the fx_calls fixture's
FXC.CALL and its C counterpart (c_modules/fxcall.c) give the same error replies with the E
flag, and the same ACL LOG entries for the C flag."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis_module_helpers import build_c_module, fx_env

from ferrite_host.testing import FerriteProcess

CASES = [
    ("E", "nosuchcommand", "a"),
    ("E", "SET", "x"),
    ("SE", "MULTI"),
    ("SWE", "SET", "x", "1"),
    ("WE", "SET", "x", "1"),
    ("WE", "GET", "x"),
    ("E", "PING"),
]
USERS = {
    "carol": ["~*", "+fxc.call", "+acl"],
    "dan": ["~a*", "+@all"],
    "erin": ["~*", "resetchannels", "&allowed", "+@all"],
}
ACL_CASES = [
    ("carol", ("CE", "SET", "x", "1")),
    ("dan", ("CE", "SET", "x", "1")),
    ("dan", ("CE", "SET", "abc", "1")),
    ("erin", ("CE", "PUBLISH", "nope", "hi")),
    ("erin", ("CE", "PUBLISH", "allowed", "hi")),
]


@pytest.fixture(scope="module")
def redis_calls(
    reference_redis: Callable[..., int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[redis.Redis]:
    target = build_c_module("fxcall", tmp_path_factory.mktemp("cmod"))
    client = redis.Redis(port=reference_redis("--loadmodule", str(target)), protocol=2)
    yield client
    client.close()


@pytest.fixture(scope="module")
def ferrite_calls(fx_site: Path) -> Iterator[redis.Redis]:
    with FerriteProcess(modules=["fx_calls"], env=fx_env(fx_site)) as proc:
        client = proc.client(protocol=2)
        yield client
        client.close()


def reply(client: redis.Redis, *args: str) -> object:
    try:
        return client.execute_command("fxc.call", *args)
    except redis.ResponseError as exc:
        return type(exc).__name__, str(exc)


def test_e_flag_refusals_match(redis_calls: redis.Redis, ferrite_calls: redis.Redis) -> None:
    for case in CASES:
        assert reply(ferrite_calls, *case) == reply(redis_calls, *case), case


def test_m_flag_refusal_matches(redis_calls: redis.Redis, ferrite_calls: redis.Redis) -> None:
    for client in (redis_calls, ferrite_calls):
        client.config_set("maxmemory", "1")
    try:
        for case in (("ME", "SET", "x", "1"), ("WME", "SET", "x", "1"), ("ME", "GET", "x")):
            assert reply(ferrite_calls, *case) == reply(redis_calls, *case), case
    finally:
        for client in (redis_calls, ferrite_calls):
            client.config_set("maxmemory", "0")


def test_c_flag_refusals_and_acl_log_match(
    redis_calls: redis.Redis, ferrite_calls: redis.Redis
) -> None:
    logs = []
    for server in (redis_calls, ferrite_calls):
        server.execute_command("ACL", "LOG", "RESET")
        for name, rules in USERS.items():
            server.execute_command("ACL", "SETUSER", name, "reset", "on", ">pw", *rules)
        port = server.connection_pool.connection_kwargs["port"]
        replies = []
        for name, case in ACL_CASES:
            client = redis.Redis(port=port, username=name, password="pw", protocol=2)
            replies.append(reply(client, *case))
            client.close()
        entries = [
            dict(zip(e[::2], e[1::2], strict=True)) for e in server.execute_command("ACL", "LOG")
        ]
        logs.append(
            (
                replies,
                [
                    {k: e[k] for k in (b"reason", b"context", b"object", b"username")}
                    for e in entries
                    if e[b"context"] == b"module"  # not what the client library's hello met
                ],
            )
        )
        for name in USERS:
            server.execute_command("ACL", "DELUSER", name)
    assert logs[1] == logs[0]
