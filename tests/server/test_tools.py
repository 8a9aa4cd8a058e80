"""Redis's own tools against Ferrite: redis-benchmark and redis-cli, unmodified."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from ferrite_host.testing import FerriteProcess

BENCHMARK = shutil.which("redis-benchmark")
CLI = shutil.which("redis-cli")


@pytest.fixture(scope="module")
def tools_server() -> Iterator[FerriteProcess]:
    with FerriteProcess(modules=[]) as proc:
        yield proc


def cli(server: FerriteProcess, *args: str, stdin: str | None = None) -> str:
    assert CLI is not None
    result = subprocess.run(
        [CLI, "-h", "127.0.0.1", "-p", str(server.port), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


@pytest.mark.skipif(
    BENCHMARK is None, reason="redis-benchmark is not installed (apt install redis-tools)"
)
def test_redis_benchmark_runs_to_completion(tools_server: FerriteProcess) -> None:
    assert BENCHMARK is not None
    result = subprocess.run(
        [
            BENCHMARK,
            "-h",
            "127.0.0.1",
            "-p",
            str(tools_server.port),
            "-t",
            "ping,set,get",
            "-n",
            "2000",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for test in ("PING_INLINE", "PING_MBULK", "SET", "GET"):
        assert f"{test}: " in output and "requests per second" in output, output
    assert "ERR" not in output and "rror" not in output, output
    assert tools_server.client().dbsize() >= 1  # SET really wrote key:__rand_int__


@pytest.mark.skipif(CLI is None, reason="redis-cli is not installed (apt install redis-tools)")
def test_redis_cli_basic_usage(tools_server: FerriteProcess) -> None:
    assert cli(tools_server, "ping") == "PONG\n"
    assert cli(tools_server, "set", "greeting", "hello world") == "OK\n"
    assert cli(tools_server, "get", "greeting") == "hello world\n"
    assert cli(tools_server, "incrby", "n", "5") == "5\n"
    assert cli(tools_server, "config", "get", "maxclients") == "maxclients\n10000\n"
    assert cli(tools_server, "get", "missing") == "\n"
    assert "redis_version:" in cli(tools_server, "info", "server")
    assert cli(tools_server, "nosuch").startswith("ERR unknown command 'nosuch'")
    assert "proto 3\n" in cli(tools_server, "-3", "hello", "3")  # RESP3 map, as redis-cli shows it
    # Commands on standard input, one per line, as scripts feed redis-cli.
    assert cli(tools_server, stdin="set a 1\nincr a\nget a\n") == "OK\n2\n2\n"


@pytest.mark.skipif(CLI is None, reason="redis-cli is not installed (apt install redis-tools)")
def test_redis_cli_pipe_mode(tools_server: FerriteProcess) -> None:
    commands = "".join(f"SET pipe:{i} {i}\r\n" for i in range(1000))
    output = cli(tools_server, "--pipe", stdin=commands)
    assert "errors: 0, replies: 1000" in output, output
    assert cli(tools_server, "get", "pipe:999") == "999\n"
