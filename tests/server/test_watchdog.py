"""The software watchdog logs a command that holds the server longer than watchdog-period:
its name, its client and the main thread's Python stack."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def proc() -> Iterator[FerriteProcess]:
    with FerriteProcess("--enable-debug-command", "yes", modules=[]) as server:
        yield server


def _wait_for(proc: FerriteProcess, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = proc.log()
        if text in log:
            return log
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in the log:\n{proc.log()}")


def test_slow_command_is_logged_with_client_and_stack(proc: FerriteProcess) -> None:
    client = proc.client(protocol=2)
    assert client.config_set("watchdog-period", 200)
    client.client_setname("sleepy")
    client.execute_command("DEBUG", "SLEEP", "0.7")
    log = _wait_for(proc, "--------")
    report = log[log.index("--- WATCHDOG TIMER EXPIRED ---") :]
    assert "Command 'debug' from client id=" in report
    assert "name=sleepy" in report
    assert "_debug_sleep" in report  # the Python frame the main thread was in
    assert report.count("WATCHDOG TIMER EXPIRED") == 1  # once per call
    client.config_set("watchdog-period", 0)
    client.close()


def test_fast_commands_and_a_disabled_watchdog_log_nothing(proc: FerriteProcess) -> None:
    client = proc.client(protocol=2)
    before = proc.log().count("WATCHDOG TIMER EXPIRED")
    client.config_set("watchdog-period", 0)
    client.execute_command("DEBUG", "SLEEP", "0.5")
    client.config_set("watchdog-period", 1000)
    for _ in range(50):
        client.ping()
    assert proc.log().count("WATCHDOG TIMER EXPIRED") == before
    assert client.config_get("watchdog-period") == {"watchdog-period": "1000"}
    client.config_set("watchdog-period", 0)
    client.close()
