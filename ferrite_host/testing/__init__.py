"""Test support for Ferrite and for module authors: start a real server, get a client."""

from ferrite_host.testing.commands import raw_command, run_command
from ferrite_host.testing.distributions import install_distributions, pythonpath_env
from ferrite_host.testing.harness import Harness
from ferrite_host.testing.hosts import selected_host, server_process
from ferrite_host.testing.process import FerriteProcess, free_port
from ferrite_host.testing.waiting import in_background, wait_until_blocked

__all__ = [
    "FerriteProcess",
    "Harness",
    "free_port",
    "in_background",
    "install_distributions",
    "pythonpath_env",
    "raw_command",
    "run_command",
    "selected_host",
    "server_process",
    "wait_until_blocked",
]
