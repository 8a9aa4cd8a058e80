"""Blocking pops served after waiting reach the append-only file as what actually ran
(BLPOP as LPOP, BLMOVE as LMOVE, BZPOPMIN as ZPOPMIN): a restart replays the same data."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import redis

from ferrite_host.testing import FerriteProcess

AOF = ("--appendonly", "yes", "--appendfsync", "always")


def _await_blocked(client: redis.Redis, count: int) -> None:
    deadline = time.monotonic() + 1.5
    while client.info("clients")["blocked_clients"] != count:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def _served_later(port: int, control: redis.Redis, command: list[str], wake: list[str]) -> object:
    waiter = redis.Connection(port=port)
    waiter.send_command(*command)
    _await_blocked(control, 1)
    control.execute_command(*wake)
    reply = waiter.read_response()
    waiter.disconnect()
    return reply


def _contents(client: redis.Redis) -> dict[bytes, object]:
    return {
        b"l": client.lrange("l", 0, -1),
        b"dst": client.lrange("dst", 0, -1),
        b"z": client.zrange("z", 0, -1, withscores=True),
    }


def test_blocked_pops_replay_as_what_ran() -> None:
    with tempfile.TemporaryDirectory(prefix="ferrite-test-") as directory:
        with FerriteProcess(*AOF, modules=[], directory=directory) as proc:
            control = redis.Redis(port=proc.port)
            assert _served_later(proc.port, control, ["BLPOP", "l", "2"], ["RPUSH", "l", "a", "b"])
            assert _served_later(
                proc.port,
                control,
                ["BLMOVE", "src", "dst", "LEFT", "RIGHT", "2"],
                ["RPUSH", "src", "x"],
            )
            assert _served_later(
                proc.port, control, ["BZPOPMIN", "z", "2"], ["ZADD", "z", "1", "m", "2", "n"]
            )
            control.rpush("l", "c", "d")
            assert control.blpop(["l"], 1) == (b"l", b"b")
            before = _contents(control)
            control.close()
        logged = b"".join(p.read_bytes() for p in Path(directory).rglob("*.aof"))
        assert b"BLPOP" not in logged.upper() and b"LMOVE" in logged.upper()
        with FerriteProcess(*AOF, modules=[], directory=directory) as proc:
            control = redis.Redis(port=proc.port)
            assert _contents(control) == before
            control.close()
