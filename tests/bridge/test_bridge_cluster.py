"""A three-master Redis Cluster on loopback, each node loading the modules through the bridge."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from redis.cluster import RedisCluster

from ferrite_host.testing import free_port
from ferrite_host.testing.bridge_process import RedisBridgeProcess

pytestmark = pytest.mark.timeout(180)


def cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too (Redis needs <= 55535)."""
    for _ in range(200):
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


def test_cluster_routes_module_commands_and_migrates_module_values(
    bridge_so: Path, tmp_path: Path
) -> None:
    if shutil.which("redis-cli") is None:
        pytest.skip("redis-cli is not installed")
    with ExitStack() as stack:
        nodes = []
        for index in range(3):
            directory = tmp_path / f"node{index}"
            directory.mkdir()
            node = RedisBridgeProcess(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                modules=["hellotype"],
                bridge=bridge_so,
                directory=directory,
                port=cluster_port(),
            )
            nodes.append(stack.enter_context(node))
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        first = nodes[0].client()
        deadline = time.monotonic() + 30
        while first.cluster("info")["cluster_state"] != "ok":
            assert time.monotonic() < deadline, "the cluster did not come up"
            time.sleep(0.1)
        first.close()
        cluster = RedisCluster(host="127.0.0.1", port=nodes[0].port)
        keys = [f"key{i}" for i in range(30)]
        for number, key in enumerate(keys):
            assert cluster.execute_command("hellotype.insert", key, number) == 1
        for number, key in enumerate(keys):
            assert cluster.execute_command("hellotype.range", key, 0, 10) == [number]
        per_node = [node.client().dbsize() for node in nodes]
        assert all(count > 0 for count in per_node) and sum(per_node) == len(keys)
        # MIGRATE a module value to the node that does not own its slot, via a slot move.
        source_client = cluster.get_node_from_key("key0").redis_connection
        source = next(n for n in nodes if n.port == cluster.get_node_from_key("key0").port)
        target = next(n for n in nodes if n is not source)
        assert source_client is not None
        slot = cluster.keyslot("key0")
        target_client = target.client()
        source_id = source_client.cluster("myid")
        target_id = target_client.cluster("myid")
        target_client.cluster("setslot", slot, "importing", source_id)
        source_client.cluster("setslot", slot, "migrating", target_id)
        source_client.migrate("127.0.0.1", target.port, "key0", 0, 5000)
        for client in (source_client, target_client):
            client.cluster("setslot", slot, "node", target_id)
        assert target_client.execute_command("hellotype.range", "key0", 0, 10) == [0]
        assert b"key0" not in source_client.keys("*")  # KEYS is node-local: no redirect
        assert cluster.execute_command("hellotype.range", "key0", 0, 10) == [0]
        target_client.close()
        cluster.close()
