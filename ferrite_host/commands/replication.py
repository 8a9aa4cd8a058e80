"""ROLE and REPLICAOF: what a standalone server is in the context of replication (always a
master).

Ferrite has no replication yet; ROLE answers as a Redis master with no replicas does, so
clients and tools that ask (redis-py's sentinel helpers, monitoring scripts) get Redis's
shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, block, integer, oneof, token
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")
command = family.command


@command(
    "role",
    1,
    "noscript loading stale fast",
    summary="Return the role of the instance in the context of replication",
    since="2.8.12",
    acl="admin dangerous",
    arguments=[],
)
def role(session: Session, argv: list[bytes]) -> Any:
    """A master at replication offset 0 with no replicas: ["master", 0, []]."""
    return [b"master", 0, []]


_REPLICAOF_ARGUMENTS = [
    oneof(
        "args",
        block("host-port", arg("host"), integer("port")),
        block("no-one", token("no", "NO"), token("one", "ONE")),
    )
]

#: Why a host and port are refused: Ferrite's own server keeps no replicas yet.
NOT_A_REPLICA = (
    "ERR Ferrite does not replicate: REPLICAOF <host> <port> is not supported (only "
    "REPLICAOF NO ONE, a no-op on a master). For replicas, load the modules into "
    "redis-server through the Ferrite bridge (docs/bridge.md)."
)


def _replicaof(session: Session, argv: list[bytes]) -> Any:
    """NO ONE is what a master already is; a master to follow is refused, after Redis's
    own port check."""
    if argv[1].lower() == b"no" and argv[2].lower() == b"one":
        return OK
    port = parse_int(argv[2])
    if port is None or not 0 <= port <= 65535:
        raise CommandError("ERR Invalid master port")
    raise CommandError(NOT_A_REPLICA)


command(
    "replicaof",
    3,
    "admin noscript stale no_async_loading",
    summary="Make the server a replica of another instance, or promote it as master.",
    since="5.0.0",
    arguments=_REPLICAOF_ARGUMENTS,
)(_replicaof)

command(
    "slaveof",
    3,
    "admin noscript stale no_async_loading",
    summary="Make the server a replica of another instance, or promote it as master.",
    since="1.0.0",
    deprecated_since="5.0.0",
    replaced_by="`REPLICAOF`",
    arguments=_REPLICAOF_ARGUMENTS,
)(_replicaof)
