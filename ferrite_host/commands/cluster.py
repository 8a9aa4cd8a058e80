"""CLUSTER, READONLY, READWRITE and ASKING on a server without cluster support.

Ferrite runs standalone, as redis-server does with `cluster-enabled no`: the commands exist
(COMMAND lists them, ACL rules may name them, clients probe them) and every call answers
Redis's "This instance has cluster support disabled". Arity is checked first, as in Redis.
Redis Cluster itself is reached through the bridge (docs/bridge.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("cluster")

DISABLED = "ERR This instance has cluster support disabled"


def cluster_disabled(session: Session, argv: list[bytes]) -> Any:
    raise CommandError(DISABLED)


cluster = family.container("cluster", summary="A container for cluster commands", since="3.0.0")

#: ADDSLOTSRANGE and DELSLOTSRANGE take the same pairs.
_SLOT_RANGES = [
    {
        "name": "start-slot_end-slot",
        "type": "block",
        "flags": ["multiple"],
        "arguments": [
            {"name": "start-slot", "type": "integer"},
            {"name": "end-slot", "type": "integer"},
        ],
    }
]
_SLOT_RANGES_COMPLEXITY = (
    "O(N) where N is the total number of the slots between the start slot and end slot arguments."
)

#: Redis 7.0's CLUSTER subcommands: what COMMAND INFO and COMMAND DOCS show for each.
SUBCOMMANDS: list[dict[str, Any]] = [
    {
        "name": "info",
        "arity": 2,
        "flags": "stale",
        "tips": "nondeterministic_output",
        "summary": "Provides info about Redis Cluster node state",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "reset",
        "arity": -2,
        "flags": "admin noscript stale",
        "tips": "",
        "summary": "Reset a Redis Cluster node",
        "since": "3.0.0",
        "complexity": (
            "O(N) where N is the number of known nodes. The command may execute a "
            "FLUSHALL as a side effect."
        ),
        "arguments": [
            {
                "name": "hard_soft",
                "type": "oneof",
                "flags": ["optional"],
                "arguments": [
                    {"name": "hard", "type": "pure-token", "token": "HARD"},
                    {"name": "soft", "type": "pure-token", "token": "SOFT"},
                ],
            }
        ],
    },
    {
        "name": "replicate",
        "arity": 3,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Reconfigure a node as a replica of the specified master node",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [{"name": "node-id", "type": "string"}],
    },
    {
        "name": "nodes",
        "arity": 2,
        "flags": "stale",
        "tips": "nondeterministic_output",
        "summary": "Get Cluster config for the node",
        "since": "3.0.0",
        "complexity": "O(N) where N is the total number of Cluster nodes",
        "arguments": [],
    },
    {
        "name": "help",
        "arity": 2,
        "flags": "loading stale",
        "tips": "",
        "summary": "Show helpful text about the different subcommands",
        "since": "5.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "delslots",
        "arity": -3,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Set hash slots as unbound in receiving node",
        "since": "3.0.0",
        "complexity": "O(N) where N is the total number of hash slot arguments",
        "arguments": [{"name": "slot", "type": "integer", "flags": ["multiple"]}],
    },
    {
        "name": "saveconfig",
        "arity": 2,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Forces the node to save cluster state on disk",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "set-config-epoch",
        "arity": 3,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Set the configuration epoch in a new node",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [{"name": "config-epoch", "type": "integer"}],
    },
    {
        "name": "slaves",
        "arity": 3,
        "flags": "admin stale",
        "tips": "nondeterministic_output",
        "summary": "List replica nodes of the specified master node",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [{"name": "node-id", "type": "string"}],
        "deprecated_since": "5.0.0",
        "replaced_by": "`CLUSTER REPLICAS`",
    },
    {
        "name": "flushslots",
        "arity": 2,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Delete a node's own slots information",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "replicas",
        "arity": 3,
        "flags": "admin stale",
        "tips": "nondeterministic_output",
        "summary": "List replica nodes of the specified master node",
        "since": "5.0.0",
        "complexity": "O(1)",
        "arguments": [{"name": "node-id", "type": "string"}],
    },
    {
        "name": "setslot",
        "arity": -4,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Bind a hash slot to a specific node",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [
            {"name": "slot", "type": "integer"},
            {
                "name": "subcommand",
                "type": "oneof",
                "arguments": [
                    {"name": "node-id", "type": "string", "token": "IMPORTING"},
                    {"name": "node-id", "type": "string", "token": "MIGRATING"},
                    {"name": "node-id", "type": "string", "token": "NODE"},
                    {"name": "stable", "type": "pure-token", "token": "STABLE"},
                ],
            },
        ],
    },
    {
        "name": "shards",
        "arity": 2,
        "flags": "stale",
        "tips": "nondeterministic_output",
        "summary": "Get array of cluster slots to node mappings",
        "since": "7.0.0",
        "complexity": "O(N) where N is the total number of cluster nodes",
        "arguments": [],
    },
    {
        "name": "count-failure-reports",
        "arity": 3,
        "flags": "admin stale",
        "tips": "nondeterministic_output",
        "summary": "Return the number of failure reports active for a given node",
        "since": "3.0.0",
        "complexity": "O(N) where N is the number of failure reports",
        "arguments": [{"name": "node-id", "type": "string"}],
    },
    {
        "name": "getkeysinslot",
        "arity": 4,
        "flags": "stale",
        "tips": "nondeterministic_output",
        "summary": "Return local key names in the specified hash slot",
        "since": "3.0.0",
        "complexity": "O(log(N)) where N is the number of requested keys",
        "arguments": [{"name": "slot", "type": "integer"}, {"name": "count", "type": "integer"}],
    },
    {
        "name": "delslotsrange",
        "arity": -4,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Set hash slots as unbound in receiving node",
        "since": "7.0.0",
        "complexity": _SLOT_RANGES_COMPLEXITY,
        "arguments": _SLOT_RANGES,
    },
    {
        "name": "meet",
        "arity": -4,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Force a node cluster to handshake with another node",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [
            {"name": "ip", "type": "string"},
            {"name": "port", "type": "integer"},
            {
                "name": "cluster_bus_port",
                "type": "integer",
                "since": "4.0.0",
                "flags": ["optional"],
            },
        ],
    },
    {
        "name": "slots",
        "arity": 2,
        "flags": "stale",
        "tips": "nondeterministic_output",
        "summary": "Get array of Cluster slot to node mappings",
        "since": "3.0.0",
        "complexity": "O(N) where N is the total number of Cluster nodes",
        "arguments": [],
        "deprecated_since": "7.0.0",
        "replaced_by": "`CLUSTER SHARDS`",
    },
    {
        "name": "forget",
        "arity": 3,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Remove a node from the nodes table",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [{"name": "node-id", "type": "string"}],
    },
    {
        "name": "countkeysinslot",
        "arity": 3,
        "flags": "stale",
        "tips": "",
        "summary": "Return the number of local keys in the specified hash slot",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [{"name": "slot", "type": "integer"}],
    },
    {
        "name": "keyslot",
        "arity": 3,
        "flags": "stale",
        "tips": "",
        "summary": "Returns the hash slot of the specified key",
        "since": "3.0.0",
        "complexity": "O(N) where N is the number of bytes in the key",
        "arguments": [{"name": "key", "type": "string"}],
    },
    {
        "name": "links",
        "arity": 2,
        "flags": "stale",
        "tips": "nondeterministic_output",
        "summary": "Returns a list of all TCP links to and from peer nodes in cluster",
        "since": "7.0.0",
        "complexity": "O(N) where N is the total number of Cluster nodes",
        "arguments": [],
    },
    {
        "name": "addslotsrange",
        "arity": -4,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Assign new hash slots to receiving node",
        "since": "7.0.0",
        "complexity": _SLOT_RANGES_COMPLEXITY,
        "arguments": _SLOT_RANGES,
    },
    {
        "name": "bumpepoch",
        "arity": 2,
        "flags": "admin stale no_async_loading",
        "tips": "nondeterministic_output",
        "summary": "Advance the cluster config epoch",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "addslots",
        "arity": -3,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Assign new hash slots to receiving node",
        "since": "3.0.0",
        "complexity": "O(N) where N is the total number of hash slot arguments",
        "arguments": [{"name": "slot", "type": "integer", "flags": ["multiple"]}],
    },
    {
        "name": "myid",
        "arity": 2,
        "flags": "stale",
        "tips": "",
        "summary": "Return the node id",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "failover",
        "arity": -2,
        "flags": "admin stale no_async_loading",
        "tips": "",
        "summary": "Forces a replica to perform a manual failover of its master.",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [
            {
                "name": "options",
                "type": "oneof",
                "flags": ["optional"],
                "arguments": [
                    {"name": "force", "type": "pure-token", "token": "FORCE"},
                    {"name": "takeover", "type": "pure-token", "token": "TAKEOVER"},
                ],
            }
        ],
    },
]

#: The connection-level cluster commands.
COMMANDS: list[dict[str, Any]] = [
    {
        "name": "readonly",
        "arity": 1,
        "flags": "loading stale fast",
        "tips": "",
        "summary": "Enables read queries for a connection to a cluster replica node",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "readwrite",
        "arity": 1,
        "flags": "loading stale fast",
        "tips": "",
        "summary": "Disables read queries for a connection to a cluster replica node",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
    {
        "name": "asking",
        "arity": 1,
        "flags": "fast",
        "tips": "",
        "summary": "Sent by cluster clients after an -ASK redirect",
        "since": "3.0.0",
        "complexity": "O(1)",
        "arguments": [],
    },
]


def _without_display_text(arguments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Redis's cluster commands document no display_text (introspection adds one unless
    told None)."""
    return [
        {**argument, "arguments": _without_display_text(argument["arguments"])}
        if "arguments" in argument
        else {"display_text": None, **argument}
        for argument in arguments
    ]


for declaration in SUBCOMMANDS:
    arguments = _without_display_text(declaration.pop("arguments", []))
    family.command(parent=cluster, arguments=arguments, **declaration)(cluster_disabled)
for declaration in COMMANDS:
    family.command(acl="connection", **declaration)(cluster_disabled)
