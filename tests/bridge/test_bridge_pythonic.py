"""A Pythonic-API module (`ferrite new`'s template) on both hosts: the same replies.

The template's data type is named "abtally" (7 characters); Redis needs 9, so on Redis it
is registered, and shown by TYPE, as "abtally__" (see ferrite_host.bridge.naming).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ferrite_host.bridge import redis_type_name
from ferrite_host.testing import FerriteProcess
from ferrite_host.testing.bridge_process import RedisBridgeProcess

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def template_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ferrite new ab`, pip-installed into a private directory (not the environment)."""
    work = tmp_path_factory.mktemp("template")
    ferrite = Path(sys.executable).with_name("ferrite")
    subprocess.run([str(ferrite), "new", "ab"], cwd=work, check=True, capture_output=True)
    site = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(work / "ab"),
        ],
        check=True,
        capture_output=True,
    )
    return site


@pytest.fixture(scope="module")
def hosts(bridge_so: Path, template_site: Path) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    ferrite = FerriteProcess(modules=["ab"], env={"PYTHONPATH": str(template_site)})
    bridge = RedisBridgeProcess(modules=["ab"], bridge=bridge_so, paths=[template_site])
    with ferrite, bridge:
        yield ferrite.client(protocol=2), bridge.client(protocol=2)


def reply(client: redis.Redis, *args: object) -> object:
    try:
        return client.execute_command(*args)
    except redis.ResponseError as exc:
        return ("error", str(exc))


SCENARIO: list[tuple[object, ...]] = [
    ("ab.tally", "visits"),
    ("ab.tally", "visits", 41),
    ("ab.tally", "visits", -2),
    ("ab.tally", "visits", "lots"),
    ("ab.tally", "visits", 1, 2),
    ("ab.tally",),
    ("ab.tally", "visits", 5000),
    ("SET", "s", "text"),
    ("ab.tally", "s", 1),
    ("GET", "visits"),
    ("DEL", "visits"),
    ("ab.tally", "visits", 3),
]


def test_the_same_replies_on_both_hosts(hosts: tuple[redis.Redis, redis.Redis]) -> None:
    ferrite, bridge = hosts
    for client in hosts:
        client.flushall()
    for command in SCENARIO:
        assert reply(bridge, *command) == reply(ferrite, *command), command


def test_a_short_type_name_is_padded_to_nine_on_redis(
    hosts: tuple[redis.Redis, redis.Redis],
) -> None:
    ferrite, bridge = hosts
    for client in hosts:
        client.execute_command("ab.tally", "t", 1)
    assert ferrite.type("t") == b"abtally"
    assert bridge.type("t") == b"abtally__" == redis_type_name("abtally").encode()


def test_the_padding_rule() -> None:
    assert redis_type_name("mytype") == "mytype___"
    assert redis_type_name("a") == "a________"
    assert redis_type_name("hellotype") == "hellotype"


def test_pythonic_values_persist_on_redis(
    hosts: tuple[redis.Redis, redis.Redis],
) -> None:
    _, bridge = hosts
    bridge.flushall()
    bridge.execute_command("ab.tally", "kept", 7)
    assert bridge.execute_command("DEBUG", "RELOAD") == b"OK"
    assert bridge.execute_command("ab.tally", "kept", 0) == 7
