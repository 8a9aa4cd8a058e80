"""Ferrite: a Redis-protocol server whose extensions are pip-installable Python modules."""

__version__ = "0.1.0"
#: The Redis version whose behaviour the differential tests verify (Debian's redis-server
#: 7.0.15): INFO and HELLO report it. Later-version features are documented extensions.
REDIS_COMPAT_VERSION = "7.0.15"
