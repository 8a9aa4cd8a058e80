"""REDISMODULE_CMD_KEY_* flags: what `ctx.key_at_pos_with_flags` says about a key."""

from __future__ import annotations

import enum


class KeySpecFlag(enum.IntFlag):
    """Redis's key-spec flag bits, as RM_KeyAtPosWithFlags takes them."""

    RO = 1 << 0
    RW = 1 << 1
    OW = 1 << 2
    RM = 1 << 3
    ACCESS = 1 << 4
    UPDATE = 1 << 5
    INSERT = 1 << 6
    DELETE = 1 << 7
    NOT_KEY = 1 << 8
    INCOMPLETE = 1 << 9
    VARIABLE_FLAGS = 1 << 10


#: What RM_KeyAtPos gives a key (Redis's CMD_KEY_FULL_ACCESS).
KEY_FULL_ACCESS = KeySpecFlag.RW | KeySpecFlag.ACCESS | KeySpecFlag.UPDATE


def key_flag_names(flags: int) -> list[str]:
    """The key-spec flag words of `flags`, in Redis's order (COMMAND GETKEYSANDFLAGS)."""
    return [member.name for member in KeySpecFlag if member.name and flags & member]


__all__ = ["KEY_FULL_ACCESS", "KeySpecFlag", "key_flag_names"]
