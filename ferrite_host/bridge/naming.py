"""Data-type names on Redis, which requires exactly 9 characters where Ferrite takes 1-9."""

from __future__ import annotations

#: Redis's fixed module type name length.
REDIS_TYPE_NAME_LENGTH = 9
#: What a shorter name is padded with (a character Redis allows in type names).
PAD = "-"


def redis_type_name(name: str) -> str:
    """The name a Ferrite data type gets on Redis: itself when it has 9 characters, else
    padded on the right with '-' to 9 ("mytype" -> "mytype---"). TYPE shows that name."""
    return name + PAD * (REDIS_TYPE_NAME_LENGTH - len(name))
