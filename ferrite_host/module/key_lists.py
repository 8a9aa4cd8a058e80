"""The list calls of a Pythonic `Key`: values in and out, errors raised, never errno.

They run on the Redis-shaped key API (`RedisModule_List*`), so the event names, encodings
and the deletion of an emptied list are the ones ports get; like Redis's, they send no
keyspace notification (a module notifies for itself with `ctx.redis.notify_keyspace_event`).
"""

from __future__ import annotations

from ferrite_host.keyspace import ListValue
from ferrite_host.module.errors import ReplyError
from ferrite_host.module.key_base import KeyBase, inclusive_span
from ferrite_host.redis_module.api import Status
from ferrite_host.redis_module.key_lists import ListWhere

#: LSET's text, which a Pythonic list call out of range raises too.
INDEX_OUT_OF_RANGE = "ERR index out of range"


class ListKeyMixin(KeyBase):
    """List calls of `Key` (RedisModule_List* with Python values)."""

    __slots__ = ()

    def list_push_head(self, *values: bytes | str) -> int:
        """Push each value at the head (as LPUSH: the last one ends up first); the length."""
        handle = self._for_write(ListValue)
        for value in values:
            handle.list_push(ListWhere.HEAD, value)
        return self.list_len()

    def list_push_tail(self, *values: bytes | str) -> int:
        """Push each value at the tail (as RPUSH); answers the list's new length."""
        handle = self._for_write(ListValue)
        for value in values:
            handle.list_push(ListWhere.TAIL, value)
        return self.list_len()

    def list_pop_head(self) -> bytes | None:
        """Remove and return the first element; None when the key is empty."""
        return self._pop(ListWhere.HEAD)

    def list_pop_tail(self) -> bytes | None:
        """Remove and return the last element; None when the key is empty."""
        return self._pop(ListWhere.TAIL)

    def _pop(self, where: ListWhere) -> bytes | None:
        if self._stored(ListValue) is None:
            return None
        popped = self._for_write(ListValue).list_pop(where)
        return None if popped is None else bytes(popped)

    def list_len(self) -> int:
        stored = self._stored(ListValue)
        return 0 if stored is None else len(stored)

    def list_get(self, index: int) -> bytes | None:
        """The element at `index` (negative counts from the tail); None out of range."""
        stored = self._stored(ListValue)
        if stored is None or not -len(stored) <= index < len(stored):
            return None
        return stored[index]

    def list_range(self, start: int = 0, stop: int = -1) -> list[bytes]:
        """Elements `start` to `stop` inclusive, with LRANGE's index rules."""
        stored = self._stored(ListValue)
        if stored is None:
            return []
        return [stored[index] for index in inclusive_span(start, stop, len(stored))]

    def list_set(self, index: int, value: bytes | str) -> None:
        """Replace the element at `index`; ReplyError (LSET's) when out of range."""
        self._list_or_raise()
        if self._for_write(ListValue).list_set(index, value) is Status.ERR:
            raise ReplyError(INDEX_OUT_OF_RANGE)

    def list_insert(self, index: int, value: bytes | str) -> None:
        """Insert so that `value` ends up at `index` (-1: after the last element)."""
        self._stored(ListValue)
        if self._for_write(ListValue).list_insert(index, value) is Status.ERR:
            raise ReplyError(INDEX_OUT_OF_RANGE)

    def list_delete(self, index: int) -> None:
        """Remove the element at `index`; an emptied list is deleted."""
        self._list_or_raise()
        if self._for_write(ListValue).list_delete(index) is Status.ERR:
            raise ReplyError(INDEX_OUT_OF_RANGE)

    def _list_or_raise(self) -> None:
        if self._stored(ListValue) is None:
            raise ReplyError("ERR no such key")
