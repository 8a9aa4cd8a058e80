"""Test support for Ferrite and for module authors: start a real server, get a client."""

from ferrite_host.testing.commands import raw_command, run_command
from ferrite_host.testing.distributions import install_distributions, pythonpath_env
from ferrite_host.testing.harness import Harness
from ferrite_host.testing.process import FerriteProcess, free_port

__all__ = [
    "FerriteProcess",
    "Harness",
    "free_port",
    "install_distributions",
    "pythonpath_env",
    "raw_command",
    "run_command",
]
