"""The bundled modules' own real-server tests, run against redis-server with the bridge.

The same test files pass against `ferrite serve` (the default host); here the fixtures'
host switch (FERRITE_TEST_HOST=redis-bridge) points them at Redis, so one suite guards both
hosts. A subset keeps CI time low; `FERRITE_TEST_HOST=redis-bridge pytest plugins` runs all.
Where valkey-server is installed the same subset runs on Valkey too
(`FERRITE_BRIDGE_SERVER=valkey-server`); CI installs it from Debian's bookworm-backports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: (test path, -k expression or ""): the conformance subset.
SUITES = [
    (
        "plugins/ferrite-hello/tests/test_ferrite_hello.py",
        "simple or toggle or more_expire or leftpad_errors or repl1 or push_call or flags "
        "or zsumrange or lexrange",
    ),
    # Lists and hashes through RedisModule_List*/HashSet/HashGet.
    ("plugins/ferrite-hello/tests/test_hello_lists_hashes.py", ""),
    # HELLO.REPL1's AOF on redis-server is the sequence the Ferrite host writes.
    ("plugins/ferrite-hello/tests/test_hello_repl.py", "repl1"),
    (
        "plugins/ferrite-hellotype/tests/test_ferrite_hellotype.py",
        "sorted or wrongtype or arity or unload or snapshot or overwrites or brange",
    ),
    # Blocked clients unblocked from threads and other clients, HELLO.KEYS's thread-safe
    # context, MULTI refusal and MODULE UNLOAD refused while a client waits.
    ("plugins/ferrite-helloblock/tests/test_ferrite_helloblock.py", ""),
    (
        "plugins/ferrite-bloom/tests/test_ferrite_bloom.py",
        "",
    ),
    (
        "plugins/ferrite-bloom/tests/test_bloom_module.py",
        # FERRITE.RESTORE (records of the old module name) is a Ferrite-only command.
        "not old_module_name",
    ),
]


#: The servers the bridge is tested in: Redis always, Valkey where it is installed.
SERVERS = ["redis-server", "valkey-server"]

#: Suites that check something the server itself writes differently, by server.
SERVER_DIFFERENCES = {
    ("valkey-server", "plugins/ferrite-hello/tests/test_hello_repl.py"): (
        "Valkey 8.0 writes the SELECT inside the MULTI block of the AOF (MULTI, SELECT 0, "
        "...), Redis 7.0 before it; the module propagates the same commands on both"
    ),
}

#: Tests left out of a suite on one server, where the server's own text differs.
SERVER_DESELECTED = {
    ("valkey-server", "plugins/ferrite-helloblock/tests/test_ferrite_helloblock.py"): (
        # Valkey 8.0 words MODULE UNLOAD's refusal "Please wait for them to be unblocked",
        # Redis 7.0 "Please wait them unblocked"; the refusal itself is the same.
        "not unload_waits_for_blocked_clients"
    ),
}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize(("path", "selection"), SUITES, ids=[Path(p).stem for p, _ in SUITES])
def test_module_suite_passes_on_redis(
    bridge_so: Path, server: str, path: str, selection: str
) -> None:
    if shutil.which(server) is None:
        pytest.skip(f"{server} is not installed")
    if (server, path) in SERVER_DIFFERENCES:
        pytest.skip(SERVER_DIFFERENCES[(server, path)])
    env = {
        **os.environ,
        "FERRITE_TEST_HOST": "redis-bridge",
        "FERRITE_BRIDGE": str(bridge_so),
        "FERRITE_BRIDGE_SERVER": server,
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly", path]
    deselected = SERVER_DESELECTED.get((server, path))
    if deselected:
        selection = f"({selection}) and {deselected}" if selection else deselected
    if selection:
        command += ["-k", selection]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=580
    )
    summary = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    assert result.returncode == 0, f"{path} on {server}:\n{result.stdout[-4000:]}"
    assert " passed" in summary[0] and "skipped" not in summary[0], summary[0]
