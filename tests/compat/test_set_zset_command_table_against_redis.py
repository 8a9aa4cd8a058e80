"""COMMAND INFO and COMMAND DOCS of the set, sorted-set and SORT commands, compared with a
real redis-server entry for entry (arity, flags, key specs, ACL categories, tips, summary,
since, complexity, arguments)."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest
from resp_client import RawClient, unordered

from ferrite_host.testing import FerriteProcess

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)

COMMANDS = [
    "sadd",
    "srem",
    "sismember",
    "smismember",
    "scard",
    "smembers",
    "srandmember",
    "spop",
    "smove",
    "sinter",
    "sintercard",
    "sinterstore",
    "sunion",
    "sunionstore",
    "sdiff",
    "sdiffstore",
    "sscan",
    "zadd",
    "zincrby",
    "zrem",
    "zcard",
    "zcount",
    "zlexcount",
    "zscore",
    "zmscore",
    "zrank",
    "zrevrank",
    "zrange",
    "zrangestore",
    "zrevrange",
    "zrangebyscore",
    "zrevrangebyscore",
    "zrangebylex",
    "zrevrangebylex",
    "zremrangebyrank",
    "zremrangebyscore",
    "zremrangebylex",
    "zpopmin",
    "zpopmax",
    "zrandmember",
    "zunion",
    "zinter",
    "zdiff",
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "zintercard",
    "zmpop",
    "zscan",
    "sort",
    "sort_ro",
]


@pytest.fixture(scope="module")
def clients(
    reference_redis: Callable[..., int], server: FerriteProcess
) -> tuple[RawClient, RawClient]:
    return RawClient(reference_redis(), 3), RawClient(server.port, 3)


def _canonical(reply: object) -> object:
    """Sets compared as unordered, everything else as sent."""
    kind, value = reply  # type: ignore[misc]
    if isinstance(value, list):
        items = [_canonical(item) for item in value]
        return unordered((kind, items)) if kind == "~" else (kind, items)
    return reply


@pytest.mark.parametrize("name", COMMANDS)
def test_command_info_matches(clients: tuple[RawClient, RawClient], name: str) -> None:
    theirs, ours = clients
    assert _canonical(ours.call("COMMAND", "INFO", name)) == _canonical(
        theirs.call("COMMAND", "INFO", name)
    )


@pytest.mark.parametrize("name", COMMANDS)
def test_command_docs_match(clients: tuple[RawClient, RawClient], name: str) -> None:
    theirs, ours = clients
    expected = _canonical(theirs.call("COMMAND", "DOCS", name))
    got = _canonical(ours.call("COMMAND", "DOCS", name))
    assert _comparable(got) == _comparable(expected)


#: Fields Ferrite leaves out or renders differently on purpose: no per-version `history`,
#: and `display_text` on every plain argument as Redis 7.2 renders it (7.0 omits it).
_SKIPPED_FIELDS = {("$", b"history"), ("$", b"display_text")}


def _comparable(reply: object) -> object:
    kind, value = reply  # type: ignore[misc]
    if not isinstance(value, list):
        return reply
    if kind != "%":
        return (kind, [_comparable(item) for item in value])
    pairs = zip(value[::2], value[1::2], strict=True)
    kept = [
        part for key, val in pairs if key not in _SKIPPED_FIELDS for part in (key, _comparable(val))
    ]
    return (kind, kept)
