"""What a module command sees: the context, strings, key handles, and Redis's constants.

This mirrors the Redis Module API (`RedisModule_OpenKey`, `RedisModule_ReplyWith*`, ...) in
Python spelling. Key handles work on the server's live keyspace through the same database
mutators built-in commands use, so every module write emits the usual change events (WATCH,
module `free`, the dirty counter) and propagates like a built-in write.
"""

from __future__ import annotations

import contextlib
import enum
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ferrite_host.core.busy import MODULE_BUSY
from ferrite_host.core.errors import wrong_arity
from ferrite_host.core.loglevels import level_of
from ferrite_host.keyspace import Aggregate, TypedValue, now_ms
from ferrite_host.keyspace.events import SILENT
from ferrite_host.protocol.replies import (
    NULL_ARRAY,
    BigNumber,
    Error,
    SimpleString,
    Verbatim,
)
from ferrite_host.pubsub import KeyspaceNotifier, PubSub
from ferrite_host.redis_module.blocked_clients import BlockedClient
from ferrite_host.redis_module.call_flags import CallFlags
from ferrite_host.redis_module.configs import ConfigFlag
from ferrite_host.redis_module.ctx_blocking import BlockingContext
from ferrite_host.redis_module.ctx_queries import ClientInfoFlag, ContextFlag, ContextQueries
from ferrite_host.redis_module.filters import (
    FILTER_NOSELF,
    CommandFilter,
    CommandFilterCtx,
    CommandFilters,
    FilterCallback,
)
from ferrite_host.redis_module.key_access import KeyAccessMixin
from ferrite_host.redis_module.key_hashes import HASH_DELETE, HashFlag, KeyHashMixin
from ferrite_host.redis_module.key_lists import KeyListMixin, ListWhere
from ferrite_host.redis_module.key_positions import KEY_FULL_ACCESS, KeySpecFlag, key_flag_names
from ferrite_host.redis_module.key_zsets import ZSetKeyMixin
from ferrite_host.redis_module.notifications import (
    ModuleKeyspaceEvents,
    NotificationCallback,
    NotifyFlag,
    class_letter,
)
from ferrite_host.redis_module.rdb_io import AuxWhen, RedisModuleIO
from ferrite_host.redis_module.reply_builder import ARRAY, MAP, POSTPONED_LEN, SET, ReplyBuilder
from ferrite_host.redis_module.scan import ScanCursor, scan_keyspace, scan_value
from ferrite_host.redis_module.server_events import ModuleServerEvents, ServerEvent
from ferrite_host.redis_module.shared_api import SharedApis
from ferrite_host.redis_module.timers import ModuleTimers
from ferrite_host.redis_module.types import RedisModuleType
from ferrite_host.strconv import (
    LLONG_MAX,
    LLONG_MIN,
    parse_float,
    parse_int,
    parse_long_double,
    to_bytes,
)

if TYPE_CHECKING:
    from types import TracebackType

    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState
    from ferrite_host.keyspace import Database
    from ferrite_host.redis_module.module import RedisModule

log = logging.getLogger("ferrite")

#: The only Redis Module API version this host implements (`REDISMODULE_APIVER_1`).
REDISMODULE_API_VERSION = 1
#: Every API version a module may ask for in `ModuleInfo.api_version`.
SUPPORTED_API_VERSIONS: tuple[int, ...] = (REDISMODULE_API_VERSION,)
#: `RedisModuleKey.get_expire()` for a key without a TTL; `set_expire(NO_EXPIRE)` removes one.
NO_EXPIRE = -1
#: The error text modules reply with when a key holds the wrong type.
ERRORMSG_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
#: Largest string `string_truncate` may create (Redis's 512 MB limit).
STRING_MAX_SIZE = 512 * 1024 * 1024

#: An error reply as `ctx.call` returns it (a `str` holding the full text, e.g. "ERR ...").
ErrorReply = Error
#: RM_Yield flags: YIELD_FLAG_CLIENTS also serves other clients (-BUSY for most commands).
YIELD_FLAG_NONE = 0
YIELD_FLAG_CLIENTS = 1

#: A status reply as `ctx.call` returns it (a `str`, e.g. "OK").
SimpleStringReply = SimpleString


class Status(enum.IntEnum):
    """`REDISMODULE_OK` / `REDISMODULE_ERR`: what API calls, hooks and callbacks return."""

    OK = 0
    ERR = 1


class ModuleOption(enum.IntFlag):
    """What `RedisModule.set_module_options` takes (Redis's REDISMODULE_OPTIONS_* bits).

    HANDLE_IO_ERRORS: a typed `rdb_load` that reads a missing or mismatched field gets 0 /
    None and `io.is_io_error()` instead of an exception. NO_IMPLICIT_SIGNAL_MODIFIED: closing
    a key opened for writing no longer signals it as modified (WATCH, client tracking); call
    `ctx.signal_modified_key`. HANDLE_REPL_ASYNC_LOAD is accepted (no replication yet).

    NO_IMPLICIT_PROPAGATION is Ferrite's own: Redis never propagates a module command by
    itself (only what it replicates or calls with `!`), while Ferrite's default propagates a
    write command that changed data and asked for nothing verbatim, which keeps modules
    written without `replicate` safe. This option restores Redis's rule for a port.
    """

    NONE = 0
    HANDLE_IO_ERRORS = 1 << 0
    NO_IMPLICIT_SIGNAL_MODIFIED = 1 << 1
    HANDLE_REPL_ASYNC_LOAD = 1 << 2
    NO_IMPLICIT_PROPAGATION = 1 << 16


class KeyMode(enum.IntFlag):
    """How a key is opened; combine as Redis code does: `KeyMode.READ | KeyMode.WRITE`.

    `|` between modes is a table lookup: enum.Flag's own arithmetic costs about half a
    microsecond, on every module command that opens a key.
    """

    READ = 1
    WRITE = 2

    def __or__(self, other: object) -> KeyMode:
        if type(other) is KeyMode:
            return _KEY_MODES[self._value_ | other._value_]
        return super().__or__(other)  # type: ignore[operator]

    __ror__ = __or__


_KEY_MODES = {value: KeyMode(value) for value in range(4)}
_WRITE_BIT = int(KeyMode.WRITE)


class KeyType(enum.IntEnum):
    """What `RedisModuleKey.key_type()` answers, numbered as `REDISMODULE_KEYTYPE_*`."""

    EMPTY = 0
    STRING = 1
    LIST = 2
    HASH = 3
    SET = 4
    ZSET = 5
    MODULE = 6
    STREAM = 7


_BUILTIN_TYPE_NAMES = {
    "list": KeyType.LIST,
    "hash": KeyType.HASH,
    "set": KeyType.SET,
    "zset": KeyType.ZSET,
    "stream": KeyType.STREAM,
}


#: Argument/string conversion shared by `create_string`, `call` and `replicate`.
_to_bytes = to_bytes


class RedisModuleString(bytes):
    """A Redis string as module code handles it: immutable, binary-safe bytes.

    It *is* a `bytes` (so `bytes(s)`, `len(s)`, slicing and hashing behave as for bytes) and
    also compares equal to the `str` with the same UTF-8 encoding, which keeps module code
    short: `if args[0] == "NX": ...`. Its hash is that of the equal `str` (which for ASCII is
    also the bytes hash), so a dict keyed by text finds it; a dict keyed by non-ASCII bytes
    should be looked up with `bytes(s)`.
    """

    def __new__(
        cls, data: bytes | bytearray | memoryview | str | int | float = b""
    ) -> RedisModuleString:
        return super().__new__(cls, _to_bytes(data))

    @classmethod
    def from_str(cls, text: str) -> RedisModuleString:
        """The UTF-8 encoding of `text` (the seed's `RedisModuleString::from_str`)."""
        return cls(text)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return bytes(self) == other.encode("utf-8")
        return bytes.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        if self.isascii():
            return bytes.__hash__(self)
        try:
            return hash(self.decode("utf-8"))
        except UnicodeDecodeError:
            return bytes.__hash__(self)

    def __str__(self) -> str:
        return self.to_string_lossy()

    def __repr__(self) -> str:
        return f"RedisModuleString({bytes(self)!r})"

    def as_bytes(self) -> bytes:
        """A plain `bytes` copy (what Database values and replies store)."""
        return bytes(self)

    def is_empty(self) -> bool:
        """True for the empty string."""
        return not self

    def to_string_lossy(self) -> str:
        """Decoded as UTF-8, invalid bytes replaced by U+FFFD (never raises)."""
        return self.decode("utf-8", "replace")

    def to_long_long(self) -> int:
        """The signed 64-bit integer this string spells, by Redis's strict rules.

        Raises ValueError for anything `RedisModule_StringToLongLong` rejects: spaces, a
        leading `+`, leading zeros, overflow.
        """
        value = parse_int(self)
        if value is None:
            raise ValueError(f"not an integer or out of range: {self.to_string_lossy()!r}")
        return value

    def to_double(self) -> float:
        """The double this string spells; ValueError on spaces, NaN or garbage (as Redis)."""
        value = parse_float(self)
        if value is None:
            raise ValueError(f"not a valid float: {self.to_string_lossy()!r}")
        return value

    def to_long_double(self) -> float:
        """RM_StringToLongDouble by Redis's string2ld rules (hex floats and inf accepted;
        spaces, NaN, garbage, overflow refused with ValueError), rounded to a double."""
        value = parse_long_double(self)
        if value is None:
            raise ValueError(f"not a valid long double: {self.to_string_lossy()!r}")
        return float(value)

    def to_ulong_long(self) -> int:
        """RM_StringToULongLong: an unsigned 64-bit integer by Redis's strict rules."""
        if not self or not self.isdigit() or (len(self) > 1 and self[0:1] == b"0"):
            raise ValueError(f"not an unsigned integer: {self.to_string_lossy()!r}")
        value = int(self)
        if value >= 1 << 64:
            raise ValueError(f"not an unsigned integer: {self.to_string_lossy()!r}")
        return value

    def append_buffer(self, data: bytes | bytearray | memoryview | str) -> RedisModuleString:
        """RM_StringAppendBuffer: the string with `data` appended (a new string: Python
        strings are immutable, so assign the result)."""
        return RedisModuleString(bytes(self) + _to_bytes(data))


def _key_name(name: RedisModuleString | str | bytes | bytearray | memoryview) -> bytes:
    if type(name) is bytes:  # the usual cases first, without the isinstance chain
        return name
    if type(name) is RedisModuleString:
        return bytes(name)
    if isinstance(name, str):
        return name.encode("utf-8")
    if isinstance(name, (bytes, bytearray, memoryview)):
        return bytes(name)
    raise TypeError(f"key name must be str or bytes, got {type(name).__name__}")


class RedisModuleKey(KeyListMixin, KeyHashMixin, ZSetKeyMixin, KeyAccessMixin):
    """A handle on one key of the client's selected database, as `RedisModule_OpenKey` gives.

    Reads always see the live value; writes go through the database's mutators. Writes on a
    handle opened without `KeyMode.WRITE` return `Status.ERR` and change nothing. Closing a
    WRITE handle after in-place changes (writable DMA, mutating a module value fetched with
    `module_type_get_value`) records the key as modified, as Redis's `signalModifiedKey` does.
    """

    def __init__(
        self, ctx: RedisModuleCtx | None, db: Database, name: bytes, mode: KeyMode
    ) -> None:
        self._ctx = ctx
        self._db = db
        self._name = name
        self._mode = mode if type(mode) is KeyMode else KeyMode(mode)
        # Plain int test: IntFlag arithmetic costs microseconds on every module command.
        self._write = int.__and__(mode, _WRITE_BIT) != 0
        self._closed = False
        self._touched = False
        #: DMA views handed out (released on close); None until the first one.
        self._views: list[memoryview] | None = None
        #: Why the last list/hash call failed (EINVAL, ENOTSUP, EBADF, EDOM), as Redis's errno.
        self.errno = 0

    # -- handle lifecycle -------------------------------------------------------------------

    @property
    def name(self) -> RedisModuleString:
        """The key name this handle was opened on."""
        return RedisModuleString(self._name)

    @property
    def mode(self) -> KeyMode:
        """The mode the handle was opened with (READ, WRITE or both)."""
        return self._mode

    @property
    def closed(self) -> bool:
        """True once the handle was closed; using it then raises RuntimeError."""
        return self._closed

    def __enter__(self) -> RedisModuleKey:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Same as `ctx.close_key(key)`; closing twice is harmless."""
        if self._ctx is not None:
            self._ctx.close_key(self)
        else:
            self._release()

    def _release(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._zrange is not None:
            self._zrange = None
        views = self._views
        if views is not None:
            for view in views:
                with contextlib.suppress(BufferError):  # the module kept a slice; leave it be
                    view.release()
            views.clear()
        if not self._write:
            return
        if self._touched and self._db.get(self._name) is not None:
            self._db.touch_value(self._name)
        elif self._implicit_signal():
            self._db.signal_modified(self._name)

    def _implicit_signal(self) -> bool:
        """Closing a WRITE handle signals the key as modified (WATCH, tracking), as Redis
        does, unless the module set NO_IMPLICIT_SIGNAL_MODIFIED."""
        module = self._ctx._module if self._ctx is not None else None
        return module is None or not module.no_implicit_signal

    def _value(self) -> Any:
        if self._closed:
            raise RuntimeError(f"key handle for {self._name!r} used after close_key()")
        return self._db.get(self._name)

    def _writable(self) -> bool:
        if self._closed:
            raise RuntimeError(f"key handle for {self._name!r} used after close_key()")
        return self._write

    # -- inspection -------------------------------------------------------------------------

    def key_type(self) -> KeyType:
        """EMPTY for a missing key, STRING, MODULE for module types, or the built-in kind."""
        value = self._value()
        if value is None:
            return KeyType.EMPTY
        if type(value) is TypedValue:  # module values first: module commands ask the most
            if isinstance(value.type, RedisModuleType):
                return KeyType.MODULE
            return _BUILTIN_TYPE_NAMES.get(value.type.name, KeyType.MODULE)
        if isinstance(value, Aggregate):
            return _BUILTIN_TYPE_NAMES[value.TYPE]
        return KeyType.STRING

    def value_length(self) -> int:
        """Byte length of a string, element count of a collection, 0 for module values."""
        value = self._value()
        if value is None:
            return 0
        if type(value) is not TypedValue:
            return len(value)  # a string's bytes or an aggregate's elements
        if isinstance(value.type, RedisModuleType):
            return 0
        try:
            return len(value.value)
        except TypeError:
            return 0

    # -- strings ----------------------------------------------------------------------------

    def string_set(self, value: RedisModuleString | bytes | bytearray | str) -> Status:
        """Store a string, replacing any old value of any type and clearing its TTL."""
        if not self._writable():
            return Status.ERR
        self._db.set(self._name, _to_bytes(value), cls=SILENT)
        return Status.OK

    def string_dma(self, mode: KeyMode = KeyMode.READ) -> memoryview | None:
        """Direct access to the stored string bytes (`RedisModule_StringDMA`).

        Writable when both the handle and `mode` include WRITE: changes made through the
        view are the key's new content (valid until the handle closes or the string is
        truncated; fetch a new view after `string_truncate`). An empty key gives an empty
        read-only view; a non-string value gives None.
        """
        value = self._value()
        if value is None:
            return memoryview(b"")
        if type(value) is TypedValue:
            return None
        if int.__and__(mode, _WRITE_BIT) and self._writable():
            if type(value) is not bytearray:
                value = bytearray(value)
                self._db.set(self._name, value, keep_ttl=True, cls=SILENT)
            self._touched = True
            view = memoryview(value)
        else:
            view = memoryview(value).toreadonly()
        if self._views is None:
            self._views = [view]
        else:
            self._views.append(view)
        return view

    def string_truncate(self, length: int) -> Status:
        """Resize the string: zero-padded when growing; an empty key becomes `length` zeros.

        ERR without WRITE, on a non-string value, or above 512 MB. The TTL is kept.
        """
        if not self._writable() or length < 0 or length > STRING_MAX_SIZE:
            return Status.ERR
        value = self._value()
        if value is None:
            if length:
                self._db.set(self._name, bytes(length), cls=SILENT)
            return Status.OK
        if type(value) is TypedValue:
            return Status.ERR
        if len(value) == length:
            return Status.OK
        resized = bytearray(value[:length])
        resized.extend(bytes(length - len(resized)))
        stored = resized if type(value) is bytearray else bytes(resized)
        self._db.set(self._name, stored, keep_ttl=True, cls=SILENT)
        return Status.OK

    def delete_key(self) -> Status:
        """Delete the key (OK even if it was already missing); the handle stays usable."""
        if not self._writable():
            return Status.ERR
        self._db.delete(self._name, cls=SILENT)
        return Status.OK

    # -- expiry -----------------------------------------------------------------------------

    def get_expire(self) -> int:
        """Milliseconds left to live, or NO_EXPIRE for a key without TTL (or no key)."""
        if self._value() is None:
            return NO_EXPIRE
        when = self._db.get_expire(self._name)
        if when is None:
            return NO_EXPIRE
        return max(0, when - now_ms())

    def set_expire(self, milliseconds: int) -> Status:
        """Expire the key `milliseconds` from now; NO_EXPIRE removes the TTL.

        ERR without WRITE, on a missing key, or for any other negative value.
        """
        if milliseconds == NO_EXPIRE:
            return self.set_abs_expire(NO_EXPIRE)
        if milliseconds < 0:
            return Status.ERR
        return self.set_abs_expire(now_ms() + milliseconds)

    # -- module types -----------------------------------------------------------------------

    def module_type_set_value(self, module_type: RedisModuleType, value: Any) -> Status:
        """Store a value of a module type, replacing whatever the key held (TTL cleared).

        Setting the very object the key already holds keeps it (it is not freed).
        """
        if not isinstance(module_type, RedisModuleType):
            raise TypeError(
                "module_type_set_value needs the handle module.register_type() returned, "
                f"got {type(module_type).__name__}"
            )
        if not self._writable():
            return Status.ERR
        current = self._value()
        if type(current) is TypedValue and current.type is module_type and current.value is value:
            self._db.set(self._name, current, cls=SILENT)
        else:
            self._db.set(self._name, TypedValue(module_type, value), cls=SILENT)
        return Status.OK

    def module_type_get_type(self) -> RedisModuleType | None:
        """The module type of the stored value, None for a missing key or any other type."""
        value = self._value()
        if type(value) is TypedValue and isinstance(value.type, RedisModuleType):
            return value.type
        return None

    def module_type_get_value(self) -> Any:
        """The stored module value (mutate it in place), None unless the key holds one."""
        value = self._value()
        if type(value) is TypedValue and isinstance(value.type, RedisModuleType):
            if self._write:
                self._touched = True  # in-place changes must count as a write on close
            return value.value
        return None

    def get_abs_expire(self) -> int:
        """RM_GetAbsExpire: the Unix time in milliseconds the key expires at, or NO_EXPIRE."""
        if self._value() is None:
            return NO_EXPIRE
        when = self._db.get_expire(self._name)
        return NO_EXPIRE if when is None else when

    def set_abs_expire(self, unix_ms: int) -> Status:
        """RM_SetAbsExpire: expire at a Unix time in milliseconds; NO_EXPIRE removes the
        TTL. ERR without WRITE, on a missing key, or for another negative value."""
        if not self._writable() or self._value() is None:
            return Status.ERR
        if unix_ms == NO_EXPIRE:
            self._db.persist(self._name, cls=SILENT)
            return Status.OK
        if unix_ms < 0:
            return Status.ERR
        self._db.set_expire(self._name, unix_ms, cls=SILENT)
        return Status.OK

    def unlink_key(self) -> Status:
        """RM_UnlinkKey: as `delete_key` (there is no lazy freeing)."""
        return self.delete_key()

    def module_type_replace_value(
        self, module_type: RedisModuleType, value: Any
    ) -> tuple[Status, Any]:
        """RM_ModuleTypeReplaceValue: put `value` in place of the key's value of
        `module_type` and hand back the old one, which is not freed (ERR, None when the key
        holds no value of that type); the TTL is kept."""
        current = self._value()
        if (
            not self._writable()
            or type(current) is not TypedValue
            or current.type is not module_type
        ):
            return Status.ERR, None
        old = current.value
        current.value = value
        self._touched = True
        return Status.OK, old

    @property
    def db_id(self) -> int:
        """RM_GetDbIdFromModuleKey: the database the handle was opened in."""
        return self._db.index

    def scan_key(
        self, cursor: ScanCursor, callback: Callable[..., Any], privdata: Any = None
    ) -> bool:
        """RM_ScanKey: one batch of `callback(key, field, value, privdata)` over a hash, set
        (value None) or sorted set (value = the score as a string); False when done or when
        the key holds another type (`errno` EINVAL)."""
        return scan_value(self, cursor, callback, privdata)

    def __repr__(self) -> str:
        state = "closed" if self._closed else self._mode.name
        return f"<RedisModuleKey {self._name!r} db={self._db.index} {state}>"


class RedisModuleCtx(ContextQueries, BlockingContext):
    """The context of one module command call (`RedisModuleCtx *ctx` in C).

    Replies are collected as a value tree (the encoder produces RESP2 or RESP3 for the
    client's protocol); keys left open are closed when the callback returns.
    """

    def __init__(
        self,
        session: Session,
        command_name: str = "",
        module: RedisModule | None = None,
        argv: list[bytes] | None = None,
    ) -> None:
        self._session = session
        self._state = session.state
        self._command_name = command_name
        self._module = module
        self._argv = argv if argv is not None else []
        self._owner = module.info.name if module is not None else "?"
        self._replies = ReplyBuilder(self._owner)
        self._keys: list[RedisModuleKey] = []
        self._propagation: list[list[bytes]] = []
        self._call_session: Session | None = None
        self._started_us = 0
        #: Keys announced by `key_at_pos` while answering a keys-position request.
        self._key_positions: list[tuple[int, list[str]]] | None = None

    @classmethod
    @contextlib.contextmanager
    def detached(cls, state: ServerState, owner: str) -> Iterator[RedisModuleCtx]:
        """A context outside any client's command (timers, event callbacks): an internal,
        authenticated session of its own on database 0, released afterwards."""
        session = state.new_session(kind="module")
        session.authenticated = True
        ctx = cls(session, "", None, [])
        ctx._owner = owner
        try:
            yield ctx
        finally:
            ctx.release()
            state.drop_session(session)

    # -- who and where ----------------------------------------------------------------------

    @property
    def command_name(self) -> str:
        """The command's name as the module declared it (e.g. "MYMOD.SET")."""
        return self._command_name

    @property
    def module(self) -> RedisModule | None:
        """The module that declared the running command (None for ad-hoc contexts)."""
        return self._module

    @property
    def db(self) -> int:
        """Index of the client's selected database (`RedisModule_GetSelectedDb`)."""
        return self._session.db_index

    @property
    def client_id(self) -> int:
        """The calling client's id, as CLIENT ID shows it."""
        return self._session.id

    @property
    def protocol(self) -> int:
        """2 or 3: the RESP version of the calling client (replies adapt by themselves)."""
        return self._session.protocol

    def select_db(self, index: int) -> Status:
        """Switch the client's selected database, as SELECT would; ERR when out of range."""
        if not 0 <= index < len(self._state.keyspace):
            return Status.ERR
        self._session.select(index)
        return Status.OK

    def log(self, level: str, message: str) -> None:
        """Write to the server log as `<module> message`; levels as Redis: debug, verbose,
        notice, warning (anything else logs at verbose, as Redis does)."""
        log.log(level_of(level), "<%s> %s", self._owner, message)

    # -- strings ----------------------------------------------------------------------------

    def create_string(self, value: str | bytes | bytearray | int | float) -> RedisModuleString:
        """A RedisModuleString from text (UTF-8), bytes, an integer or a double (Redis spelling)."""
        return RedisModuleString(value)

    @staticmethod
    def string_append_buffer(
        string: RedisModuleString | bytes, data: bytes | bytearray | memoryview | str
    ) -> RedisModuleString:
        """RM_StringAppendBuffer: `string` with `data` appended, as a new string."""
        return RedisModuleString(bytes(string) + _to_bytes(data))

    @staticmethod
    def string_to_long_double(string: RedisModuleString | bytes) -> tuple[Status, float]:
        """RM_StringToLongDouble: (OK, value) or (ERR, 0.0), by Redis's string2ld rules."""
        value = parse_long_double(bytes(string))
        return (Status.ERR, 0.0) if value is None else (Status.OK, float(value))

    @staticmethod
    def string_compare(first: bytes, second: bytes) -> int:
        """RM_StringCompare: -1, 0 or 1, comparing the bytes (memcmp order)."""
        return (bytes(first) > bytes(second)) - (bytes(first) < bytes(second))

    # -- keyspace walks, key positions, modified keys -------------------------------------

    @staticmethod
    def scan_cursor_create() -> ScanCursor:
        """RM_ScanCursorCreate."""
        return ScanCursor()

    def scan(self, cursor: ScanCursor, callback: Callable[..., Any], privdata: Any = None) -> bool:
        """RM_Scan: one batch of `callback(ctx, keyname, key, privdata)` over the selected
        database (`key` a READ handle, closed afterwards); False once every key was seen."""
        return scan_keyspace(self, cursor, callback, privdata)

    def is_keys_position_request(self) -> bool:
        """RM_IsKeysPositionRequest: the call only asks for the command's keys (a getkeys-api
        command asked by COMMAND GETKEYS or an ACL check): report them with `key_at_pos`."""
        return self._key_positions is not None

    def key_at_pos(self, pos: int) -> None:
        """RM_KeyAtPos: argument `pos` is a key (0 is the command name, as in Redis's argv);
        its flags are Redis's default RW, access, update."""
        self.key_at_pos_with_flags(pos, KEY_FULL_ACCESS)

    def key_at_pos_with_flags(self, pos: int, flags: int) -> None:
        """RM_KeyAtPosWithFlags: as `key_at_pos`, with REDISMODULE_CMD_KEY_* flags."""
        if self._key_positions is None:
            raise RuntimeError("key_at_pos outside a keys-position request")
        if pos <= 0 or pos >= len(self._argv):
            return
        self._key_positions.append((pos, key_flag_names(flags)))

    def signal_modified_key(self, name: RedisModuleString | str | bytes) -> Status:
        """RM_SignalModifiedKey: the key changed (WATCH, client tracking and the dirty
        counter hear it); what a module with NO_IMPLICIT_SIGNAL_MODIFIED calls itself."""
        self._session.db.touch_value(_key_name(name))
        return Status.OK

    # -- shared APIs and command filters --------------------------------------------------

    def export_shared_api(self, name: str, api: Any) -> Status:
        """RM_ExportSharedAPI: make `api` (any object) available to other modules as
        `name`; ERR when the name is taken."""
        exported: Status = SharedApis.of(self._state).export(self._owner, name, api)
        return exported

    def get_shared_api(self, name: str) -> Any:
        """RM_GetSharedAPI: what another module exported as `name`, or None. The exporter
        cannot be unloaded while this module is loaded."""
        return SharedApis.of(self._state).get(self._owner, name)

    def register_command_filter(self, callback: FilterCallback, flags: int = 0) -> CommandFilter:
        """RM_RegisterCommandFilter (see ferrite_host.redis_module.filters)."""
        return CommandFilters.of(self._state).register(self._owner, callback, flags)

    def unregister_command_filter(self, command_filter: CommandFilter) -> Status:
        """RM_UnregisterCommandFilter: ERR for a filter of another module or none."""
        removed = CommandFilters.of(self._state).unregister(command_filter, self._owner)
        return Status.OK if removed else Status.ERR

    # -- keys -------------------------------------------------------------------------------

    def open_key(
        self, name: RedisModuleString | str | bytes, mode: KeyMode = KeyMode.READ
    ) -> RedisModuleKey | None:
        """A handle on `name` in the selected database.

        READ on a missing key returns None (as Redis returns NULL); with WRITE a handle is
        always returned, so a missing key can be created. There is no type check here: ask
        `key_type()` and reply ERRORMSG_WRONGTYPE yourself.
        """
        if self._thread_safe:
            self._check_lock()
        key = name if type(name) is bytes else _key_name(name)
        db = self._session.db
        if type(mode) is not KeyMode:
            mode = KeyMode(mode)
        if not int.__and__(mode, _WRITE_BIT) and db.read(key) is None:
            return None
        handle = RedisModuleKey(self, db, key, mode)
        self._keys.append(handle)
        return handle

    def close_key(self, key: RedisModuleKey | None) -> None:
        """Close a handle (None is accepted, as Redis accepts NULL)."""
        if key is None:
            return
        key._release()
        if key in self._keys:
            self._keys.remove(key)

    def close_all_keys(self) -> None:
        """Close every handle still open (done for you when the callback returns)."""
        keys = self._keys
        while keys:  # the most recent first; closing may run callbacks that open more
            keys.pop()._release()

    # -- replies ----------------------------------------------------------------------------

    def reply_with_simple_string(self, message: str | bytes) -> Status:
        """`+message` (short, non-binary status text such as "OK")."""
        text = (
            message.decode("utf-8", "replace")
            if isinstance(message, (bytes, bytearray))
            else message
        )
        self._replies.add(SimpleString(text))
        return Status.OK

    def reply_with_error(self, message: str | bytes) -> Status:
        """`-message`: only the `-` is added, so include the code: "ERR bad input"."""
        text = (
            message.decode("utf-8", "replace")
            if isinstance(message, (bytes, bytearray))
            else message
        )
        self._replies.add(Error(text.rstrip("\r\n")))
        return Status.OK

    def reply_with_long_long(self, value: int) -> Status:
        """`:value` (a signed 64-bit integer)."""
        number = int(value)
        if not LLONG_MIN <= number <= LLONG_MAX:
            raise OverflowError(f"reply_with_long_long: {number} does not fit in 64 bits")
        self._replies.add(number)
        return Status.OK

    def reply_with_string(self, value: RedisModuleString | bytes | bytearray | str) -> Status:
        """A binary-safe bulk string."""
        self._replies.add(_to_bytes(value))
        return Status.OK

    def reply_with_string_buffer(self, buffer: bytes | bytearray | memoryview) -> Status:
        """A bulk string copied from a buffer (e.g. a DMA view)."""
        self._replies.add(bytes(buffer))
        return Status.OK

    def reply_with_empty_string(self) -> Status:
        """RM_ReplyWithEmptyString: `$0`."""
        self._replies.add(b"")
        return Status.OK

    def reply_with_c_string(self, text: str) -> Status:
        """A bulk string from text (UTF-8)."""
        self._replies.add(text.encode("utf-8"))
        return Status.OK

    def reply_with_null(self) -> Status:
        """The null reply: `$-1` in RESP2, `_` in RESP3."""
        self._replies.add(None)
        return Status.OK

    def reply_with_null_array(self) -> Status:
        """The null array: `*-1` in RESP2, `_` in RESP3."""
        self._replies.add(NULL_ARRAY)
        return Status.OK

    def reply_with_empty_array(self) -> Status:
        """`*0`."""
        self._replies.add([])
        return Status.OK

    def reply_with_array(self, length: int) -> Status:
        """Start an array of `length` elements: the next `length` replies are its elements.

        With POSTPONED_LEN the length is given later by `reply_set_array_length`.
        """
        self._replies.open(ARRAY, length)
        return Status.OK

    def reply_set_array_length(self, length: int) -> None:
        """Set the length of the most recent still-open POSTPONED_LEN array (or map/set)."""
        self._replies.set_length(ARRAY, length)

    def reply_with_map(self, length: int) -> Status:
        """Start a map of `length` key/value pairs (2*length replies follow, key first).

        RESP3 clients get a map; RESP2 clients a flat array of keys and values.
        """
        self._replies.open(MAP, length)
        return Status.OK

    def reply_set_map_length(self, length: int) -> None:
        """Set the pair count of the most recent POSTPONED_LEN map."""
        self._replies.set_length(MAP, length)

    def reply_with_set(self, length: int) -> Status:
        """Start a set of `length` members (RESP2 clients get an array)."""
        self._replies.open(SET, length)
        return Status.OK

    def reply_set_set_length(self, length: int) -> None:
        """Set the member count of the most recent POSTPONED_LEN set."""
        self._replies.set_length(SET, length)

    def reply_with_double(self, value: float) -> Status:
        """A double: `,1.5` in RESP3, the bulk string "1.5" in RESP2 (integral values as "6")."""
        self._replies.add(float(value))
        return Status.OK

    def reply_with_bool(self, value: bool) -> Status:
        """`#t`/`#f` in RESP3, `:1`/`:0` in RESP2."""
        self._replies.add(bool(value))
        return Status.OK

    def reply_with_big_number(self, digits: str | bytes) -> Status:
        """A RESP3 big number (`(digits`); RESP2 clients get a bulk string."""
        text = digits.decode("ascii") if isinstance(digits, (bytes, bytearray)) else digits
        self._replies.add(BigNumber(text))
        return Status.OK

    def reply_with_verbatim_string(self, text: str | bytes, fmt: str = "txt") -> Status:
        """A RESP3 verbatim string with a 3-letter format ("txt", "mkd"); bulk in RESP2."""
        if len(fmt) != 3:
            raise ValueError(f"verbatim string format must be 3 characters, got {fmt!r}")
        self._replies.add(Verbatim(_to_bytes(text), fmt))
        return Status.OK

    def reply_with_call_reply(self, reply: Any) -> Status:
        """Forward a reply `ctx.call` returned, unchanged."""
        self._replies.add(reply)
        return Status.OK

    def wrong_arity(self) -> Status:
        """`-ERR wrong number of arguments for '<declared name>' command`."""
        self._replies.add(Error(wrong_arity(self._command_name)))
        return Status.OK

    def take_replies(self) -> list[Any]:
        """Every top-level reply so far (open collections closed), emptying the buffer."""
        replies = self._replies.finish()
        self._replies = ReplyBuilder(self._owner)
        return replies

    def finish_replies(self) -> list[Any]:
        """The call's replies once it is over (no fresh buffer: nothing can follow)."""
        return self._replies.finish()

    # -- calling commands and propagation ---------------------------------------------------

    def call(self, command: str | bytes, *args: object, flags: str = "") -> Any:
        """Run any command (built-in or module) in the selected database; return its reply.

        The reply is a value: bytes, int, float, None, list, dict, set, or an `ErrorReply`
        (a `str` starting with the error code) instead of an exception. The command runs as
        an internal client (authenticated) whose SELECT does not affect the caller.
        `flags` are RM_Call's modifiers (see `CallFlags`): `!` propagates the call itself,
        `A`/`R` keep it off the AOF/replicas, `3`/`0` choose RESP3/the caller's protocol,
        `C` checks the caller's ACL permissions, `S` refuses what scripts may not run, `W`
        refuses writes, `M` refuses deny-oom commands over maxmemory, `E` and `K` are
        accepted. ValueError for any other letter. Without `!`, the command's writes
        propagate through this command (verbatim by default, see `replicate`).
        """
        if self._thread_safe:
            self._check_lock()
        options = CallFlags.parse(flags)
        argv = [_to_bytes(command), *(_to_bytes(arg) for arg in args)]
        inner = self._call_session
        if inner is None:
            inner = self._state.new_session(kind="module")
            inner.authenticated = True
            inner.calling_module = self._owner
            self._call_session = inner
        inner.select(self._session.db_index)
        inner.protocol = options.protocol_for(self._session)
        inner.user = self._session.user
        dispatcher = self._state.dispatcher
        if flags:
            resolved = dispatcher.resolve(argv)
            if type(resolved) is Error:
                self._state.record_error(resolved)
                return resolved
            refusal = options.refusal(self._session, resolved, argv)  # type: ignore[arg-type]
            if refusal is not None:
                self._state.record_error(refusal)
                return Error(refusal)
        if not options.propagate:
            return dispatcher.execute(inner, argv, internal=True)
        dirty = self._state.dirty
        reply = dispatcher.execute(inner, argv, internal=True)
        effects = inner.propagation
        inner.propagation = None
        if effects is None:
            effects = [argv] if self._state.dirty != dirty else []
        if options.reaches_aof:
            self._propagation.extend(effects)
        self._session.propagation = list(self._propagation)  # asked: no verbatim fallback
        return reply

    # -- pub/sub and keyspace events --------------------------------------------------------

    def publish_message(self, channel: str | bytes, message: str | bytes) -> int:
        """PUBLISH from the module (`RedisModule_PublishMessage`); returns how many clients
        received it."""
        return PubSub.of(self._state).publish(_to_bytes(channel), _to_bytes(message))

    def notify_keyspace_event(self, type: int, event: str, key: object) -> Status:
        """Announce a keyspace event on `key` in the selected database
        (`RedisModule_NotifyKeyspaceEvent`): module subscribers hear it, and clients too
        when `notify-keyspace-events` enables its class (NotifyFlag.MODULE is `d`).
        Nothing changes in the keyspace; ERR when `type` names no class."""
        letter = class_letter(type)
        if letter is None:
            return Status.ERR
        notifier = KeyspaceNotifier.of(self._state)
        notifier.announce(self._session.db_index, _to_bytes(key), event, letter)
        return Status.OK

    def subscribe_to_keyspace_events(self, types: int, callback: NotificationCallback) -> Status:
        """Call `callback(ctx, type, event, key)` after every keyspace event of the
        NotifyFlag classes in `types` (`RedisModule_SubscribeToKeyspaceEvents`),
        synchronously, whatever `notify-keyspace-events` says. Dropped on MODULE UNLOAD."""
        if not callable(callback):
            raise TypeError("subscribe_to_keyspace_events needs a callable")
        ModuleKeyspaceEvents.of(self._state).subscribe(self._module, types, callback)
        return Status.OK

    def replicate(self, command: str | bytes, *args: object) -> Status:
        """Append `command args...` to what this call propagates to the AOF (and replicas).

        Calls accumulate in order with `replicate_verbatim`; once any is made, the command
        itself is no longer propagated verbatim. ERR for an unknown command name.
        """
        name = _to_bytes(command)
        if self._state.commands.lookup(name) is None:
            return Status.ERR
        self._propagation.append([name, *(_to_bytes(arg) for arg in args)])
        self._session.replace_propagation(*self._propagation)
        return Status.OK

    def replicate_verbatim(self) -> Status:
        """Propagate this command exactly as the client sent it."""
        if self._argv:
            self._propagation.append(list(self._argv))
            self._session.propagation = list(self._propagation)
        return Status.OK

    # -- server events ----------------------------------------------------------------------

    def subscribe_to_server_event(self, event: int, callback: Callable[..., None] | None) -> Status:
        """RM_SubscribeToServerEvent at run time (None unsubscribes); see
        `RedisModule.subscribe_to_server_event` for the events delivered."""
        ModuleServerEvents.of(self._state).subscribe(self._owner, event, callback)
        return Status.OK

    # -- timers ---------------------------------------------------------------------------

    def create_timer(self, ms: int, callback: Callable[..., None], data: Any = None) -> int:
        """RM_CreateTimer: call `callback(ctx, data)` once, `ms` milliseconds from now, on
        the event loop; returns the timer id. MODULE UNLOAD is refused while it is pending."""
        return ModuleTimers.of(self._state).create(self._owner, ms, callback, data)

    def stop_timer(self, timer_id: int) -> tuple[Status, Any]:
        """RM_StopTimer: (OK, data) for a pending timer of this module, else (ERR, None)."""
        stopped, data = ModuleTimers.of(self._state).stop(timer_id, self._owner)
        return (Status.OK, data) if stopped else (Status.ERR, None)

    def get_timer_info(self, timer_id: int) -> tuple[Status, int, Any]:
        """RM_GetTimerInfo: (OK, milliseconds left, data), or (ERR, 0, None)."""
        found = ModuleTimers.of(self._state).info(timer_id, self._owner)
        return (Status.ERR, 0, None) if found is None else (Status.OK, found[0], found[1])

    def yield_(self, flags: int = YIELD_FLAG_CLIENTS, busy_reply: str | None = None) -> None:
        """RM_Yield: let other clients be served during a long command. Until the command
        returns they get `-BUSY <busy_reply>` (or Redis's default module text), except the
        commands Redis allows while busy. A no-op without a network layer (in process)."""
        pump = self._state.event_pump
        if pump is None or not flags & YIELD_FLAG_CLIENTS:
            return
        pump(f"BUSY {busy_reply}" if busy_reply else MODULE_BUSY)

    def release(self) -> None:
        """End of the call: close open keys and the internal client of `call`."""
        if self._keys:
            self.close_all_keys()
        if self._call_session is not None:
            self._state.drop_session(self._call_session)
            self._call_session = None

    def open_keys(self) -> Iterator[RedisModuleKey]:
        """Handles not yet closed (for diagnostics)."""
        return iter(list(self._keys))


__all__ = [
    "ERRORMSG_WRONGTYPE",
    "FILTER_NOSELF",
    "HASH_DELETE",
    "NO_EXPIRE",
    "POSTPONED_LEN",
    "REDISMODULE_API_VERSION",
    "STRING_MAX_SIZE",
    "SUPPORTED_API_VERSIONS",
    "YIELD_FLAG_CLIENTS",
    "YIELD_FLAG_NONE",
    "AuxWhen",
    "BlockedClient",
    "ClientInfoFlag",
    "CommandFilterCtx",
    "ConfigFlag",
    "ContextFlag",
    "ErrorReply",
    "HashFlag",
    "KeyMode",
    "KeySpecFlag",
    "KeyType",
    "ListWhere",
    "ModuleOption",
    "NotifyFlag",
    "RedisModuleCtx",
    "RedisModuleIO",
    "RedisModuleKey",
    "RedisModuleString",
    "ScanCursor",
    "ServerEvent",
    "SimpleStringReply",
    "Status",
]
