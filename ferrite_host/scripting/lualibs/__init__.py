"""The Lua libraries Redis preloads for scripts (cjson, cmsgpack, bit, struct), written in
Python and registered into the Lua state as read-only tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ferrite_host.scripting.lualibs import bit, cjson, cmsgpack, struct

if TYPE_CHECKING:
    from ferrite_host.scripting.sandbox import LuaSandbox


def install_libraries(sandbox: LuaSandbox) -> None:
    for library in (cjson, cmsgpack, bit, struct):
        table = library.build(sandbox)
        sandbox.env[library.NAME.encode()] = sandbox.readonly(table)
