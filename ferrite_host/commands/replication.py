"""ROLE: what a standalone server is in the context of replication (always a master).

Ferrite has no replication yet; ROLE answers as a Redis master with no replicas does, so
clients and tools that ask (redis-py's sentinel helpers, monitoring scripts) get Redis's
shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.core.spec import Family

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
