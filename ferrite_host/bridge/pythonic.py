"""The Pythonic module API (`ferrite_host.module`: Context, Key) inside Redis.

`BridgeContext` and `BridgeKey` have the methods of `Context` and `Key`, implemented on the
Redis-shaped bridge classes, so a `Module` runs the same on both hosts. The Key's list, hash
and sorted-set calls are Ferrite's own (key_lists.py, key_hashes.py, key_zsets.py): writes
go through the bridged RedisModule_List*/Hash*/Zset* calls, reads see a copy of the
collection fetched with LRANGE / HGETALL / ZRANGE (O(N) per read on Redis).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypeVar

from ferrite_host.bridge import _native as native
from ferrite_host.bridge.context import BridgeKey as RedisKey
from ferrite_host.bridge.context import not_bridged
from ferrite_host.bridge.ctx_blocking import PythonicBlockingMixin
from ferrite_host.core.loglevels import level_of
from ferrite_host.keyspace import HashValue, ListValue, ZSetValue
from ferrite_host.keyspace.zsets import AddFlags
from ferrite_host.module.context import Context
from ferrite_host.module.errors import ReplyError, WrongType
from ferrite_host.module.key import Key
from ferrite_host.module.key_hashes import HashKeyMixin
from ferrite_host.module.key_lists import ListKeyMixin
from ferrite_host.module.key_zsets import ZSetKeyMixin
from ferrite_host.redis_module.api import NO_EXPIRE, KeyMode, KeyType

if TYPE_CHECKING:
    from ferrite_host.bridge.context import BridgeCtx
    from ferrite_host.redis_module.types import RedisModuleType

log = logging.getLogger("ferrite")
T = TypeVar("T")
READ_WRITE = KeyMode.READ | KeyMode.WRITE


class BridgeContext(native.Context, PythonicBlockingMixin):
    """`Context` on Redis: the caller's database, keys, `call`, replication and logging
    (blocking and waiting: ctx_blocking.py).

    Its C base (`_native.Context`) holds the call (`_call`, also `redis`: the Redis-shaped
    ctx) and the Module (`_module`); `db` and `command_name` are read there.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def _call(self) -> BridgeCtx: ...

        @property
        def redis(self) -> BridgeCtx: ...

    @property
    def client_id(self) -> int:
        return self._call.client_id

    @property
    def protocol(self) -> int:
        return self._call.protocol

    def open_key(self, name: bytes | str) -> BridgeKey | None:
        raw = name.encode() if isinstance(name, str) else name
        handle = self._call.open_key(raw, KeyMode.READ)
        if handle is None or handle.key_type() == KeyType.EMPTY:
            return None
        return BridgeKey(self, handle, raw, writable=False)

    def open_key_writable(self, name: bytes | str) -> BridgeKey:
        raw = name.encode() if isinstance(name, str) else name
        handle = self._call.open_key(raw, READ_WRITE)
        assert handle is not None  # WRITE always gives a handle
        return BridgeKey(self, handle, raw, writable=True)

    def type_handle(self, kind: type) -> RedisModuleType:
        name = self._module.declared_type_name(kind)
        staged = self._call.module
        handle = None if staged is None else self._call.registry.handle_named(staged, name)
        if handle is None:
            raise ReplyError(f"ERR data type '{name}' is not loaded")
        return handle

    def call(self, command: str | bytes, *args: object, flags: str = "") -> Any:
        return self._call.call(command, *args, flags=flags)

    def redis_key(self, name: bytes, writable: bool) -> RedisKey:
        handle = self._call.open_key(name, READ_WRITE if writable else KeyMode.READ)
        if handle is None:
            raise KeyError(name)
        return handle

    def yield_events(self, busy_reply: str | None = None) -> None:
        self._call.yield_(1, busy_reply)

    def replicate(self, command: str | bytes, *args: object) -> None:
        self._call.replicate(command, *args)

    def log(self, level: str, message: str) -> None:
        log.log(level_of(level), "<%s> %s", self._module.name, message)


#: The Redis key type each collection class is stored as.
_KEY_TYPES: dict[type, KeyType] = {
    ListValue: KeyType.LIST,
    HashValue: KeyType.HASH,
    ZSetValue: KeyType.ZSET,
}


def _snapshot(ctx: BridgeContext, name: bytes, kind: type) -> Any:
    """The collection at `name` as Ferrite's value class, read with one command."""
    if kind is ListValue:
        return ListValue(bytes(item) for item in ctx.call("LRANGE", name, 0, -1))
    flat = ctx.call("HGETALL" if kind is HashValue else "ZRANGE", name, *_ZRANGE_ALL[kind])
    pairs = zip(flat[::2], flat[1::2], strict=True)
    if kind is HashValue:
        return HashValue((bytes(field), bytes(value)) for field, value in pairs)
    zset = ZSetValue()
    for member, score in pairs:
        zset.add_with(bytes(member), float(score), AddFlags())
    return zset


_ZRANGE_ALL: dict[type, tuple[object, ...]] = {HashValue: (), ZSetValue: (0, -1, "WITHSCORES")}


class BridgeKey(ListKeyMixin, HashKeyMixin, ZSetKeyMixin):
    """`Key` on Redis."""

    __slots__ = ("_ctx", "_key", "_name", "_writable")

    def __init__(self, ctx: BridgeContext, key: RedisKey, name: bytes, writable: bool) -> None:
        self._ctx = ctx
        self._key = key
        self._name = name
        self._writable = writable

    @property
    def name(self) -> bytes:
        return self._name

    def exists(self) -> bool:
        return self._key.key_type() != KeyType.EMPTY

    def type_name(self) -> str:
        reply = self._ctx.call("TYPE", self._name)
        return reply.decode() if isinstance(reply, bytes) else str(reply)

    def value(self, kind: type[T]) -> T | None:
        keytype = self._key.key_type()
        if keytype == KeyType.EMPTY:
            return None
        if keytype == KeyType.MODULE:
            stored = self._key.module_type_get_value()
            if isinstance(stored, kind):
                return stored
        raise WrongType()

    def set_value(self, value: T) -> T:
        handle = self._ctx.type_handle(type(value))
        self._require_write()
        self._key.module_type_set_value(handle, value)
        return value

    def get_bytes(self) -> bytes | None:
        keytype = self._key.key_type()
        if keytype == KeyType.EMPTY:
            return None
        if keytype != KeyType.STRING:
            raise WrongType()
        view = self._key.string_dma(KeyMode.READ)
        return b"" if view is None else bytes(view)

    def set_bytes(self, data: bytes | str) -> None:
        self._require_write()
        self._key.string_set(data.encode() if isinstance(data, str) else bytes(data))

    def delete(self) -> bool:
        self._require_write()
        existed = self.exists()
        self._key.delete_key()
        return existed

    def ttl_ms(self) -> int | None:
        remaining = self._key.get_expire()
        return None if remaining == NO_EXPIRE else max(remaining, 0)

    def expire_ms(self, milliseconds: int) -> bool:
        self._require_write()
        if not self.exists():
            return False
        return int(self._key.set_expire(max(milliseconds, 0))) == 0

    def persist(self) -> bool:
        self._require_write()
        if self._key.get_expire() == NO_EXPIRE:
            return False
        return int(self._key.set_expire(NO_EXPIRE)) == 0

    @property
    def redis(self) -> RedisKey:  # type: ignore[override]
        return self._key

    # -- what the collection mixins build on ------------------------------------------------

    def _holds(self, kind: type) -> bool:
        """True when the key holds a `kind`, False when it is empty; WRONGTYPE otherwise."""
        keytype = self._key.key_type()
        if keytype == KeyType.EMPTY:
            return False
        if keytype != _KEY_TYPES[kind]:
            raise WrongType()
        return True

    def _stored(self, kind: type[T]) -> T | None:
        return _snapshot(self._ctx, self._name, kind) if self._holds(kind) else None

    def _for_write(self, kind: type[object]) -> Any:
        self._holds(kind)
        self._require_write()
        return self._key

    # -- strings ---------------------------------------------------------------------------

    def append(self, data: bytes | str) -> int:
        """APPEND's effect through the key API: the TTL stays, no notification (as Ferrite)."""
        self._require_write()
        extra = data.encode() if isinstance(data, str) else bytes(data)
        keytype = self._key.key_type()
        if keytype == KeyType.EMPTY:
            self._key.string_set(extra)
            return len(extra)
        if keytype != KeyType.STRING:
            raise WrongType()
        current = self._key.value_length()
        if extra:
            self._key.string_truncate(current + len(extra))
            view = self._key.string_dma(KeyMode.WRITE)
            assert view is not None
            view[current:] = extra
        return current + len(extra)

    def length(self) -> int:
        return self._key.value_length()

    def _require_write(self) -> None:
        if not self._writable:
            raise ReplyError(
                f"ERR key '{self._name.decode('utf-8', 'replace')}' was opened read-only; "
                "use ctx.open_key_writable to change it"
            )

    def __repr__(self) -> str:
        mode = "writable" if self._writable else "read-only"
        return f"<BridgeKey {self._name!r} {mode}>"


not_bridged(BridgeKey, Key)
not_bridged(BridgeContext, Context)
