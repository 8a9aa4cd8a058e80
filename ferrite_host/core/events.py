"""Server events as the Redis Module API numbers them (RedisModuleEvent_* and subevents).

Whoever causes one announces it through the `ferrite_server_event` hook; the module layer
delivers it to the modules that subscribed (RM_SubscribeToServerEvent).
"""

from __future__ import annotations

PERSISTENCE = 1
FLUSHDB = 2
LOADING = 3
CLIENT_CHANGE = 4
SHUTDOWN = 5
CRON_LOOP = 8
MODULE_CHANGE = 9
SWAPDB = 11
CONFIG = 16

FLUSHDB_START = 0
FLUSHDB_END = 1
CLIENT_CONNECTED = 0
CLIENT_DISCONNECTED = 1
MODULE_LOADED = 0
MODULE_UNLOADED = 1
CONFIG_CHANGE = 0

PERSISTENCE_RDB_START = 0
PERSISTENCE_AOF_START = 1
PERSISTENCE_SYNC_RDB_START = 2
PERSISTENCE_ENDED = 3
PERSISTENCE_FAILED = 4
PERSISTENCE_SYNC_AOF_START = 5
LOADING_RDB_START = 0
LOADING_AOF_START = 1
LOADING_REPL_START = 2
LOADING_ENDED = 3
LOADING_FAILED = 4
