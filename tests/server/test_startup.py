"""Starting and stopping: config files, flag overrides, bad values, signals, SHUTDOWN."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from redis.backoff import NoBackoff
from redis.retry import Retry

from ferrite_host.core.config import build_settings
from ferrite_host.testing import FerriteProcess
from ferrite_host.testing.process import free_port

CONFIG = """\
# Ferrite test configuration
maxclients 123
timeout 7
databases 4
loglevel verbose
save 900 1
save 300 10
proto-max-bulk-len 1mb
requirepass "p w"
"""


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `ferrite serve` expecting it to refuse to start."""
    command = [
        sys.executable,
        "-m",
        "ferrite_host",
        "serve",
        "--port",
        str(free_port()),
        "--bind",
        "127.0.0.1",
    ]
    return subprocess.run(
        command + list(args), capture_output=True, text=True, timeout=30, check=False
    )


def test_config_file_flags_override_rewrite_and_shutdown(tmp_path: Path) -> None:
    conf = tmp_path / "ferrite.conf"
    conf.write_text(CONFIG)
    with FerriteProcess(
        "--config", str(conf), "--timeout", "9", modules=[], directory=tmp_path
    ) as proc:
        client = proc.client(password="p w", retry=Retry(NoBackoff(), 0))  # SHUTDOWN closes it
        values = client.config_get("*")
        assert values["maxclients"] == "123"
        assert values["timeout"] == "9"  # the flag wins over the file
        assert values["databases"] == "4"
        assert values["loglevel"] == "verbose"
        assert values["save"] == ""  # the harness's `--save ""` clears the file's rules
        assert values["proto-max-bulk-len"] == str(1024 * 1024)
        assert values["requirepass"] == "p w"
        assert client.info("server")["config_file"] == str(conf.resolve())

        with socket.create_connection(("127.0.0.1", proc.port), timeout=5) as sock:
            sock.sendall(b'AUTH "p w"\r\n')
            assert sock.recv(100) == b"+OK\r\n"
            sock.sendall(b"*1\r\n$1048577\r\n")  # one byte over the configured limit
            assert sock.recv(100) == b"-ERR Protocol error: invalid bulk length\r\n"

        client.config_set("maxclients", "55")
        assert client.config_rewrite() == b"OK"
        text = conf.read_text()
        assert text.startswith("# Ferrite test configuration\n")
        assert "maxclients 55\n" in text and "timeout 9\n" in text
        assert 'requirepass "p w"\n' in text
        assert text.count("save ") == 1
        reread = build_settings(str(conf))
        assert (reread.maxclients, reread.timeout, reread.requirepass) == (55, 9, "p w")
        assert (reread.databases, reread.proto_max_bulk_len, reread.save) == (4, 1024 * 1024, "")

        client.shutdown(nosave=True)
        assert proc.proc is not None and proc.proc.wait(10) == 0
        assert "User requested shutdown" in proc.log()


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (("--maxclients", "abc"), "maxclients"),
        (("--port", "70000"), "port"),
        (("--loglevel", "loud"), "loglevel"),
        (("--nosuchsetting", "1"), "nosuchsetting"),
    ],
)
def test_bad_value_stops_start_up_with_one_line(args: tuple[str, ...], setting: str) -> None:
    result = serve(*args)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert setting in lines[0] and "Traceback" not in result.stderr


def test_bad_value_in_config_file_names_the_setting(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text("port 7000\nappendonly maybe\n")
    result = serve("--config", str(conf))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "appendonly" in result.stderr and "yes" in result.stderr


def test_missing_config_file(tmp_path: Path) -> None:
    result = serve("--config", str(tmp_path / "absent.conf"))
    assert result.returncode == 1
    assert "absent.conf" in result.stderr and "Traceback" not in result.stderr


def test_sigint_exits_cleanly() -> None:
    with FerriteProcess(modules=[]) as proc:
        assert proc.client().set("k", "v") is True
        assert proc.stop(signal.SIGINT) == 0
        assert "SIGINT" in proc.log() and "ready to exit" in proc.log()
