"""Ferrite: a Redis-protocol server whose extensions are pip-installable Python modules."""

__version__ = "0.1.0"
#: The Redis version whose behaviour Ferrite follows; clients gate features on it.
REDIS_COMPAT_VERSION = "7.2.4"
