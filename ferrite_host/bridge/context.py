"""`ctx` and `key` inside Redis: the Redis-shaped module API (RedisModuleCtx /
RedisModuleKey's methods) implemented on the Redis Module API through the C module.

Module code cannot tell these from Ferrite's own classes except by type: the same method
names, arguments and Status results, so a module runs unchanged on both hosts. Every call
ends with Ferrite's propagation rule: a write command that changed data (through its keys
or `ctx.call`) and asked for no replication is replicated verbatim. The per-call state,
the reply methods and that rule are C (`_native.Call`, src/call.c), so a simple command
runs no bridge Python at all.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from ferrite_host.bridge import _native as native
from ferrite_host.bridge.collections import BridgeCollections
from ferrite_host.bridge.ctx_blocking import BlockingCtxMixin
from ferrite_host.bridge.key_access import BridgeKeyAccessMixin
from ferrite_host.core.loglevels import level_of
from ferrite_host.keyspace import TypedValue
from ferrite_host.protocol.replies import Error
from ferrite_host.redis_module.api import (
    NO_EXPIRE,
    KeyMode,
    KeyType,
    RedisModuleCtx,
    RedisModuleKey,
    RedisModuleString,
    Status,
)
from ferrite_host.redis_module.call_flags import CallFlags
from ferrite_host.redis_module.ctx_queries import ContextFlag
from ferrite_host.redis_module.notifications import NotificationCallback, class_letter
from ferrite_host.redis_module.types import RedisModuleType
from ferrite_host.strconv import to_bytes

log = logging.getLogger("ferrite")


_WRITE = int(KeyMode.WRITE)
#: RedisModule_KeyType's answers as KeyType members, without an enum call per lookup.
_KEY_TYPES = {int(kind): kind for kind in KeyType}


def _status(code: int) -> Status:
    return Status.OK if code == 0 else Status.ERR


def not_bridged(bridge_class: type, ferrite_class: type) -> type:
    """Give `bridge_class` a method for every public name of `ferrite_class` it lacks, which
    raises NotImplementedError naming it: a clear error for what the bridge does not map,
    without a `__getattr__` hook that would slow every attribute access down."""
    owner = ferrite_class.__name__
    for name in dir(ferrite_class):
        if name.startswith("_") or hasattr(bridge_class, name):
            continue

        def missing(self: object, *args: object, _name: str = name, **kwargs: object) -> Any:
            raise NotImplementedError(
                f"{owner}.{_name} is not available through the Ferrite bridge "
                "(see docs/bridge.md for what is mapped to the Redis Module API)"
            )

        missing.__name__ = name
        setattr(bridge_class, name, missing)
    return bridge_class


def _as_ferrite_reply(reply: Any) -> Any:
    """The C module's call reply as Ferrite's `ctx.call` returns it (errors as ErrorReply)."""
    if type(reply) is tuple:
        text = reply[1]
        return Error(text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    if type(reply) is list:
        return [_as_ferrite_reply(item) for item in reply]
    if type(reply) is bytes:
        # Redis's API does not say whether a string was a status or a bulk reply: a
        # RedisModuleString compares equal to both b"OK" and "OK", as either reply would.
        return bytes.__new__(RedisModuleString, reply)
    return reply


class BridgeKey(BridgeCollections, BridgeKeyAccessMixin):
    """RedisModuleKey's methods on a key Redis opened (`RedisModule_OpenKey`)."""

    __slots__ = ("_call", "_closed", "_handle", "_mode", "_name", "_views")

    def __init__(self, call: BridgeCtx, handle: int, name: bytes, mode: int) -> None:
        self._call = call
        self._handle = handle
        self._name = name
        self._mode = mode  # KeyMode bits, as a plain int (enum operations are slow)
        self._closed = False
        self._views: list[memoryview] = []
        #: Why the last failed list/hash call failed (Redis's errno), as on Ferrite.
        self.errno = 0

    @property
    def name(self) -> RedisModuleString:
        return RedisModuleString(self._name)

    @property
    def mode(self) -> KeyMode:
        return KeyMode(self._mode)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> BridgeKey:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for view in self._views:
            with contextlib.suppress(BufferError):
                view.release()
        native.close_key(self._handle)
        with contextlib.suppress(ValueError):
            self._call.keys.remove(self)

    def _key(self) -> int:
        if self._closed:
            raise RuntimeError(f"key handle for {self._name!r} used after close_key()")
        return self._handle

    def _writable(self) -> bool:
        self._key()
        return bool(self._mode & _WRITE)

    # -- inspection -------------------------------------------------------------------------

    def key_type(self) -> KeyType:
        return _KEY_TYPES[native.key_type(self._key())]

    def value_length(self) -> int:
        if self.key_type() == KeyType.MODULE:
            return 0
        return native.value_length(self._key())

    # -- strings ----------------------------------------------------------------------------

    def string_set(self, value: RedisModuleString | bytes | bytearray | str) -> Status:
        if not self._writable():
            return Status.ERR
        status = _status(native.string_set(self._call.addr, self._key(), to_bytes(value)))
        self._call.wrote = self._call.wrote or status is Status.OK
        return status

    def string_dma(self, mode: KeyMode = KeyMode.READ) -> memoryview | None:
        writable = bool(mode & KeyMode.WRITE) and self._writable()
        view = native.string_dma(self._key(), int(KeyMode.WRITE if writable else KeyMode.READ))
        if view is None:
            return None
        if writable and len(view):
            self._call.wrote = True
        self._views.append(view)
        return view

    def string_truncate(self, length: int) -> Status:
        if not self._writable() or length < 0:
            return Status.ERR
        status = _status(native.string_truncate(self._key(), length))
        self._call.wrote = self._call.wrote or status is Status.OK
        return status

    def delete_key(self) -> Status:
        if not self._writable():
            return Status.ERR
        existed = native.key_type(self._key()) != KeyType.EMPTY
        status = _status(native.delete_key(self._key()))
        self._call.wrote = self._call.wrote or existed
        return status

    # -- expiry -----------------------------------------------------------------------------

    def get_expire(self) -> int:
        return native.get_expire(self._key())

    def set_expire(self, milliseconds: int) -> Status:
        if not self._writable() or (milliseconds < 0 and milliseconds != NO_EXPIRE):
            return Status.ERR
        status = _status(native.set_expire(self._key(), milliseconds))
        self._call.wrote = self._call.wrote or status is Status.OK
        return status

    # -- module types -----------------------------------------------------------------------

    def module_type_set_value(self, module_type: RedisModuleType, value: Any) -> Status:
        if not isinstance(module_type, RedisModuleType):
            raise TypeError(
                "module_type_set_value needs the handle module.register_type() returned, "
                f"got {type(module_type).__name__}"
            )
        if not self._writable():
            return Status.ERR
        slot = self._call.registry.slot_of(module_type)
        current = self._stored()
        self._call.wrote = True
        if current is not None and current.type is module_type and current.value is value:
            return Status.OK  # storing the value the key holds keeps it (it is not freed)
        return _status(native.type_set_value(self._key(), slot, TypedValue(module_type, value)))

    def _stored(self) -> TypedValue | None:
        if native.type_slot(self._key()) < 0:
            return None
        stored: TypedValue = native.type_get_value(self._handle)
        return stored

    def module_type_get_type(self) -> RedisModuleType | None:
        slot = native.type_slot(self._key())
        return self._call.registry.handle_at(slot) if slot >= 0 else None

    def module_type_get_value(self) -> Any:
        stored = self._stored()
        if stored is None:
            return None
        if self._mode & _WRITE:
            self._call.wrote = True  # in-place changes count as a write, as on Ferrite
        return stored.value

    def __repr__(self) -> str:
        state = "closed" if self._closed else self.mode.name
        return f"<BridgeKey {self._name!r} {state}>"


class BridgeCtx(native.Call, BlockingCtxMixin):
    """RedisModuleCtx's methods on a Redis command context (blocking: ctx_blocking.py).

    The object is the call's state too: its C base (`_native.Call`) holds the Redis
    context, counts the replies (the `reply_*` methods, `wrong_arity` and `db` live there)
    and applies Ferrite's propagation rule when the call ends; `_wrote` (a write through a
    key or `call`) and `_asked` (the module replicated something itself) are set here.
    """

    __slots__ = ()

    @property
    def client_id(self) -> int:
        return native.client_id(self.addr)

    @property
    def protocol(self) -> int:
        return 3 if native.resp3(self.addr) else 2

    def select_db(self, index: int) -> Status:
        return _status(native.select_db(self.addr, index))

    # -- what a module may ask (RM_GetContextFlags, RM_KeyExists, ...) -----------------------

    def get_context_flags(self) -> ContextFlag:
        return ContextFlag(native.context_flags(self.addr))

    def key_exists(self, name: bytes | str) -> bool:
        return native.key_exists(self.addr, to_bytes(name))

    def get_client_id(self) -> int:
        return self.client_id

    @staticmethod
    def milliseconds() -> int:
        return native.milliseconds()

    @staticmethod
    def get_random_bytes(length: int) -> bytes:
        return native.random_bytes(length)

    @staticmethod
    def get_used_memory_ratio() -> float:
        return native.used_memory_ratio()

    # -- pub/sub, keyspace and server events --------------------------------------------------

    def publish_message(self, channel: str | bytes, message: str | bytes) -> int:
        return native.publish(self.addr, to_bytes(channel), to_bytes(message))

    def notify_keyspace_event(self, type: int, event: str, key: object) -> Status:
        if class_letter(type) is None:
            return Status.ERR
        name = key if isinstance(key, (bytes, str)) else str(key)
        return _status(native.notify(self.addr, int(type), event, to_bytes(name)))

    def subscribe_to_keyspace_events(self, types: int, callback: NotificationCallback) -> Status:
        if not callable(callback):
            raise TypeError("subscribe_to_keyspace_events needs a callable")
        return self.registry.subscribe_keyspace(self.addr, self.module, types, callback)

    def subscribe_to_server_event(self, event: int, callback: Callable[..., None] | None) -> Status:
        return self.registry.subscribe_server_event(self.addr, self.module, event, callback)

    # -- timers (RM_CreateTimer: the payload is (module, callback, data)) ----------------------

    def create_timer(self, ms: int, callback: Callable[..., None], data: Any = None) -> int:
        return native.create_timer(self.addr, int(ms), (self.module, callback, data))

    def stop_timer(self, timer_id: int) -> tuple[Status, Any]:
        payload = native.stop_timer(self.addr, timer_id)
        return (Status.ERR, None) if payload is None else (Status.OK, payload[2])

    def get_timer_info(self, timer_id: int) -> tuple[Status, int, Any]:
        found = native.timer_info(self.addr, timer_id)
        return (Status.ERR, 0, None) if found is None else (Status.OK, found[0], found[1][2])

    def log(self, level: str, message: str) -> None:
        owner = self.module.name if self.module is not None else "?"
        log.log(level_of(level), "<%s> %s", owner, message)

    def create_string(self, value: str | bytes | bytearray | int | float) -> RedisModuleString:
        return RedisModuleString(value)

    # -- keys -------------------------------------------------------------------------------

    def open_key(
        self, name: RedisModuleString | str | bytes, mode: KeyMode = KeyMode.READ
    ) -> BridgeKey | None:
        raw = name if type(name) is bytes or type(name) is RedisModuleString else to_bytes(name)
        handle = native.open_key(self.addr, raw, int(mode))
        if handle is None:
            return None
        key = BridgeKey(self, handle, raw, int(mode))
        self.keys.append(key)
        return key

    def close_key(self, key: BridgeKey | None) -> None:
        if key is not None:
            key.close()

    def close_all_keys(self) -> None:
        for key in list(self.keys):
            key.close()

    def open_keys(self) -> list[BridgeKey]:
        return list(self.keys)

    # -- calling commands and propagation ---------------------------------------------------

    def call(self, command: str | bytes, *args: object, flags: str = "") -> Any:
        """RedisModule_Call with errors as values and RM_Call's format flags (Redis applies
        them; `K` is a 7.2 flag 7.0 refuses, so it is dropped). A write counts as a change;
        a `!` call is a propagation the module asked for."""
        options = CallFlags.parse(flags)
        argv = [to_bytes(command), *(to_bytes(arg) for arg in args)]
        reply = native.call(self.addr, argv, flags.replace("K", "").replace("E", ""))
        reply = _as_ferrite_reply(reply)
        if options.propagate:
            self.asked = True
        elif type(reply) is not Error and self.registry.is_write_command(self, argv[0]):
            self.wrote = True
        return reply

    def replicate(self, command: str | bytes, *args: object) -> Status:
        argv = [to_bytes(command), *(to_bytes(arg) for arg in args)]
        status = _status(native.replicate(self.addr, argv))
        if status is Status.OK:
            self.asked = True
        return status

    def replicate_verbatim(self) -> Status:
        self.asked = True
        return _status(native.replicate_verbatim(self.addr))

    def yield_(self, flags: int = 1, busy_reply: str | None = None) -> None:
        """RM_Yield: other clients are served (answered -BUSY) during a long command."""
        native.yield_(self.addr, int(flags), busy_reply)

    def release(self) -> None:
        """Done by the bridge when the callback returns."""

    def finish(self, failure: str | None = None) -> None:
        """Close keys, complete the replies, apply the propagation rule, end the context
        (the runtime's part, done in C; kept for contexts the runtime makes itself)."""
        self._finish(failure)


#: The former name of the call state, which is the ctx itself now.
CallState = BridgeCtx

not_bridged(BridgeKey, RedisModuleKey)
not_bridged(BridgeCtx, RedisModuleCtx)
