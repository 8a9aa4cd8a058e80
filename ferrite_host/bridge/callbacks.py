"""What Redis's event loop calls outside any client's command: module timers, keyspace and
server events, and INFO sections.

Each callback gets a detached context (no reply, nothing propagated unless it asks with
`replicate`), as on `ferrite serve`; a module's exception is logged and goes no further.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ferrite_host.bridge.context import BridgeCtx
from ferrite_host.core import events as ev

if TYPE_CHECKING:
    from ferrite_host.bridge.registry import Registry
    from ferrite_host.redis_module.module import RedisModule

log = logging.getLogger("ferrite")


@contextlib.contextmanager
def detached(addr: int, module: RedisModule | None, registry: Registry) -> Iterator[BridgeCtx]:
    ctx = BridgeCtx(addr, "", module, [], registry, write_command=False, detached=True)
    try:
        yield ctx
    finally:
        ctx.finish()


def _owner(module: RedisModule | None) -> str:
    return module.name if module is not None else "?"


def timer_fired(registry: Registry, addr: int, payload: tuple[Any, Any, Any]) -> None:
    module, callback, data = payload
    with detached(addr, module, registry) as ctx:
        try:
            callback(ctx, data)
        except Exception:
            log.error("Module %s: timer callback raised", _owner(module), exc_info=True)


def keyspace_event(
    registry: Registry, slot: int, addr: int, kind: int, event: str, key: bytes
) -> None:
    module, callback = registry.keyspace[slot]
    with detached(addr, module, registry) as ctx:
        try:
            callback(ctx, kind, event, key)  # type: ignore[arg-type]
        except Exception:
            log.exception("keyspace event callback of %s failed", _owner(module))


def server_event(
    registry: Registry, slot: int, addr: int, event: int, subevent: int, data: object
) -> None:
    staged = registry.loaded[slot]
    callback = staged.server_events.get(event)
    if callback is None:
        return
    if event == ev.CONFIG and isinstance(data, list):
        data = sorted(data)  # Ferrite's order
    with detached(addr, staged.module, registry) as ctx:
        try:
            callback(ctx, event, subevent, data)
        except Exception:
            log.error("Module %s: server event callback raised", staged.module.name, exc_info=True)


def _info_value(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    return value if isinstance(value, (int, float, str)) else str(value)


def info_sections(registry: Registry, slot: int) -> list[tuple[str, list[tuple[str, object]]]]:
    """The module's INFO sections as (name after `<module>_`, fields) for RM_InfoAddSection."""
    module = registry.loaded[slot].module
    prefix = module.name.lower() + "_"
    sections = []
    for name, fields in module.info_sections.items():
        try:
            produced = [(str(field), _info_value(value)) for field, value in fields()]
        except Exception:
            log.error("Module %s: INFO section %s raised", module.name, name, exc_info=True)
            continue
        sections.append((name[len(prefix) :] if name.startswith(prefix) else name, produced))
    return sections
