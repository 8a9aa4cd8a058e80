"""Differential test of CLIENT TRACKING at the byte level against a real redis-server:
default mode, BCAST with prefixes, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP, REDIRECT to a
RESP3 client and to a subscribed RESP2 client, a broken redirect, flushes, and every error
of CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO. Skipped without redis-server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from raw_script import Script, run_script

from ferrite_host.testing import FerriteProcess

SCRIPTS: dict[str, Script] = {
    "default-mode-resp3": [
        ("w", "FLUSHALL"),
        ("a", "!HELLO 3"),
        ("a", "CLIENT TRACKING ON"),
        ("a", "GET k"),
        ("a", "SET k 1"),
        ("a", "GET k"),
        ("w", "SET k 2"),
        ("w", "SET k 3"),
        ("a", "MGET k x y"),
        ("a", "MULTI;GET x;SET x 1;EXEC"),
        ("a", "STRLEN y;EXISTS z"),
        ("w", "MSET y 1 z 2"),
        ("a", "GET e"),
        ("w", "SET e 1 PXAT 1"),
        ("a", "GET e"),
        ("w", "FLUSHALL"),
        ("w", "FLUSHDB"),
        ("a", "CLIENT TRACKING ON NOLOOP"),
        ("a", "CLIENT TRACKINGINFO"),
        ("a", "GET k"),
        ("a", "SET k 1"),
        ("w", "SET k 3"),
        ("a", "GET k;GET k2"),
        ("w", "DEL k k2"),
        ("a", "CLIENT TRACKING OFF"),
        ("w", "SET k 4"),
        ("a", "CLIENT TRACKINGINFO"),
    ],
    "bcast": [
        ("w", "FLUSHALL"),
        ("a", "!HELLO 3"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX a PREFIX c"),
        ("w", "MSET a1 1 a2 2 b1 1 c 1"),
        ("w", "SET a2 x;SET a1 y;SET b2 z"),
        ("a", "SET a3 x"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX d NOLOOP"),
        ("a", "SET a4 x;SET d1 y"),
        ("w", "SET d1 z"),
        ("a", "CLIENT TRACKINGINFO"),
        ("a", "CLIENT TRACKING OFF"),
        ("a", "CLIENT TRACKING ON BCAST"),
        ("a", "CLIENT TRACKINGINFO"),
        ("w", "SET zz 1"),
        ("w", "RENAME zz yy"),
        ("w", "FLUSHDB"),
        ("w", "SET q 1;SWAPDB 0 1"),
        ("a", "CLIENT TRACKING OFF"),
        ("w", "SET zz 2"),
    ],
    "optin-optout": [
        ("w", "FLUSHALL"),
        ("a", "!HELLO 3"),
        ("a", "CLIENT TRACKING ON OPTIN"),
        ("a", "GET o1"),
        ("a", "CLIENT CACHING YES"),
        ("a", "GET o2"),
        ("w", "MSET o1 1 o2 2"),
        ("a", "CLIENT CACHING YES"),
        ("a", "CLIENT ID"),
        ("a", "GET o3"),
        ("a", "CLIENT CACHING YES;MULTI;GET o4;GET o5;EXEC;GET o6"),
        ("w", "MSET o3 1 o4 1 o5 1 o6 1"),
        ("a", "CLIENT TRACKINGINFO"),
        ("a", "CLIENT CACHING YES"),
        ("a", "CLIENT TRACKINGINFO"),
        ("a", "CLIENT TRACKINGINFO"),
        ("a", "CLIENT TRACKING OFF"),
        ("a", "CLIENT TRACKING ON OPTOUT"),
        ("a", "CLIENT CACHING NO"),
        ("a", "GET p1"),
        ("a", "GET p2"),
        ("w", "MSET p1 1 p2 2"),
        ("a", "CLIENT CACHING NO"),
        ("a", "CLIENT TRACKINGINFO"),
    ],
    "redirect": [
        ("w", "FLUSHALL"),
        ("r", "SUBSCRIBE __redis__:invalidate"),
        ("a", "CLIENT TRACKING ON REDIRECT $r"),
        ("a", "CLIENT GETREDIR"),
        ("a", "CLIENT TRACKINGINFO"),
        ("a", "GET k"),
        ("w", "SET k 1"),
        ("w", "FLUSHALL"),
        ("a", "GET k"),
        ("r", "UNSUBSCRIBE"),
        ("w", "SET k 2"),
        ("a", "CLIENT TRACKING OFF"),
        ("t", "!HELLO 3"),
        ("a", "CLIENT TRACKING ON REDIRECT $t BCAST"),
        ("w", "SET z 1"),
        ("a", "CLIENT TRACKING OFF"),
        ("n", "CLIENT TRACKING ON"),
        ("n", "GET k"),
        ("w", "SET k 9"),
        ("h", "!HELLO 3"),
        ("h", "CLIENT TRACKING ON REDIRECT $g"),
        ("h", "GET q"),
        ("g", "CLOSE"),
        ("w", "SET q 1"),
        ("h", "CLIENT TRACKINGINFO"),
        ("h", "CLIENT TRACKING ON REDIRECT $w"),
        ("h", "CLIENT TRACKINGINFO"),
        ("h", "GET q"),
        ("w", "SET q 2"),
    ],
    "errors": [
        ("a", "CLIENT TRACKING"),
        ("a", "CLIENT TRACKING maybe"),
        ("a", "CLIENT TRACKING ON FOO"),
        ("a", "CLIENT TRACKING on bcast prefix"),
        ("a", "CLIENT TRACKING ON PREFIX a"),
        ("a", "CLIENT TRACKING ON REDIRECT 999999"),
        ("a", "CLIENT TRACKING ON REDIRECT x"),
        ("a", "CLIENT TRACKING ON REDIRECT 0"),
        ("a", "CLIENT TRACKING ON REDIRECT $b REDIRECT $b"),
        ("a", "CLIENT TRACKING ON BCAST OPTIN"),
        ("a", "CLIENT TRACKING ON OPTIN OPTOUT"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX a PREFIX ab"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX b PREFIX b"),
        ("a", "CLIENT CACHING YES"),
        ("a", "CLIENT TRACKING ON OPTIN"),
        ("a", "CLIENT TRACKING ON OPTOUT"),
        ("a", "CLIENT TRACKING ON BCAST"),
        ("a", "CLIENT CACHING NO"),
        ("a", "CLIENT CACHING maybe"),
        ("a", "CLIENT TRACKING ON OPTIN NOLOOP"),
        ("a", "CLIENT TRACKINGINFO"),
        ("a", "CLIENT TRACKING OFF BCAST"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX ab"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX a"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX abc"),
        ("a", "CLIENT TRACKING ON BCAST PREFIX ab"),
        ("a", "CLIENT TRACKING ON"),
        ("a", "CLIENT CACHING YES"),
        ("a", "CLIENT GETREDIR"),
        ("a", "CLIENT GETREDIR x"),
        ("a", "CLIENT TRACKINGINFO x"),
        ("a", "CLIENT CACHING"),
        ("a", "RESET"),
        ("a", "CLIENT TRACKINGINFO"),
    ],
}


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> Iterator[int]:
    yield reference_redis()


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_tracking_script_matches_redis(redis_port: int, server: FerriteProcess, name: str) -> None:
    expected = run_script(redis_port, SCRIPTS[name])
    got = run_script(server.port, SCRIPTS[name])
    for want, have in zip(expected, got, strict=True):
        assert have == want
