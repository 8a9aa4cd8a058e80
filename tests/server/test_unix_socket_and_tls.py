"""The unix socket and TLS listeners, through redis-py and redis-cli.

TLS certificates (a CA, a server and a client certificate) are made at test time with the
`openssl` command; nothing secret is kept in the repository."""

from __future__ import annotations

import shutil
import socket
import ssl
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ferrite_host.testing import FerriteProcess, free_port

OPENSSL = shutil.which("openssl")
REDIS_CLI = shutil.which("redis-cli")


def _wait_for_file(path: Path, proc: FerriteProcess) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.proc is not None and proc.proc.poll() is None, proc.log()
        assert time.monotonic() < deadline, "the unix socket never appeared"
        time.sleep(0.05)


# -- unix socket ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FerriteProcess, Path]]:
    path = tmp_path_factory.mktemp("sock") / "ferrite.sock"
    with FerriteProcess("--unixsocket", str(path), "--unixsocketperm", "700", modules=[]) as proc:
        yield proc, path


def test_redis_py_connects_over_the_unix_socket(
    unix_server: tuple[FerriteProcess, Path],
) -> None:
    proc, path = unix_server
    client = redis.Redis(unix_socket_path=str(path))
    assert client.set("over", "unix")
    assert proc.client().get("over") == b"unix"  # TCP still works beside it
    info = client.client_info()
    assert info["addr"] == f"{path}:0"
    assert info["laddr"] == f"{path}:0"
    assert info["flags"] == "U"
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert client.config_get("unixsocket*") == {"unixsocket": str(path), "unixsocketperm": "700"}
    client.close()


def test_unix_socket_settings_are_immutable(unix_server: tuple[FerriteProcess, Path]) -> None:
    client = unix_server[0].client()
    for name, value in (("unixsocket", "/tmp/other.sock"), ("unixsocketperm", "777")):
        with pytest.raises(redis.ResponseError) as error:
            client.config_set(name, value)
        assert str(error.value) == (
            f"CONFIG SET failed (possibly related to argument '{name}') - "
            "can't set immutable config"
        )


@pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")
def test_redis_cli_connects_over_the_unix_socket(
    unix_server: tuple[FerriteProcess, Path],
) -> None:
    assert REDIS_CLI is not None
    out = subprocess.run(
        [REDIS_CLI, "-s", str(unix_server[1]), "PING"], capture_output=True, timeout=30
    )
    assert out.stdout.strip() == b"PONG"


def test_port_0_listens_on_the_unix_socket_only_and_removes_it_at_shutdown(
    tmp_path: Path,
) -> None:
    path = tmp_path / "only.sock"
    proc = FerriteProcess("--port", "0", "--unixsocket", str(path), modules=[])
    proc.start(wait=False)
    try:
        _wait_for_file(path, proc)
        client = redis.Redis(unix_socket_path=str(path))
        deadline = time.monotonic() + 60
        while True:
            try:
                assert client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert client.config_get("port") == {"port": "0"}
        assert client.info("server")["tcp_port"] == 0
        with pytest.raises(redis.ConnectionError):
            redis.Redis(port=proc.port, socket_connect_timeout=2).ping()
        client.close()
    finally:
        proc.stop()
    assert not path.exists()
    assert "Removing the unix socket file." in proc.log()


def test_nowhere_to_listen_stops_start_up() -> None:
    proc = FerriteProcess("--port", "0", modules=[])
    proc.start(wait=False)
    assert proc.proc is not None
    assert proc.proc.wait(60) == 1
    assert "Configured to not listen anywhere, exiting." in proc.log()


# -- TLS ------------------------------------------------------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    assert OPENSSL is not None
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _signed(name: str, cn: str, cwd: Path) -> None:
    """An EC key and a certificate for it signed by the test CA."""
    _openssl(
        "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=cwd,
    )  # fmt: skip
    (cwd / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext",
        cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed")
    cwd = tmp_path_factory.mktemp("tls")
    _openssl(
        "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:prime256v1", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=Ferrite Test CA", cwd=cwd,
    )  # fmt: skip
    _signed("server", "localhost", cwd)
    _signed("client", "ferrite-test-client", cwd)
    _openssl(
        "pkey", "-in", "server.key", "-aes256", "-passout", "pass:s3cret",
        "-out", "server-protected.key", cwd=cwd,
    )  # fmt: skip
    return cwd


def _tls_args(certs: Path, port: int, *more: str) -> list[str]:
    return [
        "--tls-port", str(port),
        "--tls-cert-file", str(certs / "server.crt"),
        "--tls-key-file", str(certs / "server.key"),
        "--tls-ca-cert-file", str(certs / "ca.crt"),
        *more,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def tls_server(certs: Path) -> Iterator[tuple[FerriteProcess, int]]:
    port = free_port()
    with FerriteProcess(*_tls_args(certs, port), modules=[]) as proc:
        yield proc, port


def _tls_client(certs: Path, port: int, with_cert: bool = True) -> redis.Redis:
    extra = (
        {"ssl_certfile": str(certs / "client.crt"), "ssl_keyfile": str(certs / "client.key")}
        if with_cert
        else {}
    )
    return redis.Redis(
        port=port,
        ssl=True,
        ssl_ca_certs=str(certs / "ca.crt"),
        socket_timeout=15,
        **extra,  # type: ignore[arg-type]
    )


def test_redis_py_with_a_client_certificate(
    tls_server: tuple[FerriteProcess, int], certs: Path
) -> None:
    proc, port = tls_server
    client = _tls_client(certs, port)
    assert client.set("over", "tls")
    assert client.get("over") == b"tls"
    assert proc.client().get("over") == b"tls"  # the plain port keeps working
    assert client.config_get("tls-port") == {"tls-port": str(port)}
    assert client.config_get("tls-auth-clients") == {"tls-auth-clients": "yes"}
    client.close()


def test_a_client_without_certificate_is_refused_by_default(
    tls_server: tuple[FerriteProcess, int], certs: Path
) -> None:
    client = _tls_client(certs, tls_server[1], with_cert=False)
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert tls_server[0].client().ping()  # the server is fine


def test_tls_auth_clients_optional_and_no(
    tls_server: tuple[FerriteProcess, int], certs: Path
) -> None:
    proc, port = tls_server
    plain = proc.client()
    try:
        for mode in ("optional", "no"):
            assert plain.config_set("tls-auth-clients", mode)
            client = _tls_client(certs, port, with_cert=False)
            assert client.ping()
            client.close()
            with_cert = _tls_client(certs, port)
            assert with_cert.ping()
            with_cert.close()
    finally:
        plain.config_set("tls-auth-clients", "yes")
    client = _tls_client(certs, port, with_cert=False)
    with pytest.raises(redis.ConnectionError):
        client.ping()


@pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")
def test_redis_cli_over_tls(tls_server: tuple[FerriteProcess, int], certs: Path) -> None:
    assert REDIS_CLI is not None
    out = subprocess.run(
        [
            REDIS_CLI, "-p", str(tls_server[1]), "--tls",
            "--cacert", str(certs / "ca.crt"),
            "--cert", str(certs / "client.crt"),
            "--key", str(certs / "client.key"),
            "PING",
        ],
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    assert out.stdout.strip() == b"PONG", out.stderr


def test_a_protected_key_with_its_password_and_tls_protocols(certs: Path) -> None:
    port = free_port()
    args = _tls_args(certs, port, "--tls-protocols", "TLSv1.3")
    args[args.index("--tls-key-file") + 1] = str(certs / "server-protected.key")
    args += ["--tls-key-file-pass", "s3cret", "--tls-auth-clients", "no"]
    with FerriteProcess(*args, modules=[]):
        client = _tls_client(certs, port, with_cert=False)
        assert client.ping()
        tls = client.connection_pool.get_connection()
        assert tls._sock.version() == "TLSv1.3"  # type: ignore[attr-defined]
        client.connection_pool.release(tls)
        client.close()
        context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
        context.maximum_version = ssl.TLSVersion.TLSv1_2  # refused: only TLSv1.3 is on
        with (
            socket.create_connection(("127.0.0.1", port), timeout=15) as raw,
            pytest.raises(ssl.SSLError),
        ):
            context.wrap_socket(raw, server_hostname="localhost")


def test_a_bad_tls_setup_stops_start_up(certs: Path) -> None:
    port = free_port()
    args = _tls_args(certs, port)
    args[args.index("--tls-key-file") + 1] = str(certs / "server-protected.key")
    proc = FerriteProcess(*args, "--tls-key-file-pass", "wrong", modules=[])
    proc.start(wait=False)
    assert proc.proc is not None
    assert proc.proc.wait(60) == 1
    assert "Failed to configure TLS" in proc.log()
