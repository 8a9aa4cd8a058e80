"""Turns a module's stream of `reply_with_*` calls into one reply value tree.

Redis writes module replies straight to the socket, so a module announces an array's length
first and then emits its elements one by one (or postpones the length and fills it in
later). Ferrite's dispatcher expects a value tree instead; this builder keeps the open
collections on a stack and nests each finished one into its parent, so the encoder sees the
same structure the Redis client would have read.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

log = logging.getLogger("ferrite")

#: `reply_with_array(POSTPONED_LEN)` defers the length to `reply_set_array_length`.
POSTPONED_LEN = -1

ARRAY = "array"
MAP = "map"
SET = "set"


class OrderedReplySet(set):  # type: ignore[type-arg]
    """A RESP3 set that keeps the order the module emitted its members in.

    The encoder writes any `set`; iterating this one follows insertion order, so RESP2
    clients (who get an array) see the members in the order the module chose, as in Redis.
    """

    def __init__(self, items: Iterable[Any] = ()) -> None:
        unique = list(dict.fromkeys(_hashable(item) for item in items))
        super().__init__(unique)
        self._order = unique

    def __iter__(self) -> Iterator[Any]:
        return iter(self._order)

    def __repr__(self) -> str:
        return f"OrderedReplySet({self._order!r})"


def _hashable(value: Any) -> Hashable:
    """Map keys and set members must be hashable; nested arrays become tuples (still arrays)."""
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple(_hashable(item) for pair in value.items() for item in pair)
    if isinstance(value, (set, frozenset)):
        return tuple(_hashable(item) for item in value)
    return value  # type: ignore[no-any-return]


class _Open:
    """A collection whose elements are still arriving."""

    __slots__ = ("expected", "items", "kind")

    def __init__(self, kind: str, expected: int | None) -> None:
        self.kind = kind
        #: Number of elements (map: keys + values) still to come in total; None = postponed.
        self.expected = expected
        self.items: list[Any] = []

    def build(self, items: list[Any]) -> Any:
        """The finished reply value: a list, a dict (map) or an ordered set."""
        if self.kind == MAP:
            pairs = iter(items)
            return {_hashable(key): value for key, value in zip(pairs, pairs, strict=False)}
        if self.kind == SET:
            return OrderedReplySet(items)
        return items


class ReplyBuilder:
    """Collects one command's replies; `finish()` returns the top-level replies."""

    __slots__ = ("_owner", "_stack", "_top")

    def __init__(self, owner: str = "") -> None:
        self._owner = owner
        self._top: list[Any] = []
        self._stack: list[_Open] = []

    @property
    def empty(self) -> bool:
        """True while nothing at all has been replied."""
        return not self._top and not self._stack

    def add(self, value: Any) -> None:
        """Add one complete reply value where the protocol stream is now."""
        if not self._stack:
            self._top.append(value)
            return
        self._stack[-1].items.append(value)
        self._close_finished()

    def open(self, kind: str, length: int) -> None:
        """Start an array/map/set of `length` elements (pairs for maps) or POSTPONED_LEN."""
        if length == POSTPONED_LEN:
            self._stack.append(_Open(kind, None))
            return
        if length < 0:
            raise ValueError(f"reply length must be >= 0 or POSTPONED_LEN, got {length}")
        expected = length * 2 if kind == MAP else length
        if expected == 0:
            self.add(_Open(kind, 0).build([]))
            return
        self._stack.append(_Open(kind, expected))

    def set_length(self, kind: str, length: int) -> bool:
        """Fill in the most recently postponed collection; False (and a log line) on misuse."""
        pending = next((c for c in reversed(self._stack) if c.expected is None), None)
        if pending is None or length < 0:
            log.warning(
                "API misuse detected in module %s: reply_set_%s_length() called without a "
                "previous reply_with_%s(POSTPONED_LEN) call.",
                self._owner,
                kind,
                kind,
            )
            return False
        pending.expected = length * 2 if pending.kind == MAP else length
        self._close_finished()
        return True

    def finish(self) -> list[Any]:
        """The top-level replies; collections left open are closed with what they hold."""
        while self._stack:
            entry = self._stack[-1]
            if entry.expected is None:
                log.warning(
                    "API misuse detected in module %s: reply_with_%s(POSTPONED_LEN) not matched "
                    "by a reply_set_%s_length() call.",
                    self._owner,
                    entry.kind,
                    entry.kind,
                )
            else:
                log.warning(
                    "API misuse detected in module %s: a %s reply announced %d elements "
                    "but got %d.",
                    self._owner,
                    entry.kind,
                    entry.expected,
                    len(entry.items),
                )
            entry.expected = len(entry.items)
            self._close_finished()
        return self._top

    def _close_finished(self) -> None:
        """Close every innermost collection that has all its elements, cascading outwards."""
        stack = self._stack
        while (
            stack and stack[-1].expected is not None and len(stack[-1].items) >= stack[-1].expected
        ):
            entry = stack.pop()
            expected = entry.expected or 0
            value = entry.build(entry.items[:expected])
            extra = entry.items[expected:]
            self.add(value)
            for item in extra:  # elements beyond a set length belong to the parent, as on the wire
                self.add(item)


__all__ = ["ARRAY", "MAP", "POSTPONED_LEN", "SET", "OrderedReplySet", "ReplyBuilder"]
