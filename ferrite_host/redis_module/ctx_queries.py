"""What a module may ask about its call and the server (RM_GetContextFlags, RM_KeyExists,
RM_Milliseconds, RM_GetRandomBytes, RM_GetSelectedDb, RM_GetClientId...).

A mixin of RedisModuleCtx, kept apart so the context's own file stays about keys, replies
and calls.
"""

from __future__ import annotations

import enum
import os
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ferrite_host.blocking import Blocking
from ferrite_host.core.eviction import Eviction
from ferrite_host.protocol.replies import Verbatim
from ferrite_host.pubsub import PubSub, Tracking
from ferrite_host.strconv import parse_float, parse_int

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


class ClientInfoFlag(enum.IntFlag):
    """REDISMODULE_CLIENTINFO_FLAG_*."""

    SSL = 1 << 0
    PUBSUB = 1 << 1
    BLOCKED = 1 << 2
    TRACKING = 1 << 3
    UNIXSOCKET = 1 << 4
    MULTI = 1 << 5


@dataclass(frozen=True)
class ClientInfo:
    """RedisModuleClientInfo (version 1): what RM_GetClientInfoById fills in."""

    id: int
    flags: ClientInfoFlag
    addr: str
    port: int
    db: int
    version: int = 1


class ServerInfo(dict[str, bytes]):
    """RedisModuleServerInfoData: INFO's fields by name (RM_GetServerInfo).

    The getters mirror RM_ServerInfoGetField*: the value, or None when the field is
    missing or does not read as that kind (Redis's out_err).
    """

    def get_field(self, name: str) -> bytes | None:
        """RM_ServerInfoGetField: the raw value."""
        return self.get(name)

    def get_field_c(self, name: str) -> str | None:
        """RM_ServerInfoGetFieldC: the value as text."""
        raw = self.get(name)
        return None if raw is None else raw.decode("utf-8", "replace")

    def get_field_signed(self, name: str) -> int | None:
        """RM_ServerInfoGetFieldSigned."""
        raw = self.get(name)
        return None if raw is None else parse_int(raw)

    def get_field_unsigned(self, name: str) -> int | None:
        """RM_ServerInfoGetFieldUnsigned."""
        raw = self.get(name)
        if raw is None or not raw.isdigit():
            return None
        value = int(raw)
        return value if value < 1 << 64 else None

    def get_field_double(self, name: str) -> float | None:
        """RM_ServerInfoGetFieldDouble."""
        raw = self.get(name)
        return None if raw is None else parse_float(raw)


def parse_info(text: bytes) -> ServerInfo:
    """INFO's `name:value` lines (section headers and blank lines skipped)."""
    info = ServerInfo()
    for line in text.splitlines():
        if not line or line.startswith(b"#"):
            continue
        name, sep, value = line.partition(b":")
        if sep:
            info[name.decode("utf-8", "replace")] = value
    return info


class ContextQueries:
    """RedisModuleCtx's questions about the call and the server."""

    _session: Session
    _state: ServerState
    #: Unix time in microseconds when the call started (RM_CachedMicroseconds).
    _started_us: int

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

    @staticmethod
    def get_random_hex_chars(length: int) -> str:
        """RM_GetRandomHexChars: `length` random characters of 0-9a-f."""
        return secrets.token_hex((length + 1) // 2)[:length]

    @staticmethod
    def microseconds() -> int:
        """RM_Microseconds (7.2): the Unix time in microseconds."""
        return time.time_ns() // 1000

    @staticmethod
    def monotonic_microseconds() -> int:
        """RM_MonotonicMicroseconds: a monotonic clock in microseconds."""
        return time.monotonic_ns() // 1000

    def cached_microseconds(self) -> int:
        """RM_CachedMicroseconds (7.2): the Unix time in microseconds, read once per call (the
        first time it is asked) and the same for the rest of it, as Redis caches it."""
        if not self._started_us:
            self._started_us = time.time_ns() // 1000
        return self._started_us

    def get_client_info_by_id(self, client_id: int) -> ClientInfo | None:
        """RM_GetClientInfoById: id, flags, address, port and db of a connected client
        (None when there is none by that id)."""
        session = self._state.clients.get(client_id)
        if session is None:
            return None
        state = session.state
        flags = ClientInfoFlag(0)
        subs = PubSub.of(state).subscriptions_of(session)
        if subs is not None and subs.total:
            flags |= ClientInfoFlag.PUBSUB
        if Blocking.of(state).is_blocked(session):
            flags |= ClientInfoFlag.BLOCKED
        if Tracking.of(state).options_of(session) is not None:
            flags |= ClientInfoFlag.TRACKING
        if session.in_multi:
            flags |= ClientInfoFlag.MULTI
        host, _, port = session.addr.rpartition(":")
        if not host or not port.isdigit():
            flags |= ClientInfoFlag.UNIXSOCKET
            host, port = "", "0"
        return ClientInfo(client_id, flags, host, int(port), session.db_index)

    def get_client_user_name_by_id(self, client_id: int) -> bytes | None:
        """RM_GetClientUserNameById: the ACL user a client is authenticated as (None when
        there is no client by that id)."""
        session = self._state.clients.get(client_id)
        return None if session is None else session.user.encode()

    def get_client_name_by_id(self, client_id: int) -> bytes | None:
        """RM_GetClientNameById: the CLIENT SETNAME name (None for no client or no name)."""
        session = self._state.clients.get(client_id)
        return None if session is None or not session.name else session.name.encode()

    def set_client_name_by_id(self, client_id: int, name: bytes | str) -> bool:
        """RM_SetClientNameById: False for no client by that id or a name CLIENT SETNAME
        refuses (spaces, newlines or other non-printable characters)."""
        session = self._state.clients.get(client_id)
        text = name.decode("utf-8", "replace") if isinstance(name, bytes) else name
        if session is None or any(not 33 <= ord(char) <= 126 for char in text):
            return False
        session.name = text
        return True

    def get_current_user_name(self) -> bytes:
        """RM_GetCurrentUserName: the ACL user of the calling client."""
        return self._session.user.encode()

    def get_notify_keyspace_events(self) -> int:
        """RM_GetNotifyKeyspaceEvents: the `notify-keyspace-events` setting as NotifyFlag bits."""
        from ferrite_host.keyspace.events import parse_notify_flags
        from ferrite_host.redis_module.notifications import notify_flags_of

        return int(notify_flags_of(parse_notify_flags(self._state.settings.notify_keyspace_events)))

    @staticmethod
    def get_context_flags_all() -> int:
        """RM_GetContextFlagsAll: every ContextFlag this server knows."""
        return int(sum(ContextFlag))

    @staticmethod
    def get_keyspace_notification_flags_all() -> int:
        """RM_GetKeyspaceNotificationFlagsAll: every NotifyFlag this server knows."""
        from ferrite_host.redis_module.notifications import NotifyFlag

        return int(sum(flag for flag in NotifyFlag if flag is not NotifyFlag.ALL))

    @staticmethod
    def get_server_version() -> int:
        """RM_GetServerVersion: 0x00MMmmpp of the Redis version this server answers as."""
        from ferrite_host import REDIS_COMPAT_VERSION

        major, minor, patch = (int(part) for part in REDIS_COMPAT_VERSION.split(".")[:3])
        return major << 16 | minor << 8 | patch

    def get_server_info(self, section: str | None = None) -> ServerInfo:
        """RM_GetServerInfo: INFO's fields (every section when `section` is None), parsed."""
        inner = self._state.new_session(kind="module")
        inner.authenticated = True
        try:
            argv = [b"INFO", (section or "everything").encode()]
            reply = self._state.dispatcher.execute(inner, argv, internal=True)
        finally:
            self._state.drop_session(inner)
        if isinstance(reply, Verbatim):
            reply = reply.data
        return parse_info(bytes(reply)) if isinstance(reply, (bytes, bytearray)) else ServerInfo()

    def is_module_name_busy(self, name: str) -> bool:
        """RM_IsModuleNameBusy: a module of that name (any case) is loaded."""
        from ferrite_host.redis_module.manager import RedisModuleManager

        manager = RedisModuleManager.of(self._state)
        return manager is not None and any(m.name.lower() == name.lower() for m in manager.loaded())

    @staticmethod
    def avoid_replica_traffic() -> bool:
        """RM_AvoidReplicaTraffic: always False (no replication, so no failover pausing)."""
        return False

    def dbsize(self) -> int:
        """RM_DbSize: keys in the selected database."""
        return len(self._session.db)

    def random_key(self) -> bytes | None:
        """RM_RandomKey: a random key of the selected database (None when empty)."""
        return self._session.db.random_key()

    def get_used_memory_ratio(self) -> float:
        """RM_GetUsedMemoryRatio: used memory (INFO's used_memory) over maxmemory, 0 when
        there is no limit."""
        eviction = Eviction.of(self._state)
        return eviction.used_ratio() if eviction is not None else 0.0
