"""ACL users through real client libraries: redis-py logs in with a username over RESP2
(AUTH user pass) and RESP3 (HELLO 3 AUTH user pass), redis-cli with --user/--pass, and a
restricted user gets redis-py's NoPermissionError."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def secured() -> Iterator[FerriteProcess]:
    with FerriteProcess("--requirepass", "adminpw", modules=[]) as proc:
        admin = redis.Redis(port=proc.port, password="adminpw", protocol=2)
        admin.execute_command(
            "ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "+@read", "+@write", "+acl|whoami"
        )
        admin.close()
        yield proc


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_logs_in_with_a_username(secured: FerriteProcess, protocol: int) -> None:
    client = redis.Redis(port=secured.port, username="app", password="apppw", protocol=protocol)
    try:
        assert client.execute_command("ACL", "WHOAMI") in (b"app", "app")
        assert client.set("app:1", "v") is True
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.set("other", "v")
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.execute_command("CONFIG", "GET", "port")
    finally:
        client.close()


def test_redis_py_wrong_password_is_an_authentication_error(secured: FerriteProcess) -> None:
    client = redis.Redis(port=secured.port, username="app", password="nope", protocol=3)
    with pytest.raises(redis.exceptions.AuthenticationError):
        client.ping()
    client.close()
    unauthenticated = redis.Redis(port=secured.port, protocol=2)
    with pytest.raises(redis.exceptions.AuthenticationError):
        unauthenticated.get("app:1")
    unauthenticated.close()


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")
def test_redis_cli_logs_in_with_user_and_pass(secured: FerriteProcess) -> None:
    def cli(*args: str) -> str:
        done = subprocess.run(
            [
                "redis-cli",
                "-p",
                str(secured.port),
                "--user",
                "app",
                "--pass",
                "apppw",
                "--no-auth-warning",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return done.stdout.strip()

    assert cli("ACL", "WHOAMI") == "app"
    assert cli("SET", "other", "v").startswith("NOPERM")
