"""ROLE and REPLICAOF: what a standalone server is in the context of replication (always a
master).

Ferrite has no replication yet; ROLE answers as a Redis master with no replicas does, so
clients and tools that ask (redis-py's sentinel helpers, monitoring scripts) get Redis's
shape. SYNC sends a snapshot then the propagation stream, which is what Redis's test suite
(attach_to_replication_stream) reads to check what commands propagate.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, block, integer, oneof, token
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.persistence.aof import CommandStream
from ferrite_host.persistence.snapshot import iter_databases, write_snapshot
from ferrite_host.protocol.replies import NO_REPLY, OK
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")
command = family.command

#: Sends bytes to one client outside the request/reply cycle.
Writer = Callable[[bytes], None]


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


class ReplicaFeeds:
    """The connections that sent SYNC or PSYNC: each is sent the propagation stream (what
    a replica would apply), the way Redis's own test suite watches what a command
    propagates. There is no replica side: Ferrite does not replicate yet."""

    def __init__(self, session: Session) -> None:
        self.state = session.state
        self.feeds: dict[int, tuple[Writer, CommandStream]] = {}
        self.state.propagation_sinks.append(self.propagate)

    @classmethod
    def of(cls, session: Session) -> ReplicaFeeds:
        feeds = session.state.subsystems.get(cls)
        return feeds if feeds is not None else session.state.subsystems.install(cls(session))

    def add(self, client_id: int, writer: Writer) -> None:
        # A new replica has selected no database yet: its first block starts with SELECT.
        self.feeds[client_id] = (writer, CommandStream())

    def propagate(self, db: int, commands: list[list[bytes]]) -> None:
        out_of_band = self.state.out_of_band
        for client_id, (writer, stream) in list(self.feeds.items()):
            if out_of_band.writer(client_id) is not writer:
                del self.feeds[client_id]  # the connection is gone
                continue
            writer(stream.encode(db, commands))


def _snapshot_payload(session: Session) -> bytes:
    out = io.BytesIO()
    write_snapshot(out, iter_databases(session.state.keyspace))
    return out.getvalue()


@command(
    "sync",
    1,
    "admin noscript no_async_loading no_multi",
    summary="An internal command used in replication",
    since="1.0.0",
    acl="admin slow dangerous",
    arguments=[],
)
def sync(session: Session, argv: list[bytes]) -> Any:
    """Send a snapshot of the dataset as one bulk payload (no trailing CRLF, as Redis's
    full resynchronization), then every write the server propagates."""
    writer = session.state.out_of_band.writer(session.id)
    if writer is None or session.in_exec:
        raise CommandError("ERR Replica can't interact with the keyspace")
    payload = _snapshot_payload(session)
    writer(b"$%d\r\n" % len(payload) + payload)
    ReplicaFeeds.of(session).add(session.id, writer)
    return NO_REPLY


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
