"""The list half of the module key API: `RedisModule_ListPush/Pop/Get/Set/Insert/Delete`.

Mixed into `RedisModuleKey`. As in Redis, these calls send no keyspace notification (a
module notifies for itself), but every change goes through the database's mutators, so
WATCH, the dirty counter and propagation see it; an emptied list is deleted. A failed call
answers ERR (or None) and leaves the reason in `key.errno`, as Redis sets `errno`: EINVAL,
ENOTSUP (empty key or not a list), EBADF (not opened for writing), EDOM (index out of range).
"""

from __future__ import annotations

import enum
import errno as _errno
from typing import TYPE_CHECKING, Any

from ferrite_host.keyspace import ListValue
from ferrite_host.keyspace.events import SILENT
from ferrite_host.redis_module import api as _api  # circular: used only at call time
from ferrite_host.strconv import to_bytes

if TYPE_CHECKING:
    from ferrite_host.keyspace import Database


class ListWhere(enum.IntEnum):
    """`REDISMODULE_LIST_HEAD` / `REDISMODULE_LIST_TAIL`."""

    HEAD = 0
    TAIL = 1


def _event(where: int, verb: str) -> str:
    return ("l" if where == ListWhere.HEAD else "r") + verb


class KeyListMixin:
    """List calls of a key handle (needs `_db`, `_name`, `_value()`, `_writable()`)."""

    _db: Database
    _name: bytes
    errno: int

    def _value(self) -> Any:
        raise NotImplementedError

    def _writable(self) -> bool:
        raise NotImplementedError

    def _fail(self, code: int) -> None:
        self.errno = code

    def _list(self, write: bool) -> ListValue | None:
        """The stored list, or None with errno set (ENOTSUP, EBADF)."""
        value = self._value()
        if type(value) is not ListValue:
            self._fail(_errno.ENOTSUP)
            return None
        if write and not self._writable():
            self._fail(_errno.EBADF)
            return None
        return value

    def _index(self, value: ListValue, index: int) -> int | None:
        if not -len(value) <= index < len(value):
            self._fail(_errno.EDOM)
            return None
        return index % len(value)

    def _drop_if_empty(self, value: ListValue) -> None:
        if not value:
            self._db.delete(self._name, cls=SILENT)

    def list_push(self, where: ListWhere | int, element: bytes | str) -> Any:
        """Push at the head or the tail, creating the list on an empty key (OK / ERR)."""
        if element is None or where not in (ListWhere.HEAD, ListWhere.TAIL):
            self._fail(_errno.EINVAL)
            return _api.Status.ERR
        value = self._value()
        if value is not None and type(value) is not ListValue:
            self._fail(_errno.ENOTSUP)
            return _api.Status.ERR
        if not self._writable():
            self._fail(_errno.EBADF)
            return _api.Status.ERR
        item = to_bytes(element)
        event = _event(where, "push")
        if value is None:
            self._db.set(self._name, ListValue([item]), event=event, cls=SILENT)
        else:
            if where == ListWhere.HEAD:
                value.appendleft(item)
            else:
                value.append(item)
            self._db.changed(self._name, event, SILENT)
        return _api.Status.OK

    def list_pop(self, where: ListWhere | int) -> Any:
        """Pop from the head or the tail; None (errno set) when there is nothing to pop."""
        if where not in (ListWhere.HEAD, ListWhere.TAIL):
            self._fail(_errno.EINVAL)
            return None
        value = self._list(write=True)
        if value is None:
            return None
        element = value.popleft() if where == ListWhere.HEAD else value.pop()
        self._db.changed(self._name, _event(where, "pop"), SILENT)
        self._drop_if_empty(value)
        return _api.RedisModuleString(element)

    def list_get(self, index: int) -> Any:
        """The element at `index` (negative counts from the tail), None with errno set."""
        value = self._list(write=False)
        if value is None:
            return None
        position = self._index(value, index)
        return None if position is None else _api.RedisModuleString(value[position])

    def list_set(self, index: int, element: bytes | str) -> Any:
        """Replace the element at `index` (OK / ERR)."""
        value = self._list(write=True)
        position = None if value is None else self._index(value, index)
        if value is None or position is None:
            return _api.Status.ERR
        value[position] = to_bytes(element)
        self._db.changed(self._name, "lset", SILENT)
        return _api.Status.OK

    def list_insert(self, index: int, element: bytes | str) -> Any:
        """Insert so that the new element ends up at `index` (-1: after the last one).

        On an empty key, index 0 or -1 creates the list, as Redis does.
        """
        if self._value() is None and index in (0, -1):
            return self.list_push(ListWhere.TAIL, element)
        value = self._list(write=True)
        if value is None:
            return _api.Status.ERR
        position = index + len(value) + 1 if index < 0 else index
        if not 0 <= position <= len(value):
            self._fail(_errno.EDOM)
            return _api.Status.ERR
        value.insert(position, to_bytes(element))
        self._db.changed(self._name, "linsert", SILENT)
        return _api.Status.OK

    def list_delete(self, index: int) -> Any:
        """Remove the element at `index`; an emptied list is deleted (OK / ERR)."""
        value = self._list(write=True)
        position = None if value is None else self._index(value, index)
        if value is None or position is None:
            return _api.Status.ERR
        del value[position]
        self._db.changed(self._name, "lrem", SILENT)
        self._drop_if_empty(value)
        return _api.Status.OK
