"""SLOWLOG, LATENCY, MONITOR and their settings, differential against redis-server: the same
exchanges on both, every reply compared once the parts no two runs share (timestamps,
durations, client ports, entry ids) are normalised. Skipped without redis-server."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import hiredis
import pytest

from ferrite_host.testing import FerriteProcess

Argv = list[str | bytes]


class Client:
    """A raw connection that shows replies exactly as sent (errors as ("error", text))."""

    def __init__(self, port: int, protocol: int = 2) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.reader = hiredis.Reader()
        if protocol == 3:
            self.call("HELLO", "3")

    def send(self, *argv: str | bytes) -> None:
        args = [a if isinstance(a, bytes) else a.encode() for a in argv]
        frame = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
        self.sock.sendall(frame)

    def read(self) -> Any:
        while True:
            reply = self.reader.gets()
            if reply is not False:
                return ("error", str(reply)) if isinstance(reply, hiredis.ReplyError) else reply
            data = self.sock.recv(65536)
            if not data:
                return "<closed>"
            self.reader.feed(data)

    def call(self, *argv: str | bytes) -> Any:
        self.send(*argv)
        return self.read()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    theirs = reference_redis("--enable-debug-command", "yes")
    with FerriteProcess("--enable-debug-command", "yes", modules=[]) as ours:
        yield theirs, ours.port


def _both(ports: tuple[int, int], scenario: Callable[[int], Any]) -> None:
    theirs, ours = ports
    assert scenario(ours) == scenario(theirs)


_PEER = re.compile(rb"^127\.0\.0\.1:\d+$")


def _entries(reply: Any) -> Any:
    """Slow log entries with ids relative to the newest, time and duration checked and
    dropped, the client port hidden."""
    if not isinstance(reply, list):
        return reply
    out = []
    newest = reply[0][0] if reply else 0
    for entry_id, stamp, micros, argv, peer, name in reply:
        assert abs(stamp - time.time()) < 60 and micros >= 0
        out.append([newest - entry_id, argv, _PEER.sub(b"127.0.0.1:*", peer), name])
    return out


LONG_ARG = b"x" * 200
MANY_ARGS: Argv = ["MSET", *(f"k{i // 2}" if i % 2 == 0 else "v" for i in range(44))]


@pytest.mark.parametrize("protocol", [2, 3])
def test_slowlog_like_redis(ports: tuple[int, int], protocol: int) -> None:
    def scenario(port: int) -> list[Any]:
        admin = Client(port)
        admin.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
        admin.call("SLOWLOG", "RESET")
        client = Client(port, protocol)
        steps: list[Argv] = [
            ["CLIENT", "SETNAME", "tester"],
            ["SET", "k", LONG_ARG],
            MANY_ARGS,
            ["AUTH", "secret"],
            ["AUTH", "user", "secret"],
            ["HELLO", str(protocol), "AUTH", "nobody", "nope"],
            ["MULTI"],
            ["GET", "k"],
            ["EXEC"],
            ["NOSUCHCOMMAND"],
            ["GET"],
        ]
        replies = [client.call(*argv) for argv in steps]
        replies.append(_entries(client.call("SLOWLOG", "GET", "-1")))
        replies.append(_entries(client.call("SLOWLOG", "GET", "2")))
        for argv in (
            ["SLOWLOG", "GET", "0"],
            ["SLOWLOG", "GET", "-2"],
            ["SLOWLOG", "GET", "x"],
            ["SLOWLOG", "GET", "1", "2"],
            ["SLOWLOG", "LEN"],
            ["SLOWLOG", "LEN", "x"],
            ["SLOWLOG", "NOPE"],
            ["SLOWLOG", "HELP"],
            ["CONFIG", "SET", "slowlog-max-len", "3"],
            ["PING"],
            ["PING"],
            ["SLOWLOG", "LEN"],
            ["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
            ["SLOWLOG", "RESET"],
            ["PING"],
            ["SLOWLOG", "LEN"],
        ):
            replies.append(client.call(*argv))
        admin.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        admin.call("CONFIG", "SET", "slowlog-max-len", "128")
        admin.call("SLOWLOG", "RESET")
        client.close()
        admin.close()
        return replies

    _both(ports, scenario)


def test_slowlog_and_latency_settings_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        client = Client(port)
        steps: list[Argv] = [
            ["CONFIG", "GET", "slowlog*"],
            ["CONFIG", "GET", "latency-monitor-threshold"],
            ["CONFIG", "SET", "slowlog-log-slower-than", "-2"],
            ["CONFIG", "SET", "slowlog-log-slower-than", "x"],
            ["CONFIG", "SET", "slowlog-max-len", "-1"],
            ["CONFIG", "SET", "latency-monitor-threshold", "-1"],
            ["CONFIG", "SET", "watchdog-period", "-1"],
            ["CONFIG", "SET", "watchdog-period", "5"],
            ["CONFIG", "GET", "watchdog-period"],
            ["CONFIG", "GET", "watchdog*"],
            ["CONFIG", "SET", "watchdog-period", "0"],
            ["CONFIG", "GET", "watchdog-period"],
        ]
        replies = [_pairs(client.call(*argv)) for argv in steps]
        client.close()
        return replies

    _both(ports, scenario)


def _pairs(reply: Any) -> Any:
    """A CONFIG GET reply in name order (Redis lists its parameters in hash order)."""
    if not isinstance(reply, list):
        return reply
    return sorted(zip(reply[::2], reply[1::2], strict=True))


def _latest(reply: Any) -> Any:
    """LATENCY LATEST with each event's time checked and its latencies reduced to whether
    they reached the 100 ms that DEBUG SLEEP 0.1 takes."""
    if not isinstance(reply, list):
        return reply
    out = []
    for name, stamp, latest, worst in sorted(reply):
        assert abs(stamp - time.time()) < 60
        out.append([name, latest >= 100, worst >= latest])
    return out


@pytest.mark.parametrize("protocol", [2, 3])
def test_latency_like_redis(ports: tuple[int, int], protocol: int) -> None:
    def scenario(port: int) -> list[Any]:
        client = Client(port, protocol)
        replies: list[Any] = []
        for argv in (
            ["LATENCY", "RESET"],
            ["LATENCY", "DOCTOR"],
            ["LATENCY", "LATEST"],
            ["LATENCY", "HISTORY", "command"],
            ["LATENCY", "GRAPH", "command"],
            ["LATENCY", "NOPE"],
            ["LATENCY", "HISTORY"],
            ["CONFIG", "SET", "latency-monitor-threshold", "50"],
            ["LATENCY", "DOCTOR"],
            ["DEBUG", "SLEEP", "0.1"],
            ["GET", "missing"],
        ):
            replies.append(client.call(*argv))
        replies.append(_latest(client.call("LATENCY", "LATEST")))
        history = client.call("LATENCY", "HISTORY", "command")
        replies.append([[abs(stamp - time.time()) < 60, ms >= 100] for stamp, ms in history])
        for argv in (
            ["LATENCY", "RESET", "nope", "command", "command"],
            ["LATENCY", "RESET"],
            ["CONFIG", "SET", "latency-monitor-threshold", "0"],
        ):
            replies.append(client.call(*argv))
        client.close()
        return replies

    _both(ports, scenario)


def test_latency_help_is_redis_without_histogram(ports: tuple[int, int]) -> None:
    """LATENCY HISTOGRAM (per-command latency tracking) is not implemented; the rest of
    the help text is Redis's, word for word."""
    theirs, ours = (Client(port).call("LATENCY", "HELP") for port in ports)
    histogram = theirs.index(b"HISTOGRAM [COMMAND ...]")
    assert ours == theirs[:histogram] + theirs[histogram + 3 :]


_MONITOR_LINE = re.compile(rb"^\d+\.\d{6} \[(\d+) (127\.0\.0\.1:\d+|\?:0|lua)\] (.*)$", re.S)


def test_monitor_like_redis(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[Any]:
        watcher = Client(port)
        first = watcher.call("MONITOR")
        again = watcher.call("PING")  # a monitoring client may still run commands
        client = Client(port)
        steps: list[Argv] = [
            ["SET", b'k\x00"\n\xff y\\', "v"],
            ["HELLO", "2", "AUTH", "nobody", "nope"],
            ["AUTH", "x"],
            ["CONFIG", "SET", "slowlog-max-len", "128"],
            ["CLIENT", "SETNAME", "zz"],
            ["MULTI"],
            ["GET", "k"],
            ["EXEC"],
            ["DEBUG", "SLEEP", "0"],
            ["NOSUCH", "x"],
            ["GET"],
            ["SELECT", "3"],
            ["PING"],
            ["SLOWLOG", "HELP"],  # LEN would depend on timing (slowlog-log-slower-than)
            ["EVAL", "return redis.call('GET', KEYS[1])", "1", "k"],  # its GET shows as `lua`
            ["ECHO", "done"],
        ]
        replies = [client.call(*argv) for argv in steps]
        lines: list[Any] = []
        line: Any = b""
        while not (isinstance(line, bytes) and line.endswith(b'"ECHO" "done"')):
            line = watcher.read()
            match = _MONITOR_LINE.match(line) if isinstance(line, bytes) else None
            if match:
                who = match.group(2) if match.group(2) in (b"lua", b"?:0") else b"<address>"
                lines.append(("db", match.group(1), who, match.group(3)))
            else:
                lines.append(line)
            assert line != "<closed>"
        client.close()
        watcher.close()
        assert len(lines) > 10, lines
        return [first, again, replies, lines]

    _both(ports, scenario)
