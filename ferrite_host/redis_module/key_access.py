"""The key API's access statistics: RM_GetLRU/SetLRU and RM_GetLFU/SetLFU.

Mixed into `RedisModuleKey`. Each key keeps one 24-bit access field (an LRU clock or an LFU
counter, as the maxmemory policy decides); these read and write it as Redis's functions do:
the getters answer -1 under the other policy, the setters refuse it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.redis_module import api as _api  # circular: used only at call time

if TYPE_CHECKING:
    from ferrite_host.keyspace import Database


class KeyAccessMixin:
    _db: Database
    _name: bytes

    def _value(self) -> Any:
        raise NotImplementedError

    def get_lru(self) -> tuple[_api.Status, int]:
        """RM_GetLRU: (OK, milliseconds since the last access); (OK, -1) under an LFU
        policy; (ERR, -1) on an empty key."""
        if self._value() is None:
            return _api.Status.ERR, -1
        clock = self._db.access_clock()
        if clock.lfu:
            return _api.Status.OK, -1
        return _api.Status.OK, clock.idle_ms(self._db.raw_access_field(self._name))

    def set_lru(self, idle_ms: int) -> _api.Status:
        """RM_SetLRU: make the key look last used `idle_ms` ago (ERR under an LFU policy,
        on an empty key, or for a negative time)."""
        return self._set_access(idle_ms, None)

    def get_lfu(self) -> tuple[_api.Status, int]:
        """RM_GetLFU: (OK, the logarithmic access counter); (OK, -1) under an LRU policy;
        (ERR, -1) on an empty key."""
        if self._value() is None:
            return _api.Status.ERR, -1
        clock = self._db.access_clock()
        if not clock.lfu:
            return _api.Status.OK, -1
        return _api.Status.OK, clock.frequency(self._db.raw_access_field(self._name))

    def set_lfu(self, frequency: int) -> _api.Status:
        """RM_SetLFU: set the access counter (0..255; ERR under an LRU policy or on an
        empty key)."""
        if not 0 <= frequency <= 255:
            return _api.Status.ERR
        return self._set_access(None, frequency)

    def _set_access(self, idle_ms: int | None, frequency: int | None) -> _api.Status:
        if self._value() is None or (idle_ms is not None and idle_ms < 0):
            return _api.Status.ERR
        field = self._db.access_clock().field_for(idle_ms, frequency)
        if field is None:
            return _api.Status.ERR
        self._db.set_access_field(self._name, field)
        return _api.Status.OK
