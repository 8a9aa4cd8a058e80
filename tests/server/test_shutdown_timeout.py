"""SIGTERM while a command holds the server: it waits up to shutdown-timeout for the command,
then logs its stack and exits without saving; a command that ends in time lets the normal
shutdown (with its final save) run. Both event loops, since each installs its own handler."""

from __future__ import annotations

import signal
import socket
import time

import pytest

from ferrite_host.testing import FerriteProcess


def _start_sleep(port: int, seconds: float) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    arg = str(seconds).encode()
    sock.sendall(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$%d\r\n%s\r\n" % (len(arg), arg))
    time.sleep(0.3)  # the server is now inside the command
    return sock


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_sigterm_gives_up_on_a_command_after_the_timeout(loop: str) -> None:
    with FerriteProcess(
        "--enable-debug-command",
        "yes",
        "--shutdown-timeout",
        "1",
        "--event-loop",
        loop,
        "--save",
        "3600 1",
        modules=[],
    ) as proc:
        client = proc.client(protocol=2)
        client.set("k", "v")
        client.close()
        sock = _start_sleep(proc.port, 60)
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.proc.wait(20) == 1
        sock.close()
        log = proc.log()
        assert "waiting up to 1 seconds" in log
        assert "shutdown-timeout reached while Command 'debug'" in log
        assert "_debug_sleep" in log
        assert "exiting without saving" in log
        assert not (proc.dir / "dump.rdb").exists()


def test_sigterm_waits_for_a_command_that_finishes_in_time() -> None:
    with FerriteProcess(
        "--enable-debug-command", "yes", "--shutdown-timeout", "10", modules=[]
    ) as proc:
        sock = _start_sleep(proc.port, 1)
        assert proc.proc is not None
        proc.proc.send_signal(signal.SIGTERM)
        assert sock.recv(16) == b"+OK\r\n"  # the command completed and answered
        assert proc.proc.wait(20) == 0
        sock.close()
        assert "exiting without saving" not in proc.log()
