"""CONFIG SET / GET client-output-buffer-limit, differential against redis-server: Redis's
parsing (units, classes, partial updates, C int seconds) and its error texts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from ferrite_host.core.config import build_settings
from ferrite_host.core.output_limits import DEFAULT
from ferrite_host.testing import FerriteProcess

VALUES = [
    "pubsub 1mb 512kb 60",
    "pubsub 1mb 512kb",
    "foo 1 1 1",
    "normal x 1 1",
    "normal 1 1 x",
    "normal 1 1 -1",
    "replica 1k 2K 3 master 4 5 6",
    "normal -1 1 1",
    "",
    "normal 1gb 0 0 normal 2 0 0",
    "NORMAL 1.5 0 0",
    "normal 5m 0 0",
    "Replica 10b 1B +5",
    "pubsub 1 2 3 normal",
    "normal 18446744073709551615 0 0",
    "normal 18446744073709551616 0 0",
    "normal 1 1 9223372036854775807",
    "normal 1 1 2147483647",
    "normal 1 1 2147483648",
    "normal 1 1 4294967296",
    "normal 1 1  3",
    " normal 0 0 0",
    "normal 0 0 0 ",
    "slave 1gb 1G 0",
]


@pytest.fixture(scope="module")
def clients(reference_redis: Callable[..., int]) -> Iterator[list[redis.Redis]]:
    with FerriteProcess(modules=[]) as proc:
        both = [redis.Redis(port=reference_redis()), proc.client()]
        yield both
        for client in both:
            client.config_set("client-output-buffer-limit", DEFAULT)


def _set(client: redis.Redis, value: str) -> object:
    try:
        return client.config_set("client-output-buffer-limit", value)
    except redis.ResponseError as exc:
        return str(exc)


def test_config_set_and_get_as_redis(clients: list[redis.Redis]) -> None:
    for client in clients:
        client.config_set("client-output-buffer-limit", DEFAULT)
    for value in VALUES:
        theirs, ours = (
            (_set(c, value), c.config_get("client-output-buffer-limit")) for c in clients
        )
        assert ours == theirs, value


def test_config_file_lines_each_set_their_class() -> None:
    settings = build_settings(
        overrides=[
            ("client-output-buffer-limit", ["pubsub", "1mb", "0", "0"]),
            ("client-output-buffer-limit", ["normal", "1k", "2k", "3"]),
        ]
    )
    assert settings.client_output_buffer_limit == (
        "normal 1000 2000 3 slave 268435456 67108864 60 pubsub 1048576 0 0"
    )
