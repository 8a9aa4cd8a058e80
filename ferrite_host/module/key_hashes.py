"""The hash calls of a Pythonic `Key`: fields and values as bytes, a mapping to set many.

They run on the Redis-shaped `RedisModule_HashSet/HashGet`, so encodings, event names and
the deletion of an emptied hash are the ones ports get (and, as in Redis, no keyspace
notification is sent).
"""

from __future__ import annotations

from collections.abc import Mapping

from ferrite_host.keyspace import HashValue
from ferrite_host.module.key_base import KeyBase
from ferrite_host.redis_module.key_hashes import HASH_DELETE, HashFlag
from ferrite_host.strconv import to_bytes

Field = bytes | str


class HashKeyMixin(KeyBase):
    """Hash calls of `Key` (RedisModule_HashSet/HashGet with Python values)."""

    __slots__ = ()

    def hash_get(self, field: Field) -> bytes | None:
        stored = self._stored(HashValue)
        return None if stored is None else stored.get(to_bytes(field))

    def hash_get_multi(self, *fields: Field) -> list[bytes | None]:
        """Each field's value, None for the absent ones (as HMGET)."""
        stored: dict[bytes, bytes] = self._stored(HashValue) or {}
        return [stored.get(to_bytes(field)) for field in fields]

    def hash_exists(self, field: Field) -> bool:
        stored = self._stored(HashValue)
        return stored is not None and to_bytes(field) in stored

    def hash_len(self) -> int:
        stored = self._stored(HashValue)
        return 0 if stored is None else len(stored)

    def hash_items(self) -> dict[bytes, bytes]:
        """A copy of every field and value (in the hash's own order, as HGETALL)."""
        return dict(self._stored(HashValue) or {})

    def hash_set(self, field: Field, value: bytes | str) -> bool:
        """Set one field; True when the field is new (as HSET's count)."""
        return self.hash_set_multi({field: value}) == 1

    def hash_set_multi(self, mapping: Mapping[Field, bytes | str]) -> int:
        """Set every field of `mapping`; answers how many of them are new."""
        stored = self._stored(HashValue)
        self._require_write()
        before = 0 if stored is None else len(stored)
        pairs = [item for pair in mapping.items() for item in pair]
        self.redis.hash_set(HashFlag.NONE, *pairs)
        return self.hash_len() - before

    def hash_del(self, *fields: Field) -> int:
        """Delete fields; answers how many existed. An emptied hash is deleted."""
        if self._stored(HashValue) is None:
            return 0
        self._require_write()
        pairs = [item for field in fields for item in (field, HASH_DELETE)]
        return self.redis.hash_set(HashFlag.NONE, *pairs)
