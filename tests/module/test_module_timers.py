"""Module timers over the wire (RM_CreateTimer, RM_GetTimerInfo, RM_StopTimer): they fire
on the event loop, can be inspected and stopped, and MODULE UNLOAD is refused while one is
pending, with Redis's message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ferrite_host.testing import FerriteProcess, install_distributions, pythonpath_env

FIXTURE = Path(__file__).parent.parent / "redis_module" / "fixtures" / "fx-pythonic"


@pytest.fixture(scope="module")
def server() -> Iterator[FerriteProcess]:
    env = pythonpath_env(install_distributions([FIXTURE], "ferrite-fx-pythonic"))
    with FerriteProcess(modules=["fx_pythonic"], env=env) as proc:
        yield proc


def test_a_timer_fires_once(server: FerriteProcess) -> None:
    client = server.client()
    timer_id = client.execute_command("FXP.LATER", 200, "t1")
    left, data = client.execute_command("FXP.TIMER", "INFO", timer_id)
    assert 0 < left <= 200 and data == b"t1"
    assert client.get("t1") is None
    deadline = time.monotonic() + 5
    while client.get("t1") is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("t1") == b"fired"
    assert client.execute_command("FXP.TIMER", "INFO", timer_id) is None


def test_stop_and_unload_refusal(server: FerriteProcess) -> None:
    client = server.client()
    timer_id = client.execute_command("FXP.LATER", 60_000, "t2")
    with pytest.raises(redis.ResponseError) as refused:
        client.execute_command("MODULE", "UNLOAD", "fx_pythonic")
    assert str(refused.value) == (
        "Error unloading module: the module holds timer that is not fired. "
        "Please stop the timer or wait until it fires."
    )
    assert client.execute_command("FXP.TIMER", "STOP", timer_id) == b"t2"
    assert client.execute_command("FXP.TIMER", "STOP", timer_id) is None
    time.sleep(0.1)
    assert client.get("t2") is None
