"""CLIENT KILL takes effect before the killer's next command, differential against
redis-server: the killed clients are gone from CLIENT LIST at once (Redis frees them before
it answers). Skipped without redis-server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    with FerriteProcess(modules=[]) as ours:
        yield reference_redis(), ours.port


def _names(client: redis.Redis) -> list[str]:
    return sorted(str(entry["name"]) for entry in client.client_list())


def _call(client: redis.Redis, *argv: str) -> Any:
    try:
        return client.execute_command(*argv)
    except redis.ResponseError as exc:
        return f"error: {exc}"


def _scenario(port: int) -> list[Any]:
    killer = redis.Redis(port=port, decode_responses=True, single_connection_client=True)
    killer.client_setname("killer")
    killer.acl_setuser("victim", enabled=True, nopass=True, commands=["+@all"], keys=["*"])
    victims = []
    for index, user in enumerate(["victim", "victim", "default"]):
        victim = redis.Redis(port=port, username=user, single_connection_client=True)
        victim.client_setname(f"v{index}")
        victims.append(victim)
    seen: list[Any] = [_names(killer)]
    seen.append(killer.execute_command("CLIENT", "KILL", "USER", "victim"))
    seen.append(_names(killer))
    last = int(victims[2].client_id())
    seen.append(killer.execute_command("CLIENT", "KILL", "ID", str(last), "SKIPME", "yes"))
    seen.append(_names(killer))
    seen.append(_call(killer, "CLIENT", "KILL", "USER", "nobody"))
    seen.append(_call(killer, "CLIENT", "KILL", "ID", "999999"))
    seen.append(_call(killer, "CLIENT", "KILL", "127.0.0.1:1"))
    for bad in (["ID", "0"], ["ID", "-1"], ["TYPE", "foo"], ["MAXAGE", "1"], ["SKIPME", "x"]):
        seen.append(_call(killer, "CLIENT", "KILL", *bad))
    seen.append(_call(killer, "CLIENT", "KILL", "TYPE", "master"))
    seen.append(killer.execute_command("CLIENT", "HELP"))
    for victim in victims:
        victim.close()
    killer.acl_deluser("victim")
    killer.close()
    return seen


def test_killed_clients_leave_client_list_at_once(ports: tuple[int, int]) -> None:
    theirs, ours = (_scenario(port) for port in ports)
    assert ours == theirs
    assert theirs[2] == ["killer", "v2"]  # the scenario does kill (and is not vacuous)
