"""Where one command's time goes, in process: the numbers and profiles behind docs/performance.md.

    python benchmarks/profile_paths.py time GET SET HELLOTYPE PY.INCR RS.INCR INCR
    python benchmarks/profile_paths.py cprofile HELLOTYPE
    python benchmarks/profile_paths.py lines GET          # needs line_profiler
    PIPELINE=1 python benchmarks/profile_paths.py time GET   # one command per read, as P1

Each case feeds 3,000 reads of 16 pipelined commands (random keys) to 50 connections through
the real `Connection.data_received` (a stand-in transport counts the bytes written), so parse,
dispatch, the handler, encoding and the one write per read are all in. `time` reports the
best of 7 passes in CPU time (process_time), which a loaded machine disturbs less than wall
time; compare builds by running them one after the other, interleaved.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from test_dispatch_path import _frame, _state, _two_styles_state

from ferrite_host.core.dispatcher import Dispatcher
from ferrite_host.core.state import ServerState
from ferrite_host.server.connection import Connection

#: PIPELINE=1 shows what each read costs on its own: what redis-benchmark's pipeline 1 pays.
PIPELINE = int(os.environ.get("PIPELINE", "16"))
READS, CLIENTS = 48_000 // PIPELINE, 50

Argv = Callable[[random.Random], tuple[bytes, ...]]


def _hellotype() -> ServerState:
    return _state([["hellotype"]])


def _bloom() -> ServerState:
    return _state([["bloom"]])


#: case -> (server factory, one random command)
CASES: dict[str, tuple[Callable[[], ServerState], Argv]] = {
    "PING": (_state, lambda r: (b"PING",)),
    "GET": (_state, lambda r: (b"GET", b"key:%012d" % r.randrange(100_000))),
    "SET": (_state, lambda r: (b"SET", b"key:%012d" % r.randrange(100_000), b"xxx")),
    "INCR": (_two_styles_state, lambda r: (b"INCR", b"c:%d" % r.randrange(1000))),
    "PY.INCR": (_two_styles_state, lambda r: (b"PY.INCR", b"c:%d" % r.randrange(1000))),
    "RS.INCR": (_two_styles_state, lambda r: (b"RS.INCR", b"c:%d" % r.randrange(1000))),
    "HELLOTYPE": (
        _hellotype,
        lambda r: (b"HELLOTYPE.INSERT", b"ht:%012d" % r.randrange(100_000), b"7"),
    ),
    "BF.ADD": (
        _bloom,
        lambda r: (b"BF.ADD", b"bf:%012d" % r.randrange(100_000), b"%d" % r.randrange(100_000)),
    ),
}


class _Transport:
    """Just enough of an asyncio transport for a Connection."""

    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> None:
        self.written += len(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 6379)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        pass


def _workload(case: str) -> Callable[[], None]:
    make_state, argv = CASES[case]
    state = make_state()
    connections = []
    for _ in range(CLIENTS):
        connection = Connection(state)
        connection.connection_made(_Transport())  # type: ignore[arg-type]
        connections.append(connection)
    rnd = random.Random(1)
    reads = [b"".join(_frame(*argv(rnd)) for _ in range(PIPELINE)) for _ in range(READS)]

    def run() -> None:
        for index, data in enumerate(reads):
            connections[index % CLIENTS].data_received(data)

    run()  # warm up: keys exist, caches are filled
    return run


def time_case(case: str) -> float:
    """Microseconds of CPU per command, best of 7 passes."""
    run = _workload(case)
    best = float("inf")
    for _ in range(7):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best * 1e6 / (READS * PIPELINE)


def main() -> None:
    mode, cases = sys.argv[1], [case.upper() for case in sys.argv[2:]]
    for case in cases:
        if mode == "time":
            print(f"{case}: {time_case(case):.2f} us/command", flush=True)
        elif mode == "cprofile":
            run = _workload(case)
            profile = cProfile.Profile()
            profile.runcall(run)
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        elif mode == "lines":
            from line_profiler import LineProfiler

            from ferrite_host.redis_module.commands import run_module_command

            run = _workload(case)
            profiler = LineProfiler(
                Connection._answer, Dispatcher.execute, Dispatcher.call, run_module_command
            )
            profiler.runcall(run)
            profiler.print_stats(output_unit=1e-6)
        else:
            raise SystemExit(f"unknown mode {mode!r}: time, cprofile or lines")


if __name__ == "__main__":
    main()
