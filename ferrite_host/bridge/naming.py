"""Data-type names on Redis, which requires exactly 9 characters where Ferrite takes 1-9.

One rule for both hosts: the name Ferrite stores in its RDB files (a shorter name padded on
the right with `_`, see ferrite_host.persistence.rdb.module_id) is the name the type gets on
Redis, so a value dumped on one host restores on the other under the same type id.
"""

from __future__ import annotations

from ferrite_host.persistence.rdb.module_id import stored_name

#: Redis's fixed module type name length.
REDIS_TYPE_NAME_LENGTH = 9


def redis_type_name(name: str) -> str:
    """The name a Ferrite data type gets on Redis: itself when it has 9 characters, else
    padded on the right with '_' to 9 ("mytype" -> "mytype___"). TYPE shows that name."""
    return stored_name(name)
