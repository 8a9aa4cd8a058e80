"""COMMAND INFO and COMMAND DOCS of the pub/sub commands, compared with a real redis-server
in both protocols (arity, flags, key specs, ACL categories, summaries, arguments)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from ferrite_host.testing import FerriteProcess

NAMES = [
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    "publish",
    "spublish",
    "pubsub",
]


def _raw(port: int, protocol: int, *words: str) -> Any:
    client = redis.Redis(port=port, protocol=protocol)
    try:
        connection = client.connection_pool.get_connection()
        try:
            connection.send_command(*words)
            return connection.read_response()
        finally:
            client.connection_pool.release(connection)
    finally:
        client.close()


def _sorted_subcommands(info: Any) -> Any:
    """Subcommands come in hash order in Redis: compare them sorted by name."""
    for entry in info:
        entry[9] = sorted(entry[9], key=lambda sub: sub[0])
    return info


@pytest.mark.parametrize("protocol", [2, 3])
def test_command_info_matches_redis(
    reference_redis: Callable[..., int], server: FerriteProcess, protocol: int
) -> None:
    port = reference_redis()
    expected = _sorted_subcommands(_raw(port, protocol, "COMMAND", "INFO", *NAMES))
    assert _sorted_subcommands(_raw(server.port, protocol, "COMMAND", "INFO", *NAMES)) == expected


@pytest.mark.parametrize("protocol", [2, 3])
def test_command_docs_match_redis(
    reference_redis: Callable[..., int], server: FerriteProcess, protocol: int
) -> None:
    port = reference_redis()
    for name in NAMES:
        expected = _normalized(_raw(port, protocol, "COMMAND", "DOCS", name))
        assert _normalized(_raw(server.port, protocol, "COMMAND", "DOCS", name)) == expected, name


def _normalized(reply: Any) -> Any:
    """Maps (RESP3 dicts, RESP2 flat arrays) as sorted pairs, since subcommands come in hash
    order; `display_text` left out: Ferrite renders 7.2's argument fields, which 7.0 lacks."""
    if isinstance(reply, dict):
        reply = [item for pair in reply.items() for item in pair]
    if isinstance(reply, list) and len(reply) % 2 == 0 and reply:
        keys = reply[::2]
        if all(isinstance(k, bytes) for k in keys):
            pairs = zip(keys, reply[1::2], strict=True)
            return sorted((k, _normalized(v)) for k, v in pairs if k != b"display_text")
    if isinstance(reply, list):
        return [_normalized(item) for item in reply]
    return reply
