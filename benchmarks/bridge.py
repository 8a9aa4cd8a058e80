"""A Python module command through the Ferrite bridge, against Redis's closest built-in and
against the same command on `ferrite serve`, with redis-benchmark at pipeline 1 and 16.

Three servers on free loopback ports, persistence off: a plain redis-server (the built-in),
redis-server loading the bundled modules through the bridge, and `ferrite serve` with the
same modules. Every round runs each test on the three servers back to back (A B C A B C
...), so drift on a shared machine hits them alike; the report gives medians and min-max.
The target: the simple command (HELLO.SIMPLE, an integer reply) through the bridge at
pipeline 16 reaches >= 0.5x PING on the same Redis.

    python benchmarks/bridge.py                # 3 rounds
    python benchmarks/bridge.py --quick        # 1 short round
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from compare import RESULTS, Server, free_port, run_benchmark, start_ferrite, start_redis

from ferrite_host.bridge import locate

#: (label, the module command, Redis's closest built-in). Random keys where the command
#: takes one; HELLOTYPE.INSERT's value is fixed (zero-padded __rand_int__ is not an integer).
TESTS: list[tuple[str, list[str], list[str]]] = [
    ("HELLO.SIMPLE vs PING", ["HELLO.SIMPLE"], ["PING"]),
    (
        "HELLOTYPE.INSERT vs ZADD",
        ["-r", "100000", "HELLOTYPE.INSERT", "ht:__rand_int__", "7"],
        ["-r", "100000", "ZADD", "ht:__rand_int__", "7", "7"],
    ),
    (
        "BF.ADD vs SADD",
        ["-r", "100000", "BF.ADD", "bf:__rand_int__", "__rand_int__"],
        ["-r", "100000", "SADD", "bf:__rand_int__", "__rand_int__"],
    ),
]
MODULES = ["hello", "hellotype", "bloom"]


def cpu_ns(server: Server) -> int:
    """The server's main thread's time on a CPU, in ns (/proc/<pid>/schedstat): finer than
    the clock ticks of /proc/<pid>/stat, and it is the thread that runs every command."""
    return int(Path(f"/proc/{server.proc.pid}/schedstat").read_text().split()[0])


def measure(server: Server, args: list[str], requests: int, pipeline: int) -> dict[str, float]:
    """run_benchmark, with the CPU time per request read from schedstat."""
    before = cpu_ns(server)
    result = run_benchmark(server, args, requests, pipeline)
    result["cpu_us_per_request"] = (cpu_ns(server) - before) / 1000 / requests
    return result


def start_bridge() -> Server:
    bridge = locate()
    binary = shutil.which("redis-server")
    if bridge is None or binary is None:
        raise SystemExit("needs redis-server and a built bridge (ferrite bridge --build)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    for module in MODULES:
        argv += ["--loadmodule", str(bridge), f"venv={sys.prefix}", module]
    return Server("bridge", argv, port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="1 round of 10,000 requests")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests = 1, 10_000
    RESULTS.mkdir(exist_ok=True)
    servers = {"redis": start_redis(), "bridge": start_bridge(), "ferrite": start_ferrite()}
    raw: dict[str, dict[str, list[dict[str, float]]]] = {}
    try:
        warm_up(servers, args.requests)
        for round_no in range(args.rounds):
            for label, module_args, builtin_args in TESTS:
                for pipeline in (1, 16):
                    key = f"{label} P{pipeline}"
                    slot = raw.setdefault(key, {name: [] for name in servers})
                    for name, server in servers.items():
                        command = builtin_args if name == "redis" else module_args
                        slot[name].append(measure(server, command, args.requests, pipeline))
                    rps = {name: f"{slot[name][-1]['rps']:.0f}" for name in servers}
                    print(f"round {round_no + 1} {key}: {rps}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    report = build_report(raw, args)
    out = RESULTS / f"bridge-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2))
    print_table(report)
    print(f"\nraw figures: {out}")


def warm_up(servers: dict[str, Server], requests: int) -> None:
    """One unrecorded pass: the first thousands of calls into a fresh interpreter (pymalloc
    arenas, the specialising interpreter's caches, connection set-up) run several times
    slower than the rest and would dominate a short run."""
    for _label, module_args, builtin_args in TESTS:
        for name, server in servers.items():
            run_benchmark(server, builtin_args if name == "redis" else module_args, requests, 16)


def build_report(raw: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    tests = {}
    for key, sides in raw.items():
        entry: dict[str, Any] = {}
        for side, samples in sides.items():
            rps = [sample["rps"] for sample in samples]
            cpu = [sample["cpu_us_per_request"] for sample in samples]
            entry[side] = {
                "rps": {"median": statistics.median(rps), "min": min(rps), "max": max(rps)},
                "cpu_us_per_request": statistics.median(cpu),
            }
        bridge, redis, ferrite = (entry[s]["rps"]["median"] for s in ("bridge", "redis", "ferrite"))
        entry["bridge_vs_builtin"] = bridge / redis
        entry["bridge_vs_ferrite"] = bridge / ferrite
        # Server CPU per request says the same with less noise from a busy machine: the
        # throughput ratio one core would give (the built-in's CPU cost over the bridge's).
        cpu = {side: max(entry[side]["cpu_us_per_request"], 1e-9) for side in sides}
        entry["bridge_vs_builtin_by_cpu"] = cpu["redis"] / cpu["bridge"]
        entry["bridge_vs_ferrite_by_cpu"] = cpu["ferrite"] / cpu["bridge"]
        tests[key] = entry
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "rounds": args.rounds,
        "requests": args.requests,
        "tests": tests,
    }


def print_table(report: dict[str, Any]) -> None:
    print(
        f"\n{'test':<30} {'redis rps':>10} {'bridge':>8} {'ferrite':>8} "
        f"{'bridge/built-in':>16} {'bridge/ferrite':>15}   (by CPU per request)"
    )
    for key, entry in report["tests"].items():
        print(
            f"{key:<30} {entry['redis']['rps']['median']:>10.0f} "
            f"{entry['bridge']['rps']['median']:>8.0f} {entry['ferrite']['rps']['median']:>8.0f} "
            f"{entry['bridge_vs_builtin']:>16.2f} {entry['bridge_vs_ferrite']:>15.2f}   "
            f"({entry['bridge_vs_builtin_by_cpu']:.2f} / {entry['bridge_vs_ferrite_by_cpu']:.2f})"
        )


if __name__ == "__main__":
    main()
