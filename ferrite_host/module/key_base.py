"""What the Pythonic `Key`'s collection calls share: the stored value, typed or WRONGTYPE."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from ferrite_host.module.errors import WrongType

if TYPE_CHECKING:
    from ferrite_host.keyspace import Database
    from ferrite_host.redis_module.api import RedisModuleKey

V = TypeVar("V")


def inclusive_span(start: int, stop: int, size: int) -> range:
    """The indexes `start`..`stop` (both included, negative from the end) as LRANGE and
    ZRANGE clamp them to a collection of `size` elements."""
    first = max(start + size if start < 0 else start, 0)
    last = min(stop + size if stop < 0 else stop, size - 1)
    return range(first, last + 1)


class KeyBase:
    """The part of `Key` its list, hash and sorted-set mixins build on."""

    __slots__ = ()

    _db: Database
    _name: bytes

    @property
    def redis(self) -> RedisModuleKey:
        raise NotImplementedError

    def _require_write(self) -> None:
        raise NotImplementedError

    def _stored(self, kind: type[V]) -> V | None:
        """The value at this key if it is a `kind`, None when empty; WRONGTYPE otherwise."""
        value = self._db.get(self._name)
        if value is None or type(value) is kind:
            return value
        raise WrongType()

    def _for_write(self, kind: type[object]) -> RedisModuleKey:
        """The Redis-shaped handle to write a `kind` through, after the type and mode checks."""
        self._stored(kind)
        self._require_write()
        return self.redis
