"""Who may talk to the server: requirepass, protected mode, maxclients, idle timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ferrite_host.server.connection import DENIED
from ferrite_host.testing import FerriteProcess

RawFactory = Callable[..., Any]
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


@pytest.fixture(scope="module")
def auth_server() -> Iterator[FerriteProcess]:
    with FerriteProcess("--requirepass", "s3cret", modules=[]) as proc:
        yield proc


@pytest.fixture(scope="module")
def limits_server() -> Iterator[FerriteProcess]:
    with FerriteProcess("--maxclients", "3", modules=[]) as proc:
        yield proc


# -- requirepass -----------------------------------------------------------------------------


def test_every_command_but_auth_hello_quit_needs_auth(
    auth_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    raw = raw_factory(auth_server.port)
    raw.send(b"PING\r\nGET k\r\nCONFIG GET maxclients\r\nCLIENT ID\r\n")
    raw.expect(NOAUTH * 4)
    raw.send(b"AUTH wrong\r\nPING\r\nAUTH s3cret\r\nPING\r\n")
    raw.expect(WRONGPASS + NOAUTH + b"+OK\r\n+PONG\r\n")


def test_unknown_command_and_arity_errors_come_before_noauth(
    auth_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    raw = raw_factory(auth_server.port)
    raw.send(b"FOOBAR x\r\nGET\r\nCONFIG NOPE\r\nGET k\r\n")
    raw.expect(
        b"-ERR unknown command 'FOOBAR', with args beginning with: 'x' \r\n"
        b"-ERR wrong number of arguments for 'get' command\r\n"
        b"-ERR unknown subcommand 'NOPE'. Try CONFIG HELP.\r\n" + NOAUTH
    )


def test_auth_with_user_name(auth_server: FerriteProcess, raw_factory: RawFactory) -> None:
    raw = raw_factory(auth_server.port)
    raw.send(b"AUTH bob s3cret\r\nAUTH default s3cret\r\nAUTH a b c\r\n")
    raw.expect(WRONGPASS + b"+OK\r\n-ERR syntax error\r\n")


def test_hello_needs_auth_or_authenticates(
    auth_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    raw = raw_factory(auth_server.port)
    raw.send(b"HELLO 3\r\nHELLO 3 AUTH default nope\r\nPING\r\n")
    raw.expect(
        b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        b"HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
        b"the RESP protocol version at the same time\r\n" + WRONGPASS + NOAUTH
    )
    raw.send(b"HELLO 3 AUTH default s3cret\r\nPING\r\n")
    assert raw.read_until(b"+PONG\r\n").startswith(b"%7\r\n")


def test_quit_needs_no_auth(auth_server: FerriteProcess, raw_factory: RawFactory) -> None:
    raw = raw_factory(auth_server.port)
    raw.send(b"QUIT\r\n")
    assert raw.read_until_closed() == b"+OK\r\n"


def test_unauthenticated_clients_get_tight_frame_limits(
    auth_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    many = raw_factory(auth_server.port)
    many.send(b"*11\r\n")
    assert many.read_until_closed() == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    big = raw_factory(auth_server.port)
    big.send(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n")
    assert big.read_until_closed() == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    authed = raw_factory(auth_server.port)
    authed.send(b"AUTH s3cret\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n" + b"x" * 16385 + b"\r\n")
    authed.expect(b"+OK\r\n+OK\r\n")


def test_redis_py_with_password(auth_server: FerriteProcess) -> None:
    with pytest.raises(redis.AuthenticationError):
        auth_server.client(password="wrong", retry=Retry(NoBackoff(), 0)).ping()
    for protocol in (2, 3):
        client = auth_server.client(password="s3cret", protocol=protocol)
        assert client.ping() is True
        client.close()


def test_config_set_requirepass(auth_server: FerriteProcess, raw_factory: RawFactory) -> None:
    admin = auth_server.client(password="s3cret")
    waiting = raw_factory(auth_server.port)
    waiting.send(b"PING\r\n")
    waiting.expect(NOAUTH)
    try:
        admin.config_set("requirepass", "n3w")
        assert admin.ping() is True  # already authenticated connections stay so
        fresh = raw_factory(auth_server.port)
        fresh.send(b"AUTH s3cret\r\nAUTH n3w\r\nPING\r\n")
        fresh.expect(WRONGPASS + b"+OK\r\n+PONG\r\n")
        admin.config_set("requirepass", "")
        waiting.send(b"PING\r\n")  # no password: the default user needs none
        waiting.expect(b"+PONG\r\n")
    finally:
        admin.config_set("requirepass", "s3cret")
        admin.close()


def test_auth_without_configured_password(
    limits_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    raw = raw_factory(limits_server.port)
    raw.send(b"AUTH x\r\nAUTH a b c\r\nHELLO 3 AUTH default anything\r\nPING\r\n")
    raw.expect(
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n-ERR syntax error\r\n"
    )
    assert raw.read_until(b"+PONG\r\n").startswith(b"%7\r\n")


# -- protected mode --------------------------------------------------------------------------


def _can_use_127_0_0_2() -> bool:
    """Linux routes all of 127/8 to loopback; some systems only have 127.0.0.1."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
    except OSError:
        return False
    return True


needs_second_loopback = pytest.mark.skipif(
    not _can_use_127_0_0_2(), reason="127.0.0.2 is not a usable loopback address here"
)


@needs_second_loopback
def test_protected_mode_denies_non_loopback_peers(
    limits_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    denied = raw_factory(limits_server.port, source="127.0.0.2")
    assert denied.read_until_closed() == b"-" + DENIED.encode() + b"\r\n"
    local = raw_factory(limits_server.port)
    local.send(b"CONFIG SET protected-mode no\r\n")
    local.expect(b"+OK\r\n")
    try:
        allowed = raw_factory(limits_server.port, source="127.0.0.2")
        allowed.send(b"PING\r\n")
        allowed.expect(b"+PONG\r\n")
        allowed.close()
    finally:
        local.send(b"CONFIG SET protected-mode yes\r\n")
        local.expect(b"+OK\r\n")
        local.close()


@needs_second_loopback
def test_protected_mode_is_off_while_a_password_is_set(
    auth_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    remote = raw_factory(auth_server.port, source="127.0.0.2")
    remote.send(b"PING\r\n")
    remote.expect(NOAUTH)


# -- maxclients and timeout ------------------------------------------------------------------


def _connected(raw: Any) -> None:
    raw.send(b"PING\r\n")
    raw.expect(b"+PONG\r\n")


def test_maxclients(limits_server: FerriteProcess, raw_factory: RawFactory) -> None:
    clients = [raw_factory(limits_server.port) for _ in range(3)]
    for client in clients:
        _connected(client)
    refused = raw_factory(limits_server.port)
    assert refused.read_until_closed() == b"-ERR max number of clients reached\r\n"
    clients[0].send(b"INFO stats\r\n")
    assert b"rejected_connections:1\r\n" in clients[0].read_bulk()
    clients.pop().close()
    deadline = time.monotonic() + 5
    while True:  # the server notices the close asynchronously
        replacement = raw_factory(limits_server.port)
        replacement.send(b"PING\r\n")
        if replacement.read_lines(1) == b"+PONG\r\n" or time.monotonic() > deadline:
            break
    clients[0].send(b"CLIENT LIST\r\n")
    assert clients[0].read_bulk().count(b"id=") == 3


def test_idle_clients_are_closed_after_timeout(
    limits_server: FerriteProcess, raw_factory: RawFactory
) -> None:
    admin = limits_server.client()
    admin.config_set("timeout", "1")
    try:
        idle = raw_factory(limits_server.port)
        _connected(idle)
        busy = raw_factory(limits_server.port)
        start = time.monotonic()
        assert not idle.is_closed(wait=0.6)
        while time.monotonic() - start < 3.0:
            _connected(busy)
            if idle.is_closed(wait=0.3):
                break
        elapsed = time.monotonic() - start
        assert 0.9 < elapsed < 3.0
        _connected(busy)  # kept alive by its traffic
    finally:
        admin.config_set("timeout", "0")
        admin.close()
