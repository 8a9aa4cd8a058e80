"""Exceptions of the module layer.

Each carries `errmsg`, the text Redis would put after its fixed prefix on the wire
(`ERR Error unloading module: <errmsg>`), so MODULE commands answer exactly as Redis does
while the server log and the CLI can show the full reason.
"""

from __future__ import annotations


class RedisModuleError(Exception):
    """Base class of every error the module layer raises on purpose.

    `errmsg` is the short reason (what Redis shows after its prefix); `str(exc)` is the same
    text, so the exception reads well in logs and tracebacks.
    """

    def __init__(self, errmsg: str, detail: str = "") -> None:
        super().__init__(errmsg)
        self.errmsg = errmsg
        #: Extra context for the log (e.g. what on_unload raised); never sent to clients.
        self.detail = detail


class ModuleLoadError(RedisModuleError):
    """A module could not be loaded; `errmsg` says why (clients only see Redis's generic text)."""


class ModuleAlreadyLoadedError(ModuleLoadError):
    """The module (or another one with the same name) is already loaded."""


class NoSuchModuleError(RedisModuleError):
    """UNLOAD named a module that is not loaded."""

    def __init__(self, errmsg: str = "no such module with that name", detail: str = "") -> None:
        super().__init__(errmsg, detail)


class ModuleUnloadError(RedisModuleError):
    """A loaded module refused, or could not be allowed, to unload."""


class ModuleExportsTypesError(ModuleUnloadError):
    """Keys holding values of the module's data types still exist."""

    def __init__(
        self,
        errmsg: str = "the module exports one or more module-side data types, can't unload",
        detail: str = "",
    ) -> None:
        super().__init__(errmsg, detail)


class ModuleExportsApisError(ModuleUnloadError):
    """Another loaded module uses an API this one exported (RM_GetSharedAPI)."""

    def __init__(
        self,
        errmsg: str = (
            "the module exports APIs used by other modules. Please unload them first and try again"
        ),
        detail: str = "",
    ) -> None:
        super().__init__(errmsg, detail)


class ModuleHasBlockedClientsError(ModuleUnloadError):
    """The module has blocked clients it has not unblocked (or async commands running)."""

    def __init__(
        self,
        errmsg: str = ("the module has blocked clients. Please wait them unblocked and try again"),
        detail: str = "",
    ) -> None:
        super().__init__(errmsg, detail)


class ModuleHoldsTimersError(ModuleUnloadError):
    """The module has timers that have not fired yet."""

    def __init__(
        self,
        errmsg: str = (
            "the module holds timer that is not fired. Please stop the timer or wait until "
            "it fires."
        ),
        detail: str = "",
    ) -> None:
        super().__init__(errmsg, detail)


class ModuleUnloadRefusedError(ModuleUnloadError):
    """The module's `on_unload` hook returned `Status.ERR`."""

    def __init__(self, errmsg: str = "operation not possible.", detail: str = "") -> None:
        super().__init__(errmsg, detail)


class ModuleCommandError(RedisModuleError):
    """A module command lookup or registration went wrong (unknown name, bad declaration)."""


class ModuleTypeError(RedisModuleError):
    """A data type could not be declared or registered; `errmsg` gives the reason."""


__all__ = [
    "ModuleAlreadyLoadedError",
    "ModuleCommandError",
    "ModuleExportsTypesError",
    "ModuleHasBlockedClientsError",
    "ModuleHoldsTimersError",
    "ModuleLoadError",
    "ModuleTypeError",
    "ModuleUnloadError",
    "ModuleUnloadRefusedError",
    "NoSuchModuleError",
    "RedisModuleError",
]
