"""COMMAND INFO of every command both servers have, compared field by field against a real
redis-server: arity, flags, key positions, ACL categories, tips and key specs, for each
command and subcommand (subcommands compared by name: Redis lists them in hash order)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


def _raw(client: redis.Redis, *args: str) -> Any:
    """The reply without redis-py's COMMAND parsing (which drops tips and key specs)."""
    connection = client.connection_pool.get_connection()
    try:
        connection.send_command(*args)
        return connection.read_response()
    finally:
        client.connection_pool.release(connection)


def _rows(entry: list[Any]) -> dict[str, dict[str, Any]]:
    name, arity, flags, first, last, step, categories, tips, key_specs, subcommands = entry
    rows = {
        name.decode(): {
            "arity": arity,
            "flags": sorted(flags),
            "keys": (first, last, step),
            "acl": sorted(categories),
            "tips": sorted(tips),
            "key_specs": key_specs,
        }
    }
    for sub in subcommands:
        rows.update(_rows(sub))
    return rows


@pytest.fixture(scope="module")
def pair(
    reference_redis: Callable[..., int], server: FerriteProcess
) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    theirs = redis.Redis(port=reference_redis(), protocol=3, socket_timeout=10)
    ours = server.client(protocol=3)
    yield theirs, ours
    theirs.close()
    ours.close()


def _names(client: redis.Redis) -> set[str]:
    return {name.decode() for name in _raw(client, "COMMAND", "LIST")}


def test_command_info_matches_redis(pair: tuple[redis.Redis, redis.Redis]) -> None:
    theirs, ours = pair
    common = sorted(_names(theirs) & _names(ours))
    assert len(common) > 250
    mismatches = []
    for name in common:
        expected = _rows(_raw(theirs, "COMMAND", "INFO", name)[0])
        got = _rows(_raw(ours, "COMMAND", "INFO", name)[0])
        for row in sorted(expected.keys() & got.keys()):
            for field, value in expected[row].items():
                if got[row][field] != value:
                    mismatches.append(
                        f"{row} {field}: redis {value!r}, ferrite {got[row][field]!r}"
                    )
    assert not mismatches, "\n".join(mismatches)
