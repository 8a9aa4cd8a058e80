"""TIME."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from ferrite_host.core.spec import Family

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command


# -- TIME ------------------------------------------------------------------------------------


@command(
    "time", 1, "loading stale fast", summary="Returns the server time.", since="2.6.0", arguments=[]
)
def time_(session: Session, argv: list[bytes]) -> Any:
    micros = time.time_ns() // 1000
    return [b"%d" % (micros // 1_000_000), b"%d" % (micros % 1_000_000)]
