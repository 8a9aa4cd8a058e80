"""Differential test from Redis's own tracking.tcl: a key that expires lazily while the
NOLOOP client that set it is running is still invalidated (the expiry is the server's
change, not the client's). Byte-level transcripts compared
with a real redis-server's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from raw_script import Script, run_script

from ferrite_host.testing import FerriteProcess

SCRIPTS: dict[str, Script] = {
    "default-noloop": [
        ("w", "FLUSHALL"),
        ("a", "!HELLO 3"),
        ("a", "CLIENT TRACKING ON NOLOOP"),
        ("w", "SET mykey myval PX 100"),
        ("a", "GET mykey"),
        ("a", "DEBUG SLEEP 0.2;GET mykey"),
        ("a", "PING"),
    ],
}


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis("--enable-debug-command", "yes")


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_lazy_expiry_invalidates_noloop_clients(
    redis_port: int, server: FerriteProcess, name: str
) -> None:
    expected = run_script(redis_port, SCRIPTS[name])
    got = run_script(server.port, SCRIPTS[name])
    for want, have in zip(expected, got, strict=True):
        assert have == want
