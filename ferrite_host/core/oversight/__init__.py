"""Watching the server run: the slow log, latency events, MONITOR feeds and the watchdog.

Each piece is a small typed object hanging off the server state; the dispatcher reports
every finished call to `Oversight.observe`, which does nothing unless a piece wants it.
"""

from ferrite_host.core.oversight.latency import LatencyMonitor
from ferrite_host.core.oversight.monitor import MonitorFeed
from ferrite_host.core.oversight.oversight import Oversight
from ferrite_host.core.oversight.redaction import logged_argv
from ferrite_host.core.oversight.slowlog import SlowLog
from ferrite_host.core.oversight.watchdog import Watchdog

__all__ = ["LatencyMonitor", "MonitorFeed", "Oversight", "SlowLog", "Watchdog", "logged_argv"]
