"""LOLWUT."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ferrite_host import REDIS_COMPAT_VERSION, __version__
from ferrite_host.commands.arguments import integer
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import Verbatim

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command


# -- LOLWUT ----------------------------------------------------------------------------------


@command(
    "lolwut",
    -1,
    "readonly fast",
    summary="Displays computer art and the Redis version",
    since="5.0.0",
    complexity="",
    arguments=[integer("version", token="VERSION", optional=True)],
)
def lolwut(session: Session, argv: list[bytes]) -> Any:
    art = "\n".join(
        [
            "    ______                _  __",
            "   / ____/__  _________(_)/ /____",
            "  / /_  / _ \\/ ___/ ___/ / __/ _ \\",
            " / __/ /  __/ /  / /  / / /_/  __/",
            "/_/    \\___/_/  /_/  /_/\\__/\\___/",
            "",
            f"Ferrite ver. {__version__} (speaks Redis {REDIS_COMPAT_VERSION})",
            "",
        ]
    )
    return Verbatim(art.encode())
