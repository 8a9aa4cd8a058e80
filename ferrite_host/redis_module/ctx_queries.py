"""What a module may ask about its call and the server (RM_GetContextFlags, RM_KeyExists,
RM_Milliseconds, RM_GetRandomBytes, RM_GetSelectedDb, RM_GetClientId...).

A mixin of RedisModuleCtx, kept apart so the context's own file stays about keys, replies
and calls.
"""

from __future__ import annotations

import enum
import os
import time
from typing import TYPE_CHECKING

from ferrite_host.core.eviction import Eviction

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState


class ContextFlag(enum.IntFlag):
    """REDISMODULE_CTX_FLAGS_*, with Redis's bit values."""

    LUA = 1 << 0
    MULTI = 1 << 1
    MASTER = 1 << 2
    SLAVE = 1 << 3
    READONLY = 1 << 4
    CLUSTER = 1 << 5
    AOF = 1 << 6
    RDB = 1 << 7
    MAXMEMORY = 1 << 8
    EVICT = 1 << 9
    OOM = 1 << 10
    OOM_WARNING = 1 << 11
    REPLICATED = 1 << 12
    LOADING = 1 << 13
    REPLICA_IS_STALE = 1 << 14
    REPLICA_IS_CONNECTING = 1 << 15
    REPLICA_IS_TRANSFERRING = 1 << 16
    REPLICA_IS_ONLINE = 1 << 17
    ACTIVE_CHILD = 1 << 18
    MULTI_DIRTY = 1 << 19
    IS_CHILD = 1 << 20
    DENY_BLOCKING = 1 << 21
    RESP3 = 1 << 22
    ASYNC_LOADING = 1 << 23


class ContextQueries:
    """RedisModuleCtx's questions about the call and the server."""

    _session: Session
    _state: ServerState

    def get_context_flags(self) -> ContextFlag:
        """RM_GetContextFlags: MASTER always (no replication yet), MULTI inside a
        transaction, LUA inside a script, AOF/RDB when persistence is on, MAXMEMORY and
        EVICT from the settings, OOM when used memory is over maxmemory and OOM_WARNING
        above 75% of it, LOADING while data loads, RESP3, DENY_BLOCKING when the caller
        cannot block (MULTI, a script)."""
        session, state = self._session, self._state
        flags = ContextFlag.MASTER
        if session.kind == "lua":  # the script's own client is not in a transaction
            flags |= ContextFlag.LUA | ContextFlag.DENY_BLOCKING
        elif session.in_exec or session.in_multi:
            flags |= ContextFlag.MULTI | ContextFlag.DENY_BLOCKING
        settings = state.settings
        if settings.appendonly:
            flags |= ContextFlag.AOF
        if settings.save:
            flags |= ContextFlag.RDB
        if settings.maxmemory:
            flags |= ContextFlag.MAXMEMORY
            if settings.maxmemory_policy != "noeviction":
                flags |= ContextFlag.EVICT
            ratio = self.get_used_memory_ratio()
            if ratio > 1.0:
                flags |= ContextFlag.OOM
            if ratio > 0.75:
                flags |= ContextFlag.OOM_WARNING
        if state.loading or state.keyspace.loading:
            flags |= ContextFlag.LOADING
        if session.protocol == 3:
            flags |= ContextFlag.RESP3
        return flags

    def key_exists(self, name: bytes | str) -> bool:
        """RM_KeyExists: whether the key exists in the selected database, without counting
        a keyspace hit or miss and without touching its LRU."""
        key = name.encode() if isinstance(name, str) else bytes(name)
        return self._session.db.get(key) is not None

    def get_selected_db(self) -> int:
        """RM_GetSelectedDb."""
        return self._session.db_index

    def get_client_id(self) -> int:
        """RM_GetClientId (0 outside a client's command, as for timers and events, and in
        a script's calls, where Redis answers its script client's id)."""
        return self._session.id if self._session.kind == "normal" else 0

    @staticmethod
    def milliseconds() -> int:
        """RM_Milliseconds: the Unix time in milliseconds."""
        return int(time.time() * 1000)

    @staticmethod
    def get_random_bytes(length: int) -> bytes:
        """RM_GetRandomBytes: cryptographically strong random bytes."""
        return os.urandom(length)

    def get_used_memory_ratio(self) -> float:
        """RM_GetUsedMemoryRatio: used memory (INFO's used_memory) over maxmemory, 0 when
        there is no limit."""
        eviction = Eviction.of(self._state)
        return eviction.used_ratio() if eviction is not None else 0.0
