"""The collection half of the bridge's key handle: lists, hashes and sorted sets on Redis.

The same methods, arguments and results as Ferrite's `RedisModuleKey` (key_lists.py,
key_hashes.py, key_zsets.py), each one RedisModule_List*/Hash*/Zset* call. Redis itself
answers errors and sets `errno`, which the C module hands back so `key.errno` tells the same
reason (EINVAL, ENOTSUP, EBADF, EDOM) on both hosts.
"""

from __future__ import annotations

import errno as _errno
from typing import TYPE_CHECKING, Any

from ferrite_host.bridge import _native as native
from ferrite_host.redis_module.api import KeyType, RedisModuleString, Status
from ferrite_host.redis_module.key_hashes import _GET_FLAGS, _SET_FLAGS, HASH_DELETE, HashFlag
from ferrite_host.redis_module.key_lists import ListWhere
from ferrite_host.redis_module.key_zsets import ZAddFlag
from ferrite_host.strconv import to_bytes

if TYPE_CHECKING:
    from ferrite_host.bridge.context import CallState

#: list_edit operations of the C module.
_SET, _INSERT, _DELETE = 0, 1, 2
_EMPTY, _HASH = int(KeyType.EMPTY), int(KeyType.HASH)
#: zset_step operations.
_NEXT, _PREV, _END, _STOP = 0, 1, 2, 3


def _status(code: int) -> Status:
    return Status.OK if code == 0 else Status.ERR


def _string(data: bytes | None) -> RedisModuleString | None:
    return None if data is None else bytes.__new__(RedisModuleString, data)


class BridgeCollections:
    """List, hash and sorted-set calls of a bridge key (needs `_call`, `_key()`, `_touch`)."""

    __slots__ = ("errno",)

    if TYPE_CHECKING:
        _call: CallState

        def _key(self) -> int: ...

        def _writable(self) -> bool: ...

    def _touch(self, changed: bool) -> None:
        if changed:
            self._call.wrote = True

    def _answer(self, result: tuple[Any, int], failed: object = None) -> Any:
        """The call's result; Redis's errno kept only when the call failed (it answered
        `failed`), since errno after a successful call means nothing."""
        value, code = result
        if value == failed and code:
            self.errno = code
        return value

    def _hash_refused(self) -> bool:
        """RedisModule_HashSet's refusals, in its order: another type, then a key opened
        without WRITE (errno ENOTSUP / EBADF)."""
        keytype = native.key_type(self._key())
        if keytype not in (_EMPTY, _HASH):
            self.errno = _errno.ENOTSUP
            return True
        if not self._writable():
            self.errno = _errno.EBADF
            return True
        return False

    # -- lists ------------------------------------------------------------------------------

    def list_push(self, where: ListWhere | int, element: bytes | str) -> Status:
        if element is None or where not in (ListWhere.HEAD, ListWhere.TAIL):
            self.errno = _errno.EINVAL
            return Status.ERR
        code = self._answer(
            native.list_push(self._call.addr, self._key(), int(where), to_bytes(element)), 1
        )
        status = _status(code)
        self._touch(status is Status.OK)
        return status

    def list_pop(self, where: ListWhere | int) -> RedisModuleString | None:
        if where not in (ListWhere.HEAD, ListWhere.TAIL):
            self.errno = _errno.EINVAL
            return None
        element = self._answer(native.list_pop(self._call.addr, self._key(), int(where)))
        self._touch(element is not None)
        return _string(element)

    def list_get(self, index: int) -> RedisModuleString | None:
        return _string(self._answer(native.list_get(self._call.addr, self._key(), index)))

    def _edit(self, operation: int, index: int, element: bytes | None) -> Status:
        result = native.list_edit(self._call.addr, self._key(), operation, index, element)
        status = _status(self._answer(result, 1))
        self._touch(status is Status.OK)
        return status

    def list_set(self, index: int, element: bytes | str) -> Status:
        return self._edit(_SET, index, to_bytes(element))

    def list_insert(self, index: int, element: bytes | str) -> Status:
        return self._edit(_INSERT, index, to_bytes(element))

    def list_delete(self, index: int) -> Status:
        return self._edit(_DELETE, index, None)

    # -- hashes -----------------------------------------------------------------------------

    def hash_set(self, flags: HashFlag | int, *pairs: Any) -> int:
        if len(pairs) % 2 or int(flags) & ~int(_SET_FLAGS):
            self.errno = _errno.EINVAL
            return 0
        flat: list[bytes | None] = []
        for index in range(0, len(pairs), 2):
            value = pairs[index + 1]
            flat += [to_bytes(pairs[index]), None if value is HASH_DELETE else to_bytes(value)]
        if self._hash_refused():
            return 0
        count, _code = native.hash_set(self._call.addr, self._key(), int(flags), flat)
        self._touch(bool(pairs))
        return int(count)

    def hash_get(self, flags: HashFlag | int, *fields: Any) -> list[Any] | None:
        if int(flags) & ~int(_GET_FLAGS):
            self.errno = _errno.EINVAL
            return None
        names = [to_bytes(field) for field in fields]
        # Redis leaves errno alone when HashGet fails (another type): so does the bridge.
        found, _code = native.hash_get(self._call.addr, self._key(), int(flags), names)
        if found is None or flags & HashFlag.EXISTS:
            return found
        return [_string(item) for item in found]

    # -- sorted sets ------------------------------------------------------------------------

    def zset_add(self, score: float, member: bytes, flags: int = 0) -> tuple[Status, ZAddFlag]:
        code, out, _score = native.zset_add(
            self._call.addr, self._key(), float(score), to_bytes(member), int(flags), False
        )
        self._touch(bool(out & (ZAddFlag.ADDED | ZAddFlag.UPDATED)))
        return _status(code), ZAddFlag(out)

    def zset_incrby(
        self, increment: float, member: bytes, flags: int = 0
    ) -> tuple[Status, ZAddFlag, float | None]:
        code, out, score = native.zset_add(
            self._call.addr, self._key(), float(increment), to_bytes(member), int(flags), True
        )
        changed = bool(out & (ZAddFlag.ADDED | ZAddFlag.UPDATED))
        self._touch(changed)
        return _status(code), ZAddFlag(out), score if changed else None

    def zset_rem(self, member: bytes) -> tuple[Status, bool]:
        code, deleted = native.zset_member(self._call.addr, self._key(), 0, to_bytes(member))
        self._touch(deleted)
        return _status(code), deleted

    def zset_score(self, member: bytes) -> float | None:
        score: float | None = native.zset_member(self._call.addr, self._key(), 1, to_bytes(member))
        return score

    def zset_first_in_score_range(
        self, low: float, high: float, low_exclusive: bool = False, high_exclusive: bool = False
    ) -> Status:
        return _status(
            native.zset_score_range(self._key(), False, low, high, low_exclusive, high_exclusive)
        )

    def zset_last_in_score_range(
        self, low: float, high: float, low_exclusive: bool = False, high_exclusive: bool = False
    ) -> Status:
        return _status(
            native.zset_score_range(self._key(), True, low, high, low_exclusive, high_exclusive)
        )

    def zset_first_in_lex_range(self, low: bytes, high: bytes) -> Status:
        return _status(
            native.zset_lex_range(
                self._call.addr, self._key(), False, to_bytes(low), to_bytes(high)
            )
        )

    def zset_last_in_lex_range(self, low: bytes, high: bytes) -> Status:
        return _status(
            native.zset_lex_range(self._call.addr, self._key(), True, to_bytes(low), to_bytes(high))
        )

    def zset_range_current_element(self) -> tuple[bytes, float] | None:
        found = native.zset_current(self._call.addr, self._key())
        if found is None:
            return None
        return bytes.__new__(RedisModuleString, found[0]), found[1]

    def zset_range_next(self) -> bool:
        return bool(native.zset_step(self._key(), _NEXT))

    def zset_range_prev(self) -> bool:
        return bool(native.zset_step(self._key(), _PREV))

    def zset_range_end_reached(self) -> bool:
        return bool(native.zset_step(self._key(), _END))

    def zset_range_stop(self) -> None:
        native.zset_step(self._key(), _STOP)
