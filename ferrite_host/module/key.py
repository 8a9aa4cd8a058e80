"""`Key`: one key of the caller's database, typed by what the module declared."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from ferrite_host.keyspace import TypedValue, events, is_string, now_ms, type_name
from ferrite_host.module.errors import ReplyError, WrongType
from ferrite_host.module.key_hashes import HashKeyMixin
from ferrite_host.module.key_lists import ListKeyMixin
from ferrite_host.module.key_zsets import ZSetKeyMixin

if TYPE_CHECKING:
    from ferrite_host.keyspace import Database
    from ferrite_host.module.context import Context
    from ferrite_host.redis_module.api import RedisModuleKey

T = TypeVar("T")


class Key(ListKeyMixin, HashKeyMixin, ZSetKeyMixin):
    """A key opened by `ctx.open_key` (read) or `ctx.open_key_writable` (read and write).

    Values of the module's own types through `value` / `set_value`; strings, lists
    (`list_*`), hashes (`hash_*`) and sorted sets (`zset_*`) with Python values in and out.

    Every write goes through the keyspace's mutators, so WATCH, expiry, `free` and the
    append-only file see it; a writable key also counts as modified when the command ends
    (values changed in place included), as Redis signals keys a module opened for writing.
    """

    __slots__ = ("_ctx", "_db", "_handle", "_name", "_writable", "_wrote")

    def __init__(self, ctx: Context, db: Database, name: bytes, writable: bool) -> None:
        self._ctx = ctx
        self._db = db
        self._name = name
        self._writable = writable
        #: A value was stored through this key: that write already told WATCH, tracking
        #: and the dirty counter, so closing it need not signal the key again.
        self._wrote = False
        self._handle: RedisModuleKey | None = None

    @property
    def name(self) -> bytes:
        return self._name

    def exists(self) -> bool:
        return self._db.get(self._name) is not None

    def type_name(self) -> str:
        """What TYPE answers ("none" for a missing key)."""
        value = self._db.get(self._name)
        return "none" if value is None else type_name(value)

    # -- module data types -----------------------------------------------------------------

    def value(self, kind: type[T]) -> T | None:
        """The stored value of data type `kind`; None when the key is empty. WRONGTYPE when
        it holds anything else."""
        stored = self._db.get(self._name)
        if stored is None:
            return None
        if type(stored) is TypedValue and isinstance(stored.value, kind):
            return stored.value
        raise WrongType()

    def set_value(self, value: T) -> T:
        """Store `value` (an instance of a declared data type), replacing whatever was
        there; returns `value`, so `key.value(T) or key.set_value(T())` reads well."""
        handle = self._ctx.type_handle(type(value))
        self._require_write()
        self._db.set(self._name, TypedValue(handle, value), event="set", cls=events.SILENT)
        self._wrote = True
        return value

    # -- strings -----------------------------------------------------------------------------

    def get_bytes(self) -> bytes | None:
        """The string value; None when empty; WRONGTYPE for other types."""
        stored = self._db.get(self._name)
        if stored is None:
            return None
        if not is_string(stored):
            raise WrongType()
        return bytes(stored)  # type: ignore[arg-type]

    def set_bytes(self, data: bytes | str) -> None:
        """Store a string value (any old value and its TTL go, as SET does)."""
        self._require_write()
        raw = data.encode() if isinstance(data, str) else bytes(data)
        self._db.set(self._name, raw)
        self._wrote = True

    def append(self, data: bytes | str) -> int:
        """Append to the string value (an empty key starts empty); its new length."""
        self._require_write()
        current = self.get_bytes() or b""
        joined = current + (data.encode() if isinstance(data, str) else bytes(data))
        self._db.set(self._name, joined, keep_ttl=True, event="append", cls=events.SILENT)
        return len(joined)

    def length(self) -> int:
        """The value's length as Redis measures it: bytes of a string, elements of a list,
        fields of a hash, members of a set or sorted set; 0 for an empty key."""
        return self.redis.value_length()

    # -- the key itself --------------------------------------------------------------------

    def delete(self) -> bool:
        self._require_write()
        return self._db.delete(self._name)

    def ttl_ms(self) -> int | None:
        """Milliseconds left to live; None for a key without expiry (or a missing key)."""
        when = self._db.get_expire(self._name)
        return None if when is None else max(when - now_ms(), 0)

    def expire_ms(self, milliseconds: int) -> bool:
        """Set a relative expiry; False when the key is missing."""
        self._require_write()
        return self._db.set_expire(self._name, now_ms() + milliseconds)

    def persist(self) -> bool:
        self._require_write()
        return self._db.persist(self._name)

    @property
    def redis(self) -> RedisModuleKey:
        """The Redis-shaped handle on the same key (lists, hashes, sorted sets, DMA...)."""
        if self._handle is None:
            self._handle = self._ctx.redis_key(self._name, self._writable)
        return self._handle

    def _require_write(self) -> None:
        if not self._writable:
            raise ReplyError(
                f"ERR key '{self._name.decode('utf-8', 'replace')}' was opened read-only; "
                "use ctx.open_key_writable to change it"
            )

    def _finish(self) -> None:
        if self._writable and not self._wrote and self._db.get(self._name) is not None:
            self._db.touch_value(self._name)

    def __repr__(self) -> str:
        mode = "writable" if self._writable else "read-only"
        return f"<Key {self._name!r} {mode}>"
