"""ACL SAVE / ACL LOAD with `aclfile`, and users at start-up, differential against
redis-server: the file each server writes for the same users is compared line by line
(command words sorted: Redis lists single commands in hash-table order), and ACL LOAD's
error texts for the same bad files (the file's path replaced by `FILE`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hiredis_conn import Conn

from ferrite_host.assembly import build_server
from ferrite_host.core.config import build_settings
from ferrite_host.core.errors import StartupError
from ferrite_host.testing import FerriteProcess
from ferrite_host.testing.process import free_port

DEFAULT_LINE = "user default on nopass ~* &* +@all\n"


@pytest.fixture(scope="module")
def servers(
    reference_redis: Callable[..., int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[tuple[int, Path], tuple[int, Path]]]:
    folder = tmp_path_factory.mktemp("aclfile")
    theirs_file, ours_file = folder / "theirs.acl", folder / "ours.acl"
    for path in (theirs_file, ours_file):
        path.write_text(DEFAULT_LINE)
    theirs = reference_redis("--aclfile", str(theirs_file))
    with FerriteProcess("--aclfile", str(ours_file), modules=[]) as ours:
        yield (theirs, theirs_file), (ours.port, ours_file)


def _line(line: str) -> list[list[str]]:
    parts = re.split(r"\s*\(([^)]*)\)", line)
    return [sorted(part.split()) for part in parts if part.strip()]


USERS = [
    ["s1", "on", ">pw", "~a*", "+get", "(~b* +set)", "(%R~c* +@read -get)"],
    ["s2", "&x", "%RW~z", "%W~w*"],
    ["y", "skip-sanitize-payload", ">a", ">b", "allkeys", "allchannels", "+@all", "-get"],
    ["z", "on", "nopass", "sanitize-payload", "+@hash", "-hdel", "+client|list"],
]


def test_acl_save_writes_what_redis_writes(
    servers: tuple[tuple[int, Path], tuple[int, Path]],
) -> None:
    def scenario(port: int, path: Path) -> list[Any]:
        conn = Conn(port)
        out: list[Any] = [conn("ACL", "SETUSER", *user) for user in USERS]
        out.append(conn("ACL", "SAVE"))
        text = path.read_text()
        out.append(text.endswith("\n"))
        out.append([_line(line) for line in text.splitlines()])
        out.append(conn("ACL", "DELUSER", *(user[0] for user in USERS)))
        out.append(conn("ACL", "SAVE"))
        out.append(path.read_text())
        conn.close()
        return out

    (theirs, theirs_file), (ours, ours_file) = servers
    assert scenario(ours, ours_file) == scenario(theirs, theirs_file)


BAD_FILES = [
    DEFAULT_LINE + "user a on >p +get\nuser b bogus\n",
    DEFAULT_LINE + "user a on >p +get\nfoo b\n",
    "user a on >p +get\nuser a off\n",
    "user a on >p +get\n\n   \n user  b   on \n#comment\n",
    "user a on >p +get (~x +get)\nuser\n",
    "user a bad1 bad2 +@nosuch +nosuch2\n",
    "user a on +@nosuch\n",
    "user a on (on) (~x +nosuch)\n",
]
GOOD_FILES = [
    'user a on\nuser b"c on\n',
    "user a on\r\nuser b on +get\t\r\n",
    "user a on\n\tuser b on ~k* (~j* +set)\n",
    "user default off >pw ~* +@all\nuser admin on >adm ~* &* +@all\n",
    DEFAULT_LINE,
]


def test_acl_load_like_redis(servers: tuple[tuple[int, Path], tuple[int, Path]]) -> None:
    def scenario(port: int, path: Path) -> list[Any]:
        conn = Conn(port)
        conn("ACL", "SETUSER", "keeper", "on", "nopass", "+@all")
        kept = Conn(port)
        out: list[Any] = [kept("AUTH", "keeper", "x")]
        for content in BAD_FILES:
            path.write_text(content)
            reply = conn("ACL", "LOAD")
            out.append(_without_path(reply, path))
        out.append([_line(line.decode()) for line in conn("ACL", "LIST")])
        out.append(kept("PING"))  # nothing was loaded: still connected
        for content in GOOD_FILES:
            path.write_text(content)
            out.append(conn("ACL", "LOAD"))
            if "admin" in content:
                out.append(conn("PING"))  # still authenticated as default
                fresh = Conn(port)
                out += [fresh("PING"), fresh("AUTH", "pw"), fresh("AUTH", "admin", "adm")]
                out.append([_line(line.decode()) for line in fresh("ACL", "LIST")])
                fresh.close()
            else:
                out.append([_line(line.decode()) for line in conn("ACL", "LIST")])
        out.append(kept("PING"))  # keeper's clients were disconnected by the first load
        path.unlink()
        out.append(_without_path(conn("ACL", "LOAD"), path))
        path.write_text(DEFAULT_LINE)
        conn.close()
        kept.close()
        return out

    (theirs, theirs_file), (ours, ours_file) = servers
    assert scenario(ours, ours_file) == scenario(theirs, theirs_file)


def _without_path(reply: Any, path: Path) -> Any:
    if isinstance(reply, tuple):
        return (reply[0], reply[1].replace(str(path), "FILE"))
    return reply


def test_acl_load_and_save_without_aclfile_like_redis(reference_redis: Callable[..., int]) -> None:
    theirs = reference_redis()
    with FerriteProcess(modules=[]) as ours:
        replies = []
        for port in (ours.port, theirs):
            conn = Conn(port)
            replies.append(
                [
                    conn("ACL", "LOAD"),
                    conn("ACL", "SAVE"),
                    conn("CONFIG", "GET", "aclfile"),
                    conn("CONFIG", "SET", "aclfile", "/tmp/x.acl"),
                ]
            )
            conn.close()
    assert replies[0] == replies[1]


REDIS_SERVER = shutil.which("redis-server")


def _redis_startup_log(tmp_path: Path, config: str) -> str:
    """What redis-server prints when it refuses to start with this config."""
    assert REDIS_SERVER is not None
    conf = tmp_path / "redis.conf"
    conf.write_text(config)
    done = subprocess.run(
        [REDIS_SERVER, str(conf)], capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode != 0
    return done.stdout + done.stderr


def _our_startup_error(tmp_path: Path, config: str) -> str:
    conf = tmp_path / "ferrite.conf"
    conf.write_text(config)
    settings = build_settings(str(conf), [("autoload-modules", ["no"])])
    with pytest.raises(StartupError) as refused:
        build_server(settings)
    return str(refused.value)


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
@pytest.mark.parametrize(
    "config",
    [
        "user bob on >pw +@all\naclfile {dir}/x.acl\n",
        "aclfile {dir}/missing.acl\n",
        "aclfile {dir}/dup.acl\n",
        "user bob on >pw +@nosuch\n",
    ],
)
def test_startup_refusals_like_redis(tmp_path: Path, config: str) -> None:
    (tmp_path / "x.acl").write_text("")
    (tmp_path / "dup.acl").write_text("user bob on\nuser bob off\n")
    text = config.format(dir=tmp_path)
    prelude = f'port {free_port()}\nbind 127.0.0.1\nsave ""\nappendonly no\n'
    ours = _our_startup_error(tmp_path, text)
    assert ours in _redis_startup_log(tmp_path, prelude + text)


CONFIG_USERS = [
    ["bob", "on", ">pw", "~app:*", "+get", "(~b:*", "+set)"],
    ["default", "on", "nopass", "~*", "&*", "+@all", "-flushall"],
]


def test_user_lines_of_the_config_file_like_redis(
    reference_redis: Callable[..., int], tmp_path: Path
) -> None:
    theirs = reference_redis(*(arg for user in CONFIG_USERS for arg in ("--user", *user)))
    conf = tmp_path / "ferrite.conf"
    conf.write_text("".join("user " + " ".join(user) + "\n" for user in CONFIG_USERS))
    with FerriteProcess("--config", str(conf), modules=[]) as ours:
        listed = []
        for port in (ours.port, theirs):
            conn = Conn(port)
            listed.append(
                [
                    [_line(line.decode()) for line in conn("ACL", "LIST")],
                    conn("FLUSHALL"),
                    conn("AUTH", "bob", "pw"),
                    conn("SET", "b:1", "x"),
                    conn("GET", "b:1"),
                ]
            )
            conn.close()
    assert listed[0] == listed[1]


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_config_rewrite_writes_the_users_like_redis(tmp_path: Path) -> None:
    assert REDIS_SERVER is not None
    port = free_port()
    theirs_conf, ours_conf = tmp_path / "redis.conf", tmp_path / "ferrite.conf"
    theirs_conf.write_text(f'port {port}\nbind 127.0.0.1\nsave ""\nuser bob on >old +get\n')
    ours_conf.write_text('save ""\nuser bob on >old +get\n')
    proc = subprocess.Popen(
        [REDIS_SERVER, str(theirs_conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with FerriteProcess("--config", str(ours_conf), modules=[]) as ours:
            users = []
            for server_port, conf in ((ours.port, ours_conf), (port, theirs_conf)):
                conn = _connect(server_port)
                conn("ACL", "SETUSER", "bob", "resetpass", ">new", "(~a* +set)")
                conn("ACL", "SETUSER", "carol", "on", "nopass", "~*", "+@read")
                assert conn("CONFIG", "REWRITE") == b"OK"
                conn.close()
                lines = conf.read_text().splitlines()
                users.append(sorted(_line(line) for line in lines if line.startswith("user ")))
    finally:
        proc.kill()
        proc.wait(10)
    assert users[0] == users[1]


def _connect(port: int) -> Conn:
    deadline = time.monotonic() + 10
    while True:
        try:
            return Conn(port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_acl_save_then_load_gives_the_same_users(
    servers: tuple[tuple[int, Path], tuple[int, Path]],
) -> None:
    _, (ours, _) = servers
    conn = Conn(ours)
    try:
        for user in USERS:
            assert conn("ACL", "SETUSER", *user) == b"OK"
        assert conn("ACL", "SETUSER", "s2", "+select|3", "%R~\u00e9t\u00e9*") == b"OK"
        before = conn("ACL", "LIST")
        assert conn("ACL", "SAVE") == b"OK"
        assert conn("ACL", "DELUSER", *(user[0] for user in USERS)) == len(USERS)
        assert conn("ACL", "LOAD") == b"OK"
        assert conn("ACL", "LIST") == before
        assert conn("ACL", "DRYRUN", "s2", "select", "3") == b"OK"
    finally:
        conn("ACL", "DELUSER", *(user[0] for user in USERS))
        conn("ACL", "SAVE")
        conn.close()
