"""The key API's access statistics on Redis: RM_GetLRU/SetLRU and RM_GetLFU/SetLFU.

A mixin of context.BridgeKey with the names and results of Ferrite's
redis_module/key_access.py; Redis answers (an idle time in milliseconds or the logarithmic
access counter, -1 under the other maxmemory policy kind, ERR on an empty key).
"""

from __future__ import annotations

from ferrite_host.bridge import _blocking_native as blocking_native
from ferrite_host.redis_module.api import Status


def _status(code: int) -> Status:
    return Status.OK if code == 0 else Status.ERR


class BridgeKeyAccessMixin:
    __slots__ = ()

    def _key(self) -> int:
        raise NotImplementedError

    def get_lru(self) -> tuple[Status, int]:
        """RM_GetLRU: (OK, milliseconds since the last access)."""
        code, idle = blocking_native.get_access(self._key(), False)
        return _status(code), idle

    def set_lru(self, idle_ms: int) -> Status:
        """RM_SetLRU: make the key look last used `idle_ms` ago."""
        if idle_ms < 0:
            return Status.ERR
        return _status(blocking_native.set_access(self._key(), False, idle_ms))

    def get_lfu(self) -> tuple[Status, int]:
        """RM_GetLFU: (OK, the logarithmic access counter)."""
        code, frequency = blocking_native.get_access(self._key(), True)
        return _status(code), frequency

    def set_lfu(self, frequency: int) -> Status:
        """RM_SetLFU: set the access counter (0..255)."""
        if not 0 <= frequency <= 255:
            return Status.ERR
        return _status(blocking_native.set_access(self._key(), True, frequency))
