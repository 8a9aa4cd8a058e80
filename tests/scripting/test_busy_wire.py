"""A script past busy-reply-threshold lets the server answer others: -BUSY for most
commands, SCRIPT KILL stops it (a read-only script), as Redis 7.0 does."""

from __future__ import annotations

import socket
import threading
import time

import redis

from ferrite_host.testing import FerriteProcess

LOOP = "local i = 0 while true do i = i + 1 end"
BUSY = (
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"
)


def test_busy_script_answers_others_and_is_killed() -> None:
    with FerriteProcess("--busy-reply-threshold", "200", modules=[]) as server:
        errors: list[str] = []

        def run_script() -> None:
            try:
                server.client().eval(LOOP, 0)
            except redis.ResponseError as exc:
                errors.append(str(exc))

        thread = threading.Thread(target=run_script, daemon=True)
        thread.start()
        time.sleep(0.6)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as other:
            other.sendall(b"GET k\r\n")
            assert other.recv(4096) == BUSY
            other.sendall(b"SCRIPT KILL\r\n")
            assert other.recv(4096) == b"+OK\r\n"
        thread.join(10)
        assert errors and "Script killed by user with SCRIPT KILL" in errors[0]
        assert server.client().ping()
