"""Bytes per element of one big list, hash and sorted set: Ferrite next to redis-server.

Each server (persistence off) gets one 1,000,000-element value loaded in pipelined batches;
the figure is the growth of the process's RSS divided by the element count. Elements are
short (`element:0000042`, hash values and scores are small integers), as in most caches and
queues. A type the server does not implement yet is skipped.

    python benchmarks/aggregate_memory.py [--elements N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import redis
from compare import RESULTS, Server, start_ferrite, start_redis

BATCH = 1000


def _list_commands(n: int) -> list[list[bytes]]:
    return [
        [b"RPUSH", b"big", *(b"element:%07d" % i for i in range(start, min(start + BATCH, n)))]
        for start in range(0, n, BATCH)
    ]


def _hash_commands(n: int) -> list[list[bytes]]:
    return [
        [
            b"HSET",
            b"big",
            *(
                p
                for i in range(start, min(start + BATCH, n))
                for p in (b"field:%07d" % i, b"%d" % i)
            ),
        ]
        for start in range(0, n, BATCH)
    ]


def _zset_commands(n: int) -> list[list[bytes]]:
    return [
        [
            b"ZADD",
            b"big",
            *(
                p
                for i in range(start, min(start + BATCH, n))
                for p in (b"%d" % i, b"member:%07d" % i)
            ),
        ]
        for start in range(0, n, BATCH)
    ]


KINDS: dict[str, tuple[str, Callable[[int], list[list[bytes]]]]] = {
    "list": ("rpush", _list_commands),
    "hash": ("hset", _hash_commands),
    "zset": ("zadd", _zset_commands),
}


def bytes_per_element(server: Server, kind: str, n: int) -> float | None:
    command, build = KINDS[kind]
    client = server.client()
    try:
        client.execute_command(command)  # too few arguments: which error says what we need
    except redis.ResponseError as exc:
        if "unknown command" in str(exc):
            return None  # not implemented on this server yet
    client.flushall()
    time.sleep(0.5)
    baseline = server.rss_bytes()
    pipe = client.pipeline(transaction=False)
    for argv in build(n):
        pipe.execute_command(*argv)
        if len(pipe) >= 50:
            pipe.execute()
    pipe.execute()
    time.sleep(0.5)
    grown = server.rss_bytes() - baseline
    client.flushall()
    client.close()
    return grown / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=1_000_000)
    args = parser.parse_args()
    report: dict[str, dict[str, float | None]] = {}
    for name, start in (("ferrite", lambda: start_ferrite(modules=False)), ("redis", start_redis)):
        server = start()
        try:
            report[name] = {kind: bytes_per_element(server, kind, args.elements) for kind in KINDS}
        except redis.RedisError as exc:
            raise SystemExit(f"{name}: {exc}") from None
        finally:
            server.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "aggregate-memory.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'type':6} {'ferrite B/elem':>15} {'redis B/elem':>13} {'ratio':>6}")
    for kind in KINDS:
        ours, theirs = report["ferrite"][kind], report["redis"][kind]
        if ours is None or theirs is None:
            print(f"{kind:6} {'-':>15} {'-':>13}")
            continue
        print(f"{kind:6} {ours:15.1f} {theirs:13.1f} {ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
