"""LOLWUT."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ferrite_host import REDIS_COMPAT_VERSION, __version__
from ferrite_host.commands.arguments import integer
from ferrite_host.core.errors import NOT_INTEGER, CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import Verbatim
from ferrite_host.strconv import parse_int

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
    """Redis 7.0 prints only its version unless VERSION 5 or 6 asks for its generative art;
    those two draw Ferrite's banner instead (Redis's pictures are random each call)."""
    version = _requested_version(argv)
    trailer = f"Redis ver. {REDIS_COMPAT_VERSION}\n"
    if version not in (5, 6):
        return Verbatim(trailer.encode())
    art = "\n".join([*BANNER, "", f"Ferrite ver. {__version__}. {trailer}"])
    return Verbatim(art.encode())


BANNER = (
    "    ______                _  __",
    "   / ____/__  _________(_)/ /____",
    "  / /_  / _ \\/ ___/ ___/ / __/ _ \\",
    " / __/ /  __/ /  / /  / / /_/  __/",
    "/_/    \\___/_/  /_/  /_/\\__/\\___/",
)


def _requested_version(argv: list[bytes]) -> int | None:
    """VERSION <n> as Redis reads it: the first VERSION followed by a value; other words
    (and a trailing VERSION) are ignored."""
    for index in range(1, len(argv) - 1):
        if argv[index].lower() == b"version":
            value = parse_int(argv[index + 1])
            if value is None:
                raise CommandError(NOT_INTEGER)
            return value
    return None
