"""Bytes per member of one large sorted set, hash and set, Ferrite beside redis-server.

Each server starts fresh on a free loopback port (persistence off); the RSS of the process
(/proc/<pid>/status VmRSS) is read before and after loading one key with N members by
pipelined ZADD/HSET/SADD batches, and the difference is divided by N. Members (and hash
fields) are `member:<i>` (13-17 bytes), scores i / 7, hash values `<i>`.

    python benchmarks/collection_memory.py --members 1000000
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis

from ferrite_host.testing import free_port
from ferrite_host.testing.process import die_with_parent

BATCH = 1000


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _start(kind: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    if kind == "redis":
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        args = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
    else:
        args = [
            sys.executable,
            "-m",
            "ferrite_host",
            "serve",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--no-modules",
        ]
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, port


def _load(port: int, command: str, members: int) -> None:
    client = redis.Redis(port=port)
    pipe = client.pipeline(transaction=False)
    for start in range(0, members, BATCH):
        args: list[object] = []
        for index in range(start, min(start + BATCH, members)):
            if command == "ZADD":
                args += [index / 7, f"member:{index}"]
            elif command == "HSET":
                args += [f"member:{index}", index]
            else:
                args.append(f"member:{index}")
        pipe.execute_command(command, "key", *args)
        if len(pipe) >= 20:
            pipe.execute()
    pipe.execute()


def measure(kind: str, command: str, members: int) -> float:
    proc, port = _start(kind)
    try:
        time.sleep(0.2)
        before = _rss(proc.pid)
        _load(port, command, members)
        time.sleep(0.2)
        return (_rss(proc.pid) - before) / members
    finally:
        proc.kill()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    members = parser.parse_args().members
    results = {
        f"{command} {kind}": round(measure(kind, command, members), 1)
        for command in ("ZADD", "HSET", "SADD")
        for kind in ("redis", "ferrite")
    }
    print(json.dumps({"members": members, "bytes_per_member": results}, indent=2))


if __name__ == "__main__":
    main()
