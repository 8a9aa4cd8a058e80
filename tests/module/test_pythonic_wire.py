"""A pip-installed module in the Pythonic style under a real `ferrite serve`: redis-py in
both protocols, declared metadata, configs (flag, CONFIG SET, LOADEX), INFO, persistence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from ferrite_host.testing import (
    FerriteProcess,
    install_distributions,
    pythonpath_env,
    raw_command,
)

FIXTURE = Path(__file__).parent.parent / "redis_module" / "fixtures" / "fx-pythonic"


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return pythonpath_env(install_distributions([FIXTURE], "ferrite-fx-pythonic"))


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[FerriteProcess]:
    with FerriteProcess(
        "--fx_pythonic.limit", "50", "--appendonly", "yes", modules=["fx_pythonic"], env=env
    ) as proc:
        yield proc


@pytest.mark.parametrize("protocol", [2, 3])
def test_commands_answer_redis_py(server: FerriteProcess, protocol: int) -> None:
    client = server.client(protocol=protocol)
    client.delete("c")
    assert client.execute_command("FXP.ADD", "c", 5) == 5
    assert client.execute_command("fxp.add", "c") == 6
    with pytest.raises(redis.ResponseError, match=r"counter would pass fx_pythonic\.limit"):
        client.execute_command("FXP.ADD", "c", 100)
    reply = client.execute_command("FXP.MAP")
    if protocol == 3:
        assert reply == {b"limit": 50, b"flag": True, b"ratio": 0.5}
    else:
        assert reply == [b"limit", 50, b"flag", 1, b"ratio", b"0.5"]
    assert client.type("c") == "fxcounter" or client.type("c") == b"fxcounter"


def test_metadata_config_and_info(server: FerriteProcess) -> None:
    client = server.client(protocol=2)
    info = raw_command(client, "COMMAND", "INFO", "fxp.add")[0]
    assert info[1] == -2 and info[3:6] == [1, 1, 1]
    assert client.config_get("fx_pythonic.limit") == {"fx_pythonic.limit": "50"}
    assert client.config_set("fx_pythonic.limit", 60)
    assert client.config_get("fx_pythonic.*") == {"fx_pythonic.limit": "60"}
    assert "fx_pythonic_stats" in raw_command(client, "INFO", "fx_pythonic").decode()
    client.execute_command("FLUSHALL")
    client.execute_command("MODULE", "UNLOAD", "fx_pythonic")
    assert client.config_get("fx_pythonic.limit") == {}
    client.execute_command("MODULE", "LOADEX", "fx_pythonic", "CONFIG", "fx_pythonic.limit", "7")
    assert client.config_get("fx_pythonic.limit") == {"fx_pythonic.limit": "7"}
    client.config_set("fx_pythonic.limit", 100)


def test_values_survive_restart_and_aof_rewrite(env: dict[str, str], tmp_path: Path) -> None:
    args = ("--appendonly", "yes", "--dir", str(tmp_path))
    with FerriteProcess(*args, modules=["fx_pythonic"], env=env, directory=tmp_path) as first:
        client = first.client()
        client.execute_command("FXP.ADD", "k", 9)
        client.execute_command("BGREWRITEAOF")
        client.execute_command("FXP.ADD", "k", 1)
        client.save()
    with FerriteProcess(*args, modules=["fx_pythonic"], env=env, directory=tmp_path) as second:
        assert second.client().execute_command("FXP.ADD", "k", 0) == 10
