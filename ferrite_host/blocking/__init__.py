"""Blocked clients: one waiting mechanism for every command that waits (BLPOP, BZPOPMIN,
WAIT...): a client parks on keys with a deadline until a change to one of them lets its
command finish."""

from ferrite_host.blocking.waiting import NOT_READY, Blocking, Serve, Waiter

__all__ = ["NOT_READY", "Blocking", "Serve", "Waiter"]
