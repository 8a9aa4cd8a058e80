"""The host switch: which server the test fixtures start.

`FERRITE_TEST_HOST=ferrite` (the default) starts `ferrite serve`; `redis-bridge` starts
redis-server loading the same modules through the Ferrite bridge, so one suite of
real-server tests guards both hosts.
"""

from __future__ import annotations

import os
from typing import Any

from ferrite_host.testing.bridge_process import RedisBridgeProcess
from ferrite_host.testing.process import FerriteProcess

HOST_ENV = "FERRITE_TEST_HOST"
HOSTS = ("ferrite", "redis-bridge")


def selected_host() -> str:
    """The host the fixtures start, from $FERRITE_TEST_HOST."""
    host = os.environ.get(HOST_ENV, "ferrite") or "ferrite"
    if host not in HOSTS:
        raise ValueError(f"{HOST_ENV}={host!r}: use one of {', '.join(HOSTS)}")
    return host


def server_process(*extra_args: str, **kwargs: Any) -> FerriteProcess:
    """A not yet started server of the selected host (arguments as FerriteProcess's)."""
    if selected_host() == "redis-bridge":
        return RedisBridgeProcess(*extra_args, **kwargs)
    return FerriteProcess(*extra_args, **kwargs)
