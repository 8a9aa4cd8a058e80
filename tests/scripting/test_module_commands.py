"""Scripts call module commands like built-ins, with the module's flags respected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def hello() -> Iterator[redis.Redis]:
    with FerriteProcess(modules=["hello"]) as proc:
        client = proc.client(protocol=2)
        yield client
        client.close()


def test_script_calls_a_module_command(hello: redis.Redis) -> None:
    hello.set("k", "aBc")
    assert hello.eval("return redis.call('HELLO.TOGGLE.CASE', KEYS[1])", 1, "k") == b"OK"
    assert hello.get("k") == b"AbC"
    assert hello.eval("redis.call('SELECT', 3) return redis.call('hello.simple')", 0) == 3


def test_module_write_command_refused_in_a_read_only_script(hello: redis.Redis) -> None:
    with pytest.raises(redis.ResponseError, match="Write commands are not allowed"):
        hello.eval_ro("return redis.call('HELLO.TOGGLE.CASE', KEYS[1])", 1, "k")
    with pytest.raises(redis.ResponseError, match="Write commands are not allowed"):
        hello.eval("#!lua flags=no-writes\nreturn redis.call('HELLO.TOGGLE.CASE', 'k')", 0)
