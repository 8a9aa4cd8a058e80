"""Run Ferrite modules inside an unmodified redis-server (7.0 and later).

The bridge is a C Redis module (`src/ferrite_bridge.c`) that embeds CPython and loads
Ferrite modules by entry-point name through the same loader `ferrite serve` uses; this
package is its Python half. `locate()` finds a built bridge, `ferrite_host.bridge.build`
builds one (a C compiler and the Python headers are needed), `loadmodule_line` writes the
`loadmodule` line for an installed module. Nothing here needs the compiled part: the pure
Python package installs and works without it.
"""

from ferrite_host.bridge.build import (
    BridgeBuildError,
    build_bridge,
    built_bridge_name,
    locate,
    missing_prerequisites,
)
from ferrite_host.bridge.lines import loadmodule_line
from ferrite_host.bridge.naming import redis_type_name

__all__ = [
    "BridgeBuildError",
    "build_bridge",
    "built_bridge_name",
    "loadmodule_line",
    "locate",
    "missing_prerequisites",
    "redis_type_name",
]
