"""The hash half of the module key API: `RedisModule_HashSet` and `RedisModule_HashGet`.

Mixed into `RedisModuleKey`. Flags and the delete marker mean what Redis's do; changes go
through the database's mutators without a keyspace notification (modules notify for
themselves). A failed call leaves the reason in `key.errno` (EINVAL, ENOTSUP, EBADF).
"""

from __future__ import annotations

import enum
import errno as _errno
from typing import TYPE_CHECKING, Any

from ferrite_host.keyspace import HashValue
from ferrite_host.keyspace.events import SILENT
from ferrite_host.redis_module import api as _api  # circular: used only at call time
from ferrite_host.strconv import to_bytes

if TYPE_CHECKING:
    from ferrite_host.keyspace import Database


class HashFlag(enum.IntFlag):
    """`REDISMODULE_HASH_*` flags of `hash_set` / `hash_get`, with Redis's values."""

    NONE = 0
    NX = 1 << 0  # hash_set: only fields that do not exist yet
    XX = 1 << 1  # hash_set: only fields that already exist
    CFIELDS = 1 << 2  # field names given as text (accepted for fidelity; str always works)
    EXISTS = 1 << 3  # hash_get: answer whether each field exists instead of its value
    COUNT_ALL = 1 << 4  # hash_set: count inserted fields too, not just updated/deleted ones


class _Delete:
    def __repr__(self) -> str:
        return "HASH_DELETE"


#: `REDISMODULE_HASH_DELETE`: as a value in `hash_set`, deletes the field.
HASH_DELETE: Any = _Delete()

_SET_FLAGS = HashFlag.NX | HashFlag.XX | HashFlag.CFIELDS | HashFlag.COUNT_ALL
_GET_FLAGS = HashFlag.CFIELDS | HashFlag.EXISTS


class KeyHashMixin:
    """Hash calls of a key handle (needs `_db`, `_name`, `_value()`, `_writable()`)."""

    _db: Database
    _name: bytes
    errno: int

    def _value(self) -> Any:
        raise NotImplementedError

    def _writable(self) -> bool:
        raise NotImplementedError

    def hash_set(self, flags: HashFlag | int, *pairs: Any) -> int:
        """Set (or, with the value HASH_DELETE, delete) fields: `hash_set(flags, f1, v1, ...)`.

        Answers how many fields that existed were updated or deleted (with COUNT_ALL, new
        ones too); 0 with errno set on error. A missing key is created by the first write;
        a hash left empty is deleted.
        """
        value = self._value()
        if len(pairs) % 2 or int(flags) & ~int(_SET_FLAGS):
            self.errno = _errno.EINVAL
            return 0
        if value is not None and type(value) is not HashValue:
            self.errno = _errno.ENOTSUP
            return 0
        if not self._writable():
            self.errno = _errno.EBADF
            return 0
        target = HashValue() if value is None else value
        count = self._apply(target, int(flags), pairs)
        self._store(target, created=value is None)
        return count

    def _apply(self, target: HashValue, flags: int, pairs: tuple[Any, ...]) -> int:
        count = 0
        limits = self._db.limits
        for index in range(0, len(pairs), 2):
            field, new = to_bytes(pairs[index]), pairs[index + 1]
            exists = field in target
            if (flags & HashFlag.XX and not exists) or (flags & HashFlag.NX and exists):
                continue
            if new is HASH_DELETE:
                count += target.pop(field, None) is not None
                continue
            data = to_bytes(new)
            target[field] = data
            target.update_encoding(limits, (field, data))
            count += 1 if flags & HashFlag.COUNT_ALL or exists else 0
        return count

    def _store(self, target: HashValue, created: bool) -> None:
        if created:
            if target:
                self._db.set(self._name, target, event="hset", cls=SILENT)
        elif not target:
            self._db.delete(self._name, cls=SILENT)
        else:
            self._db.changed(self._name, "hset", SILENT)

    def hash_get(self, flags: HashFlag | int, *fields: Any) -> list[Any] | None:
        """Each field's value (None when absent), or with EXISTS whether it exists.

        An empty key answers None / False for every field; None when the key holds another
        type (errno untouched, as Redis leaves it).
        """
        if int(flags) & ~int(_GET_FLAGS):
            self.errno = _errno.EINVAL
            return None
        value = self._value()
        if value is not None and type(value) is not HashValue:
            return None  # Redis answers ERR here without setting errno
        stored: dict[bytes, bytes] = {} if value is None else value
        names = [to_bytes(field) for field in fields]
        if flags & HashFlag.EXISTS:
            return [name in stored for name in names]
        found = (stored.get(name) for name in names)
        return [None if item is None else _api.RedisModuleString(item) for item in found]
