"""Helpers for reading replies exactly as the server sent them."""

from __future__ import annotations

import pytest
import redis

from ferrite_host.testing import raw_command

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


raw = raw_command


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


def resp3(client: redis.Redis) -> bool:
    return bool(client.get_connection_kwargs().get("protocol") == 3)


def as_dict(reply: object) -> dict[str, object]:
    """An INFO reply (RESP3 map or RESP2 flat array) as a dict with str keys."""
    if isinstance(reply, dict):
        pairs = list(reply.items())
    else:
        assert isinstance(reply, list)
        pairs = list(zip(reply[::2], reply[1::2], strict=True))
    return {key.decode() if isinstance(key, bytes) else key: value for key, value in pairs}


def double(client: redis.Redis, text: str) -> object:
    """How a double reply reads raw: a bulk string in RESP2, a float in RESP3."""
    return float(text) if resp3(client) else text.encode()
