"""Streams survive Ferrite's own persistence: an RDB snapshot, an AOF replayed as written
(XREADGROUP propagated as XCLAIM / XGROUP SETID) and an AOF rewrite (XADD, XSETID, XGROUP
CREATE, CREATECONSUMER, XCLAIM), each compared with XINFO STREAM FULL before the restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ferrite_host.testing import FerriteProcess
from tests.compat.raw_resp import RawResp

STREAMS = (b"s", b"empty", b"ghost")


def _fill(port: int) -> None:
    client = RawResp(port)
    for index in range(120):
        fields = ["f", str(index)] if index % 4 else ["g", str(index), "h", "x" * index]
        client.call("XADD", "s", f"{index + 1}-{index % 3}", *fields)
    client.call("XDEL", "s", "5-1", "60-2")
    client.call("XGROUP", "CREATE", "s", "readers", "0")
    client.call("XGROUP", "CREATE", "s", "tail", "$")
    client.call("XREADGROUP", "GROUP", "readers", "alice", "COUNT", "10", "STREAMS", "s", ">")
    client.call("XREADGROUP", "GROUP", "readers", "bob", "COUNT", "3", "STREAMS", "s", ">")
    client.call("XREADGROUP", "GROUP", "tail", "nemo", "NOACK", "STREAMS", "s", "0")
    client.call("XGROUP", "CREATECONSUMER", "s", "readers", "idle")
    client.call("XACK", "s", "readers", "2-1")
    client.call("XCLAIM", "s", "readers", "bob", "0", "3-2", "TIME", "1000", "RETRYCOUNT", "4")
    client.call("XTRIM", "s", "MAXLEN", "100")
    client.call("XADD", "empty", "1-0", "a", "b")
    client.call("XDEL", "empty", "1-0")
    client.call("XGROUP", "CREATE", "ghost", "g", "$", "MKSTREAM")
    client.call("XSETID", "ghost", "7-0", "ENTRIESADDED", "3", "MAXDELETEDID", "5-0")
    client.close()


def _without_seen_times(reply: Any) -> Any:
    """A consumer's seen-time is when it was last active: re-created consumers differ."""
    kind, value = reply
    if kind in "*%" and isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            if kind == "*" and index and value[index - 1] == ("$", b"seen-time"):
                out.append(("?", None))
            else:
                out.append(_without_seen_times(item))
        return kind, out
    if isinstance(value, tuple):
        return kind, value
    return reply


def _state(port: int, exact: bool) -> list[Any]:
    client = RawResp(port)
    replies = [client.call("XINFO", "STREAM", key, "FULL") for key in STREAMS]
    replies += [client.call("XINFO", "GROUPS", key) for key in STREAMS]
    client.close()
    return replies if exact else [_without_seen_times(reply) for reply in replies]


@pytest.mark.parametrize(
    ("mode", "exact"),
    [("rdb", True), ("aof", False), ("aof-rewrite", False)],
)
def test_streams_survive_a_restart(tmp_path: Path, mode: str, exact: bool) -> None:
    args = ["--appendonly", "yes"] if mode.startswith("aof") else []
    server = FerriteProcess(*args, modules=[], directory=tmp_path)
    server.start()
    try:
        _fill(server.port)
        before = _state(server.port, exact)
        client = RawResp(server.port)
        if mode == "rdb":
            assert client.call("SAVE") == ("+", b"OK")
        elif mode == "aof-rewrite":
            client.call("BGREWRITEAOF")
            for _ in range(200):
                info = client.call("INFO", "persistence")[1]
                if b"aof_rewrite_in_progress:0" in info and b"aof_rewrite_scheduled:0" in info:
                    break
                time.sleep(0.05)
        client.close()
    finally:
        server.stop()
    server.start()
    try:
        after = _state(server.port, exact)
        if mode == "aof-rewrite":  # rebuilt by XADDs: the node layout is new (as in Redis
            # without its RDB preamble), everything else is kept
            before, after = _without_layout(before), _without_layout(after)
        assert after == before
    finally:
        server.stop()


def _without_layout(replies: Any) -> Any:
    """The replies with XINFO's radix-tree-keys/-nodes counts masked."""
    if isinstance(replies, list):
        out = []
        for index, item in enumerate(replies):
            previous = replies[index - 1] if index else None
            if previous in (("$", b"radix-tree-keys"), ("$", b"radix-tree-nodes")):
                out.append(("?", None))
            else:
                out.append(_without_layout(item))
        return out
    if isinstance(replies, tuple) and len(replies) == 2 and isinstance(replies[1], list):
        return (replies[0], _without_layout(replies[1]))
    return replies


def test_debug_reload_and_restore_keep_streams(tmp_path: Path) -> None:
    with FerriteProcess(modules=[], directory=tmp_path) as server:
        _fill(server.port)
        before = _state(server.port, True)
        client = RawResp(server.port)
        payloads = {key: client.call("DUMP", key)[1] for key in STREAMS}
        assert client.call("DEBUG", "RELOAD") == ("+", b"OK")
        assert _state(server.port, True) == before
        for key, payload in payloads.items():
            assert client.call("RESTORE", key, "0", payload, "REPLACE") == ("+", b"OK")
        assert _state(server.port, True) == before
        client.close()
