"""One ferrite-bloom server per test module; a fresh, flushed client per test and protocol."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def bloom_server() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=["bloom"]) as server:
        yield server


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(request: pytest.FixtureRequest, bloom_server: FerriteProcess) -> Iterator[redis.Redis]:
    """redis-py in RESP2 and RESP3 against the shared server, on an empty keyspace."""
    connection = bloom_server.client(protocol=request.param)
    connection.flushall()
    yield connection
    connection.close()
