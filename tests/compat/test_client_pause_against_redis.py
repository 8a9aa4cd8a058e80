"""CLIENT PAUSE / UNPAUSE, differential against redis-server: the same errors, which commands
wait (their client shows as blocked) and which run, and the replies once the pause ends."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess

#: Long enough never to end by itself during a test: every test ends it with CLIENT UNPAUSE.
LONG_MS = "60000"


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    theirs = reference_redis("--databases", "17")  # a server of its own: we pause it
    with FerriteProcess(modules=[]) as proc:
        yield theirs, proc.port


@pytest.fixture
def both(ports: tuple[int, int]) -> Iterator[list[redis.Redis]]:
    clients = [redis.Redis(port=port) for port in ports]
    for client in clients:
        client.flushall()
    yield clients
    for client in clients:
        client.execute_command("CLIENT", "UNPAUSE")
        client.close()


def _frame(*args: bytes | str) -> bytes:
    words = [a.encode() if isinstance(a, str) else a for a in args]
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)


class RawClient:
    """A socket sending commands and reading whole replies, to see what waits."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def send(self, *args: bytes | str) -> None:
        self.sock.sendall(_frame(*args))

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def close(self) -> None:
        self.sock.close()


def _blocked(client: redis.Redis) -> int:
    return int(client.info("clients")["blocked_clients"])


def _wait_blocked(client: redis.Redis, count: int) -> None:
    deadline = time.monotonic() + 10
    while _blocked(client) != count:
        assert time.monotonic() < deadline, f"expected {count} blocked clients"
        time.sleep(0.01)


def _reply(client: redis.Redis, *args: str) -> object:
    try:
        return client.execute_command(*args)
    except redis.ResponseError as exc:
        return f"ERR:{exc}"


@pytest.mark.parametrize(
    "args",
    [
        ["CLIENT", "PAUSE"],
        ["CLIENT", "PAUSE", "abc"],
        ["CLIENT", "PAUSE", "-1"],
        ["CLIENT", "PAUSE", "1.5"],
        ["CLIENT", "PAUSE", "10", "foo"],
        ["CLIENT", "PAUSE", "10", "WRITE", "extra"],
        ["CLIENT", "PAUSE", "10", "write", "extra"],
        ["CLIENT", "UNPAUSE", "x"],
        ["CLIENT", "UNPAUSE"],
        ["CLIENT", "PAUSE", "0"],
        ["CLIENT", "PAUSE", "0", "write"],
    ],
)
def test_errors_and_replies(both: list[redis.Redis], args: list[str]) -> None:
    theirs, ours = (_reply(client, *args) for client in both)
    assert ours == theirs


LIBRARY = """#!lua name=pauselib
redis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}
redis.register_function('rw', function() return 2 end)
"""

#: (command, runs during a WRITE pause)
WRITE_PAUSE = [
    (["GET", "k"], True),
    (["SET", "k", "w"], False),
    (["PUBLISH", "c", "m"], False),
    (["SPUBLISH", "c", "m"], False),
    (["PFCOUNT", "h"], False),
    (["EVAL", "return 1", "0"], False),
    (["EVAL_RO", "return 1", "0"], True),
    (["EVAL", "#!lua flags=no-writes\nreturn 1", "0"], True),
    (["FCALL", "f", "0"], False),
    (["FCALL_RO", "f", "0"], True),
    (["FCALL", "ro", "0"], True),
    (["FCALL", "rw", "0"], False),
    (["EVALSHA", "{no_writes}", "0"], True),
    (["EVALSHA", "{plain}", "0"], False),
    (["SCRIPT", "LOAD", "return 2"], True),
    (["SORT", "l"], False),
    (["SORT_RO", "l"], True),
    (["FLUSHALL"], False),
    (["EXPIRE", "k", "100"], False),
    (["GETEX", "k"], False),
    (["BLPOP", "nolist", "0"], False),
    (["PING"], True),
    (["DBSIZE"], True),
    (["WAIT", "0", "0"], True),
    (["INCR"], True),  # arity errors are answered at once
    (["NOSUCH"], True),
]


def test_write_pause_holds_what_may_write(both: list[redis.Redis], ports: tuple[int, int]) -> None:
    outcomes: list[list[tuple[str, object]]] = []
    for client, port in zip(both, ports, strict=True):
        client.set("k", "v")
        client.rpush("l", "1")
        client.function_load(LIBRARY, replace=True)
        shas = {
            "no_writes": client.script_load("#!lua flags=no-writes\nreturn 3"),
            "plain": client.script_load("return 4"),
        }
        assert client.execute_command("CLIENT", "PAUSE", LONG_MS, "WRITE") == b"OK"
        seen: list[tuple[str, object]] = []
        raws = []
        for template, runs in WRITE_PAUSE:
            args = [word.format(**shas) for word in template]
            raw = RawClient(port)
            raws.append(raw)
            before = _blocked(client)
            raw.send(*args)
            if runs:
                raw.send("ECHO", "end-of-reply")  # tells the first reply is complete
                data, marker = b"", b"$12\r\nend-of-reply\r\n"
                while not data.endswith(marker):
                    data += raw.sock.recv(65536)
                seen.append((args[0], data[: -len(marker)]))
            else:
                _wait_blocked(client, before + 1)
                flags = [c["flags"] for c in client.client_list() if c["cmd"] != "client|list"]
                seen.append((args[0], "b" in "".join(flags)))
        client.execute_command("CLIENT", "UNPAUSE")
        _wait_blocked(client, 1)  # only the BLPOP now waits, on its key
        for raw in raws:
            raw.close()
        outcomes.append(seen)
    theirs, ours = outcomes
    assert ours == theirs


def test_pipelined_commands_wait_behind_the_held_one(
    both: list[redis.Redis], ports: tuple[int, int]
) -> None:
    answers = []
    for client, port in zip(both, ports, strict=True):
        client.execute_command("CLIENT", "PAUSE", LONG_MS, "WRITE")
        first, second = RawClient(port), RawClient(port)
        first.send("MULTI")
        assert first.read(5) == b"+OK\r\n"
        first.send("SET", "k", "x")  # held although inside MULTI, as Redis
        first.send("EXEC")
        _wait_blocked(client, 1)
        second.send("SET", "k", "z")
        second.send("GET", "k")
        _wait_blocked(client, 2)
        listed = {c["cmd"]: c["flags"] for c in client.client_list()}
        client.execute_command("CLIENT", "UNPAUSE")
        answers.append((first.read(18), second.read(12), listed.get("set")))
        first.close()
        second.close()
    theirs, ours = answers
    assert ours == theirs
    assert ours[0] == b"+QUEUED\r\n*1\r\n+OK\r\n"


def test_all_pause_holds_every_command_until_it_ends(
    both: list[redis.Redis], ports: tuple[int, int]
) -> None:
    """Under ALL even CLIENT UNPAUSE waits, so this pause ends by its own timeout."""
    answers = []
    for client, port in zip(both, ports, strict=True):
        client.set("k", "v")
        raw = RawClient(port)
        client.execute_command("CLIENT", "PAUSE", "300", "ALL")
        raw.send("NOSUCH")  # answered at once: the lookup comes first
        raw.send("CLIENT", "UNPAUSE")
        raw.send("GET", "k")
        answers.append(
            raw.read(len(b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n"))
        )
        answers.append(raw.read(len(b"+OK\r\n$1\r\nv\r\n")))
        raw.close()
    assert answers[2:] == answers[:2]


def test_expiry_waits_for_the_pause(both: list[redis.Redis]) -> None:
    """A key past its time reads as missing but is not deleted while paused."""
    for client in both:
        client.set("kept", "1")
        client.set("gone", "1", px=1000)
        client.execute_command("CLIENT", "PAUSE", LONG_MS, "WRITE")
        while client.pttl("gone") > 0:  # -2 once its time is up
            time.sleep(0.01)
        assert client.get("gone") is None
        assert client.dbsize() == 2
        client.execute_command("CLIENT", "UNPAUSE")
        assert client.get("gone") is None
        assert client.dbsize() == 1


def test_eviction_waits_for_the_pause(both: list[redis.Redis]) -> None:
    """Over maxmemory while paused nothing is evicted; the first command after evicts."""
    counts = []
    for client in both:
        client.mset({f"key:{n}": "x" * 100 for n in range(100)})
        client.config_set("maxmemory-policy", "allkeys-random")
        client.execute_command("CLIENT", "PAUSE", LONG_MS, "WRITE")
        try:
            client.config_set("maxmemory", "1")
            during = client.dbsize()
            client.execute_command("CLIENT", "UNPAUSE")
            after = client.dbsize()
        finally:
            client.config_set("maxmemory", "0")
            client.config_set("maxmemory-policy", "noeviction")
        counts.append((during, after))
    theirs, ours = counts
    assert ours == theirs == (100, 0)
