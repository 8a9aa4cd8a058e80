"""Run redis-benchmark against Ferrite and a reference redis-server, interleaved.

Both servers run on free loopback ports with persistence off. Each round runs every test
against Ferrite then Redis (A B A B ...), so machine drift hits both alike. For each test we
record requests/s, p50/p99 latency (from redis-benchmark's CSV) and the server's CPU time per
request (utime+stime from /proc/<pid>/stat). Memory is the RSS after loading 1,000,000 keys
of 100-byte values, and after 100,000 module values.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

from ferrite_host.testing.process import die_with_parent

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")

#: (label, redis-benchmark arguments for Ferrite, for Redis). Module commands have no Redis
#: counterpart unless the module is loaded there, so Redis runs the closest built-in.
TESTS: list[tuple[str, list[str], list[str]]] = [
    ("PING", ["-t", "ping_mbulk"], ["-t", "ping_mbulk"]),
    ("SET", ["-t", "set", "-r", "100000"], ["-t", "set", "-r", "100000"]),
    ("GET", ["-t", "get", "-r", "100000"], ["-t", "get", "-r", "100000"]),
    (
        "HELLOTYPE.INSERT (Redis: ZADD)",
        # __rand_int__ expands zero-padded, which strict integer parsing (ours and Redis's)
        # refuses, so the random part is the key and the inserted value is fixed.
        ["-r", "100000", "HELLOTYPE.INSERT", "ht:__rand_int__", "7"],
        ["-r", "100000", "ZADD", "ht:__rand_int__", "7", "7"],
    ),
    (
        "BF.ADD (Redis: SADD)",
        ["-r", "100000", "BF.ADD", "bf:__rand_int__", "__rand_int__"],
        ["-r", "100000", "SADD", "bf:__rand_int__", "__rand_int__"],
    ),
    # The data types: redis-benchmark's own tests where it has one, the same command line
    # on both servers otherwise (HGET and ZRANGE read what HSET and ZADD loaded).
    ("LPUSH", ["-t", "lpush"], ["-t", "lpush"]),
    ("LPOP", ["-t", "lpop"], ["-t", "lpop"]),
    ("HSET", ["-t", "hset", "-r", "100000"], ["-t", "hset", "-r", "100000"]),
    *(
        (label, command, command)
        for label, command in (
            ("HGET", ["-r", "100000", "HGET", "myhash", "element:__rand_int__"]),
            ("SADD", ["-t", "sadd", "-r", "100000"]),
            ("ZADD", ["-t", "zadd", "-r", "100000"]),
            ("ZRANGE 0 9", ["ZRANGE", "myzset", "0", "9"]),
        )
    ),
]

#: Tests whose server CPU per request is compared with GET's (the module-cost target).
MODULE_TESTS = ("HELLOTYPE.INSERT (Redis: ZADD)", "BF.ADD (Redis: SADD)")

#: Tests also run against fakeredis's TCP server (the Python peer), at pipeline 16 only and
#: with a tenth of the requests: it serves one or two orders of magnitude fewer per second.
FAKEREDIS_TESTS = ("PING", "SET", "GET", "LPUSH", "HSET", "SADD")

#: The data-type tests the issue's targets name.
DATA_TYPE_TESTS = ("LPUSH", "LPOP", "HSET", "HGET", "SADD", "ZADD", "ZRANGE 0 9")

#: In-process cases (benchmarks/profile_paths.py) for the module-cost target, by label.
IN_PROCESS_MODULE_CASES = {
    "HELLOTYPE.INSERT": "HELLOTYPE",
    "BF.ADD": "BF.ADD",
    "PY.INCR": "PY.INCR",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {proc.returncode}")
        try:
            if redis.Redis(port=port, socket_timeout=1).ping():
                return
        except redis.RedisError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start in {timeout}s")


class Server:
    def __init__(self, name: str, argv: list[str], port: int) -> None:
        self.name, self.port = name, port
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,  # a killed benchmark leaves no server behind
        )
        wait_ready(port, self.proc)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=120)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_ferrite(modules: bool = True) -> Server:
    port = free_port()
    argv = [
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
        "--appendonly",
        "no",
        "--loglevel",
        "warning",
    ]
    if not modules:
        argv.append("--no-modules")
    return Server("ferrite", argv, port)


def start_redis() -> Server:
    port = free_port()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed; run benchmarks/run.sh, which installs it")
    argv = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
        "--daemonize",
        "no",
    ]
    return Server("redis", argv, port)


def start_fakeredis() -> Server | None:
    """fakeredis's own TCP server (threaded), or None when fakeredis is not installed."""
    try:
        import fakeredis  # noqa: F401
    except ImportError:
        print("fakeredis is not installed: the Python-peer comparison is skipped")
        return None
    port = free_port()
    serve = (
        "import sys\n"
        "from fakeredis import TcpFakeServer\n"
        "server = TcpFakeServer(('127.0.0.1', int(sys.argv[1])), server_version=(7, 0))\n"
        "server.daemon_threads = True\n"
        "server.serve_forever()\n"
    )
    return Server("fakeredis", [sys.executable, "-c", serve, str(port)], port)


def run_benchmark(
    server: Server, args: list[str], requests: int, pipeline: int
) -> dict[str, float]:
    before = server.cpu_seconds()
    out = subprocess.run(
        [
            "redis-benchmark",
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-n",
            str(requests),
            "-c",
            "50",
            "-P",
            str(pipeline),
            "--csv",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    cpu = server.cpu_seconds() - before
    rows = [row for row in csv.DictReader(io.StringIO(out))]
    if not rows:
        raise SystemExit(f"redis-benchmark printed no results for {args}: {out!r}")
    row = rows[-1]
    return {
        "rps": float(row["rps"]),
        "p50_ms": float(row["p50_latency_ms"]),
        "p99_ms": float(row["p99_latency_ms"]),
        "cpu_us_per_request": cpu * 1e6 / requests,
    }


def load_strings(server: Server, keys: int, size: int = 100) -> int:
    client = server.client()
    client.flushall()
    baseline = server.rss_bytes()
    value = b"x" * size
    batch = 10_000
    for start in range(0, keys, batch):
        pipe = client.pipeline(transaction=False)
        for i in range(start, min(start + batch, keys)):
            pipe.set(f"key:{i:010d}", value)
        pipe.execute()
    time.sleep(0.5)
    return server.rss_bytes() - baseline


def load_module_values(server: Server, keys: int, command: list[str]) -> int:
    client = server.client()
    client.flushall()
    baseline = server.rss_bytes()
    batch = 10_000
    for start in range(0, keys, batch):
        pipe = client.pipeline(transaction=False)
        for i in range(start, min(start + batch, keys)):
            pipe.execute_command(*[part.replace("{i}", str(i)) for part in command])
        pipe.execute()
    time.sleep(0.5)
    return server.rss_bytes() - baseline


def summarise(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--memory-keys", type=int, default=1_000_000)
    parser.add_argument("--module-keys", type=int, default=100_000)
    parser.add_argument(
        "--collection-members",
        type=int,
        default=1_000_000,
        help="members of the one hash and one sorted set whose memory is measured",
    )
    parser.add_argument("--quick", action="store_true", help="1 round, few requests: a smoke run")
    parser.add_argument(
        "--only", default="", help="comma-separated label prefixes to run (e.g. GET,SET,BF)"
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.requests, args.memory_keys, args.module_keys = 1, 20_000, 100_000, 10_000
        args.collection_members = 100_000
    prefixes = [word.strip() for word in args.only.split(",") if word.strip()]
    tests = [test for test in TESTS if not prefixes or test[0].startswith(tuple(prefixes))]
    RESULTS.mkdir(exist_ok=True)
    ferrite, reference, peer = start_ferrite(), start_redis(), start_fakeredis()
    raw: dict[str, dict[str, list[dict[str, float]]]] = {}
    try:
        for round_no in range(args.rounds):
            for label, ferrite_args, redis_args in tests:
                for pipeline in (1, 16):
                    key = f"{label} P{pipeline}"
                    slot = raw.setdefault(key, {"ferrite": [], "redis": []})
                    slot["ferrite"].append(
                        run_benchmark(ferrite, ferrite_args, args.requests, pipeline)
                    )
                    slot["redis"].append(
                        run_benchmark(reference, redis_args, args.requests, pipeline)
                    )
                    ours = slot["ferrite"][-1]["rps"]
                    line = (
                        f"round {round_no + 1} {key}: ferrite {ours:.0f} rps, "
                        f"redis {slot['redis'][-1]['rps']:.0f} rps"
                    )
                    if peer is not None and pipeline == 16 and label in FAKEREDIS_TESTS:
                        fake = run_benchmark(
                            peer, ferrite_args, max(args.requests // 10, 1000), pipeline
                        )
                        slot.setdefault("fakeredis", []).append(fake)
                        line += f", fakeredis {fake['rps']:.0f} rps"
                    print(line, flush=True)
        memory = {
            "strings": {
                "keys": args.memory_keys,
                "ferrite_bytes": load_strings(ferrite, args.memory_keys),
                "redis_bytes": load_strings(reference, args.memory_keys),
            },
            "collections": measure_collections(args.collection_members),
            "module_values": {
                "keys": args.module_keys,
                "ferrite_bytes": load_module_values(
                    ferrite, args.module_keys, ["HELLOTYPE.INSERT", "mv:{i}", "{i}"]
                ),
                "redis_bytes (ZADD one member)": load_module_values(
                    reference, args.module_keys, ["ZADD", "mv:{i}", "{i}", "{i}"]
                ),
            },
        }
    finally:
        ferrite.stop()
        reference.stop()
        if peer is not None:
            peer.stop()
    report = build_report(raw, memory, args)
    report["in_process_us"] = measure_in_process()
    report["targets"] = check_targets(report)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"benchmark-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print_table(report)
    draw_chart(report, RESULTS / f"benchmark-{stamp}.png")
    print(f"\nraw figures: {out}")


def build_report(
    raw: dict[str, Any], memory: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    tests = {}
    for key, sides in raw.items():
        entry: dict[str, Any] = {}
        for side in sides:
            entry[side] = {
                metric: summarise([s[metric] for s in sides[side]]) for metric in sides[side][0]
            }
        entry["ratio_rps"] = entry["ferrite"]["rps"]["median"] / entry["redis"]["rps"]["median"]
        if "fakeredis" in entry:
            entry["ratio_rps_vs_fakeredis"] = (
                entry["ferrite"]["rps"]["median"] / entry["fakeredis"]["rps"]["median"]
            )
        entry["ratio_cpu"] = entry["ferrite"]["cpu_us_per_request"]["median"] / max(
            entry["redis"]["cpu_us_per_request"]["median"], 1e-9
        )
        tests[key] = entry
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "rounds": args.rounds,
        "requests": args.requests,
        "tests": tests,
        "memory": memory,
    }


def measure_collections(members: int) -> dict[str, dict[str, float]]:
    """Bytes per member of one large hash and one large sorted set on each server."""
    from collection_memory import measure

    return {
        command: {kind: measure(kind, command, members) for kind in ("ferrite", "redis")}
        | {"members": members}
        for command in ("HSET", "ZADD")
    }


def measure_in_process() -> dict[str, float]:
    """CPU per command in process (profile_paths.py's workload): GET and module commands."""
    from profile_paths import time_case

    cases = {"GET": "GET", **IN_PROCESS_MODULE_CASES}
    return {label: time_case(case) for label, case in cases.items()}


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue #18's targets, each with what this run measured."""
    tests = report["tests"]
    rows: list[dict[str, Any]] = []

    def add(target: str, measured: float | None, bound: float, at_most: bool = False) -> None:
        if measured is None:
            return
        met = measured <= bound if at_most else measured >= bound
        rows.append({"target": target, "measured": measured, "bound": bound, "met": met})

    def rps_ratio(key: str) -> float | None:
        entry = tests.get(key)
        return None if entry is None else float(entry["ratio_rps"])

    def cpu(key: str) -> float | None:
        entry = tests.get(key)
        return None if entry is None else float(entry["ferrite"]["cpu_us_per_request"]["median"])

    for label in ("PING", "SET", "GET", *MODULE_TESTS):
        add(f"{label} P1 vs Redis >= 0.9x", rps_ratio(f"{label} P1"), 0.9)
    for label, bound in (("GET", 0.6), ("SET", 0.6), *((m, 0.5) for m in MODULE_TESTS)):
        add(f"{label} P16 vs Redis >= {bound}x", rps_ratio(f"{label} P16"), bound)
    for pipeline in (1, 16):
        get = cpu(f"GET P{pipeline}")
        for label in MODULE_TESTS:
            ours = cpu(f"{label} P{pipeline}")
            if get and ours:
                add(
                    f"{label.split()[0]} CPU / GET, wire P{pipeline} <= 1.25",
                    ours / get,
                    1.25,
                    True,
                )
    in_process = report.get("in_process_us", {})
    for label in IN_PROCESS_MODULE_CASES:
        if in_process.get("GET") and in_process.get(label):
            ratio = in_process[label] / in_process["GET"]
            add(f"{label} CPU / GET, in process <= 1.25", ratio, 1.25, True)
    for label in DATA_TYPE_TESTS:
        add(f"{label} P1 vs Redis >= 0.9x", rps_ratio(f"{label} P1"), 0.9)
        add(f"{label} P16 vs Redis >= 0.4x", rps_ratio(f"{label} P16"), 0.4)
    for command, sizes in report["memory"].get("collections", {}).items():
        ratio = sizes["ferrite"] / max(sizes["redis"], 1e-9)
        add(f"{command} memory per element vs Redis <= 3x", ratio, 3.0, True)
    for label in FAKEREDIS_TESTS:
        entry = tests.get(f"{label} P16", {})
        if "ratio_rps_vs_fakeredis" in entry:
            add(f"{label} P16 vs fakeredis >= 40x", entry["ratio_rps_vs_fakeredis"], 40.0)
    return rows


def print_table(report: dict[str, Any]) -> None:
    header = ("test", "ferrite rps (min-max)", "redis rps", "ratio", "cpu ratio")
    print(f"\n{header[0]:<40} {header[1]:>26} {header[2]:>12} {header[3]:>6} {header[4]:>9}")
    for key, entry in report["tests"].items():
        f = entry["ferrite"]["rps"]
        theirs = entry["redis"]["rps"]["median"]
        print(
            f"{key:<40} {f['median']:>10.0f} ({f['min']:.0f}-{f['max']:.0f}) "
            f"{theirs:>12.0f} {entry['ratio_rps']:>6.2f} {entry['ratio_cpu']:>9.2f}"
        )
    for pipeline in (1, 16):
        get = report["tests"].get(f"GET P{pipeline}")
        for label in MODULE_TESTS:
            entry = report["tests"].get(f"{label} P{pipeline}")
            if get is None or entry is None:
                continue
            ratio = (
                entry["ferrite"]["cpu_us_per_request"]["median"]
                / get["ferrite"]["cpu_us_per_request"]["median"]
            )
            print(f"server CPU of {label.split()[0]} / GET at P{pipeline}: {ratio:.2f}")
    strings = report["memory"]["strings"]
    ours, theirs = strings["ferrite_bytes"], strings["redis_bytes"]
    print(
        f"\nmemory, {strings['keys']} strings of 100 bytes: ferrite {ours / 2**20:.0f} MiB, "
        f"redis {theirs / 2**20:.0f} MiB, ratio {ours / max(theirs, 1):.2f}"
    )
    for command, sizes in report["memory"].get("collections", {}).items():
        print(
            f"memory, one {command} key of {sizes['members']:,} members: ferrite "
            f"{sizes['ferrite']:.1f} B/member, redis {sizes['redis']:.1f} B/member"
        )
    for label, micros in report.get("in_process_us", {}).items():
        print(f"in process, {label}: {micros:.2f} us CPU/command")
    print(f"\n{'target':<52} {'measured':>9} {'met':>4}")
    for row in report.get("targets", []):
        print(f"{row['target']:<52} {row['measured']:>9.2f} {'yes' if row['met'] else 'no':>4}")


def draw_chart(report: dict[str, Any], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed; no chart drawn")
        return
    labels = list(report["tests"])
    ratios = [report["tests"][k]["ratio_rps"] for k in labels]
    fig, ax = plt.subplots(figsize=(10, 5))
    ax.barh(labels, ratios, color="#b7410e")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("Ferrite / Redis requests per second (median)")
    ax.set_title(f"Ferrite vs Redis, {report['date']}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"chart: {path}")


if __name__ == "__main__":
    main()
