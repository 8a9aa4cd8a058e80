"""The composition root: the one place that builds a server from its parts.

The core (ferrite_host.core) knows no command family, persistence or module layer; this
module registers the built-in families in the command table, then attaches the subsystems
a full server has. Everything that needs a ready server (the CLI, the test fixtures, the
benchmarks) builds it here.
"""

from __future__ import annotations

from ferrite_host.blocking import Blocking
from ferrite_host.commands import builtin_specs
from ferrite_host.commands.access import AccessControl
from ferrite_host.core.config import Settings
from ferrite_host.core.encoding_limits import EncodingLimitsSync
from ferrite_host.core.eviction import Eviction
from ferrite_host.core.state import ServerState
from ferrite_host.persistence.manager import Persistence
from ferrite_host.pubsub import KeyspaceNotifier, PubSub, Tracking
from ferrite_host.redis_module.manager import RedisModuleManager
from ferrite_host.scripting.scripting import Scripting


def build_state(settings: Settings | None = None) -> ServerState:
    """An in-memory server: every built-in command, no modules, no files."""
    state = ServerState(settings)
    state.commands.register_all(builtin_specs())
    PubSub.attach(state)
    KeyspaceNotifier.attach(state)
    Tracking.attach(state)
    Blocking.attach(state)
    EncodingLimitsSync.attach(state)
    Eviction.attach(state)
    Scripting.of(state)  # at once: CLIENT PAUSE asks it about the scripts EVAL would run
    return state


def build_server(settings: Settings) -> ServerState:
    """A full server as `ferrite serve` runs it: modules loaded, then the data on disk.

    Modules load first so that their types exist when the snapshot is read. Raises
    StartupError (one line for the operator) when the data cannot be loaded.
    """
    state = build_state(settings)
    RedisModuleManager.attach(state)
    AccessControl.of(state).load_at_startup()  # rules may name module commands
    Persistence.attach(state)
    return state
