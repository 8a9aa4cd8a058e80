"""Differential tests of the blocking commands: the same scenario, over raw sockets, against
a real redis-server and Ferrite, comparing the exact reply bytes (RESP2 and RESP3), with
real waits that are each well under two seconds."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from ferrite_host.testing import FerriteProcess

#: How long a test waits for a client to show up as blocked before giving up.
SETTLE = 1.5


class Raw:
    """A client speaking RESP over a socket, returning each reply's bytes unparsed."""

    def __init__(self, port: int, protocol: int = 2) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        self.file = self.sock.makefile("rb")
        if protocol == 3:
            self.call("HELLO", "3")

    def send(self, *args: str | bytes) -> None:
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode() if isinstance(arg, str) else arg
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(parts))

    def read(self) -> bytes:
        line = self.file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind in (b"$", b"="):
            size = int(rest)
            return line if size < 0 else line + self.file.read(size + 2)
        if kind in (b"*", b"~", b">", b"%", b"|"):
            count = int(rest)
            if kind in (b"%", b"|"):
                count *= 2
            return line + b"".join(self.read() for _ in range(max(count, 0)))
        return line

    def call(self, *args: str | bytes) -> bytes:
        self.send(*args)
        return self.read()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def blocked_clients(control: Raw) -> int:
    info = control.call("INFO", "clients")
    for line in info.split(b"\r\n"):
        if line.startswith(b"blocked_clients:"):
            return int(line.split(b":")[1])
    raise AssertionError(info)


def await_blocked(control: Raw, count: int) -> None:
    deadline = time.monotonic() + SETTLE
    while blocked_clients(control) != count:
        assert time.monotonic() < deadline, f"never saw {count} blocked clients"
        time.sleep(0.01)


Scenario = Callable[[int], list[bytes]]


@pytest.fixture(scope="module")
def ports(reference_redis: Callable[..., int]) -> Iterator[tuple[int, int]]:
    with FerriteProcess(modules=[]) as proc:
        yield reference_redis(), proc.port


def same_on_both(ports: tuple[int, int], scenario: Scenario) -> list[bytes]:
    """Run `scenario` (port -> transcript) on both servers, each from an empty keyspace."""
    transcripts = []
    for port in ports:
        control = Raw(port)
        control.call("FLUSHALL")
        control.close()
        transcripts.append(scenario(port))
    assert transcripts[1] == transcripts[0]
    return transcripts[0]


def test_served_at_once_when_data_is_there(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        out = []
        for protocol in (2, 3):
            c = Raw(port, protocol)
            for cmd in (
                "RPUSH l a b c d e f",
                "BLPOP nothing l 1",
                "BRPOP l 1",
                "BLMOVE l d LEFT RIGHT 1",
                "BRPOPLPUSH l d 0.5",
                "BLMPOP 1 2 x l LEFT COUNT 5",
                "EXISTS l",
                "LRANGE d 0 -1",
                "ZADD z 1 a 2 b 3 c 4 d",
                "BZPOPMIN nothing z 1",
                "BZPOPMAX z 0",
                "BZMPOP 1 1 z MIN COUNT 5",
                "EXISTS z",
                "DEL d",
            ):
                out.append(c.call(*cmd.split()))
            c.close()
        return out

    same_on_both(ports, scenario)


def test_timeouts_answer_the_null_of_each_protocol(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        out = []
        for protocol in (2, 3):
            c = Raw(port, protocol)
            for cmd in (
                "BLPOP a b 0.05",
                "BRPOP a 0.05",
                "BLMOVE a b LEFT LEFT 0.05",
                "BRPOPLPUSH a b 0.05",
                "BLMPOP 0.05 1 a RIGHT",
                "BZPOPMIN a 0.05",
                "BZPOPMAX a 0.05",
                "BZMPOP 0.05 2 a b MAX",
                "WAIT 0 0",
                "WAIT 1 50",
            ):
                out.append(c.call(*cmd.split()))
            c.close()
        return out

    transcript = same_on_both(ports, scenario)
    assert transcript[0] == b"*-1\r\n" and transcript[10] == b"_\r\n"


def test_errors(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        c = Raw(port)
        out = [c.call("SET", "s", "x"), c.call("ZADD", "z", "1", "m")]
        for cmd in (
            "BLPOP a abc",
            "BLPOP a -1",
            "BLPOP a inf",
            "BLPOP a 1e300",
            "BLPOP a nan",
            "BLPOP a ' 1'",
            "BLPOP s 0",
            "BLPOP a s 0",
            "BZPOPMIN s 0",
            "BZPOPMIN z abc",
            "BLMOVE a b UP LEFT 0",
            "BLMOVE s b LEFT LEFT 0",
            "BLMOVE a b LEFT LEFT -0.5",
            "BLMPOP 0 0 a LEFT",
            "BLMPOP abc 1 a LEFT",
            "BLMPOP 0 1 a LEFT COUNT 0",
            "BLMPOP 0 1 a MIDDLE",
            "BZMPOP 0 1 z SIDEWAYS",
            "BZMPOP 0 1 s MIN",
            "BLPOP a",
            "WAIT 0 abc",
            "WAIT abc 0",
            "WAIT 0 -1",
            "CLIENT UNBLOCK abc",
            "CLIENT UNBLOCK 1 FOO",
            "CLIENT UNBLOCK 999999",
        ):
            out.append(c.call(*cmd.split()))
        c.close()
        return out

    same_on_both(ports, scenario)


def test_first_come_first_served_across_three_clients(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        control = Raw(port)
        waiters = [Raw(port) for _ in range(3)]
        for count, waiter in enumerate(waiters, 1):
            waiter.send("BLPOP", "q", "2")
            await_blocked(control, count)
        out = [control.call("RPUSH", "q", "a", "b", "c", "d")]
        out += [waiter.read() for waiter in waiters]
        out.append(control.call("LRANGE", "q", "0", "-1"))
        for client in (control, *waiters):
            client.close()
        return out

    same_on_both(ports, scenario)


WAKERS = [
    ["LPUSH q x"],
    ["RPUSH q x y"],
    ["RPUSH src x", "LMOVE src q LEFT RIGHT"],
    ["MULTI", "RPUSH q x", "RPUSH q y", "EXEC"],
    ["EVAL", "redis.call('rpush', KEYS[1], 'x'); return 1", "1", "q"],
]


@pytest.mark.parametrize("wake", WAKERS, ids=["lpush", "rpush", "lmove", "exec", "eval"])
def test_woken_by_writes_from_any_source(ports: tuple[int, int], wake: list[str]) -> None:
    def scenario(port: int) -> list[bytes]:
        control, waiter = Raw(port), Raw(port)
        waiter.send("BLPOP", "q", "2")
        await_blocked(control, 1)
        if wake[0] == "EVAL":
            out = [control.call(*wake)]
        else:
            out = [control.call(*cmd.split()) for cmd in wake]
        out += [waiter.read(), control.call("LRANGE", "q", "0", "-1")]
        out.append(control.call("INFO", "clients").count(b"blocked_clients:0"))
        control.close()
        waiter.close()
        return out

    same_on_both(ports, scenario)


def test_sorted_set_and_move_wake_ups_in_resp3(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        control, waiter = Raw(port), Raw(port, 3)
        out = []
        for blocking, wake in (
            ("BZPOPMIN z 2", "ZADD z 1.5 m"),
            ("BZMPOP 2 1 z MAX COUNT 3", "ZADD z 3 o 4 p"),
            ("BLMOVE a b RIGHT LEFT 2", "RPUSH a 1"),
            ("BLMPOP 2 2 x a LEFT COUNT 5", "RPUSH a 3 4"),
        ):
            waiter.send(*blocking.split())
            await_blocked(control, 1)
            out += [control.call(*wake.split()), waiter.read()]
        out += [control.call("LRANGE", "b", "0", "-1"), control.call("ZRANGE", "z", "0", "-1")]
        control.close()
        waiter.close()
        return out

    same_on_both(ports, scenario)


def test_multi_and_scripts_never_block(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        out = []
        for protocol in (2, 3):
            c = Raw(port, protocol)
            for cmd in ("MULTI", "BLPOP a 0", "BLMOVE a b LEFT LEFT 0", "BZPOPMIN a 0", "EXEC"):
                out.append(c.call(*cmd.split()))
            out.append(c.call("EVAL", "return redis.pcall('blpop', 'a', 0)", "0"))
            c.close()
        return out

    same_on_both(ports, scenario)


@pytest.mark.parametrize("mode", ["TIMEOUT", "ERROR"])
def test_client_unblock(ports: tuple[int, int], mode: str) -> None:
    def scenario(port: int) -> list[bytes]:
        control, waiter = Raw(port), Raw(port)
        client_id = waiter.call("CLIENT", "ID")[1:-2]
        out = [control.call("CLIENT", "UNBLOCK", client_id, mode)]  # not blocked yet: 0
        waiter.send("BLPOP", "q", "0")
        await_blocked(control, 1)
        out += [control.call("CLIENT", "UNBLOCK", client_id, mode), waiter.read()]
        out += [waiter.call("PING"), control.call("RPUSH", "q", "x"), control.call("LLEN", "q")]
        control.close()
        waiter.close()
        return out

    same_on_both(ports, scenario)


def test_commands_sent_after_a_blocking_one_wait_for_it(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        control, waiter = Raw(port), Raw(port)
        waiter.sock.sendall(b"BLPOP q 2\r\nRPUSH r 1\r\nPING\r\n")
        await_blocked(control, 1)
        out = [control.call("EXISTS", "r"), control.call("RPUSH", "q", "x")]
        out += [waiter.read(), waiter.read(), waiter.read()]
        control.close()
        waiter.close()
        return out

    same_on_both(ports, scenario)


def test_a_client_that_leaves_is_forgotten(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        control, first, second = Raw(port), Raw(port), Raw(port)
        first.send("BLPOP", "q", "2")
        await_blocked(control, 1)
        second.send("BLPOP", "q", "2")
        await_blocked(control, 2)
        first.close()
        await_blocked(control, 1)
        out = [control.call("RPUSH", "q", "x", "y"), second.read()]
        out.append(control.call("LRANGE", "q", "0", "-1"))
        control.close()
        second.close()
        return out

    same_on_both(ports, scenario)


def test_wake_ups_that_cannot_serve_or_serve_another_key(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        control, waiter = Raw(port), Raw(port)
        out = []
        waiter.send("BLPOP", "k1", "k2", "2")
        await_blocked(control, 1)
        out += [control.call("RPUSH", "k2", "x"), waiter.read()]
        waiter.send("BLPOP", "q", "2")
        await_blocked(control, 1)
        out += [control.call("SET", "q", "string"), control.call("DEL", "q")]
        out += [control.call("RPUSH", "q", "y"), waiter.read()]
        out.append(control.call("SET", "dst", "string"))
        waiter.send("BLMOVE", "src", "dst", "LEFT", "LEFT", "2")
        await_blocked(control, 1)
        out += [control.call("RPUSH", "src", "z"), waiter.read(), control.call("LLEN", "src")]
        control.close()
        waiter.close()
        return out

    same_on_both(ports, scenario)


def test_client_list_flags_a_blocked_client(ports: tuple[int, int]) -> None:
    def scenario(port: int) -> list[bytes]:
        control, waiter = Raw(port), Raw(port)
        client_id = waiter.call("CLIENT", "ID")[1:-2].decode()
        waiter.send("BLPOP", "q", "2")
        await_blocked(control, 1)
        listing = control.call("CLIENT", "LIST", "ID", client_id).decode()
        flags = [part for part in listing.split() if part.startswith(("flags=", "cmd="))]
        out = [" ".join(flags).encode(), control.call("RPUSH", "q", "x"), waiter.read()]
        control.close()
        waiter.close()
        return out

    same_on_both(ports, scenario)
