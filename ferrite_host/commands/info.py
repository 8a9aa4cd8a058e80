"""INFO: Redis's sections in Redis's order, plus those subsystems add through the INFO hook."""

from __future__ import annotations

import logging
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ferrite_host import REDIS_COMPAT_VERSION, __version__
from ferrite_host.blocking import Blocking
from ferrite_host.commands.arguments import arg
from ferrite_host.core.eviction import Eviction
from ferrite_host.core.hookspecs import InfoProvider
from ferrite_host.core.memory_usage import STARTUP_BYTES, process_rss, used_memory
from ferrite_host.core.spec import CommandSpec, Family
from ferrite_host.keyspace.memory import EXPIRE_ENTRY_BYTES, KEY_ENTRY_BYTES
from ferrite_host.protocol.replies import Verbatim
from ferrite_host.scripting.scripting import Scripting

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command


# -- INFO ------------------------------------------------------------------------------------

Fields = list[tuple[str, object]]

#: Section names in the order Redis prints them, with their titles.
_TITLES = {
    "server": "Server",
    "clients": "Clients",
    "memory": "Memory",
    "persistence": "Persistence",
    "stats": "Stats",
    "replication": "Replication",
    "cpu": "CPU",
    "modules": "Modules",
    "commandstats": "Commandstats",
    "errorstats": "Errorstats",
    "cluster": "Cluster",
    "keyspace": "Keyspace",
}
#: Sections `all` adds to the default set.
_NOT_DEFAULT = {"commandstats"}


def human_bytes(n: int) -> str:
    """Redis's bytesToHuman: 1023B, 1.00K, 12.35M ..."""
    if n < 1024:
        return f"{n}B"
    value = float(n)
    for unit in "KMGTP":
        value /= 1024
        if value < 1024 or unit == "P":
            return f"{value:.2f}{unit}"
    return f"{n}B"  # pragma: no cover - unreachable


def _system_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 0


def _server_section(state: ServerState) -> Fields:
    now = time.time()
    uptime = int(now - state.started)
    settings = state.settings
    uname = platform.uname()
    binds = ",".join(f"bind={host}" for host in settings.bind)
    return [
        ("redis_version", REDIS_COMPAT_VERSION),
        ("ferrite_version", __version__),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", "0"),
        ("redis_mode", "standalone"),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", state.event_loop_name),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", "0.0.0"),
        ("python_version", platform.python_version()),
        ("request_parser", state.parser_name),
        ("process_id", state.pid),
        ("process_supervised", "no"),
        ("run_id", state.run_id),
        ("tcp_port", state.tcp_port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", settings.hz),
        ("configured_hz", settings.hz),
        ("lru_clock", int(now) & 0xFFFFFF),
        ("executable", sys.executable),
        ("config_file", settings.config_file),
        ("io_threads_active", 0),
        ("listener0", f"name=tcp,{binds},port={state.tcp_port}"),
    ]


def _clients_section(state: ServerState) -> Fields:
    blocking = Blocking.of(state)
    return [
        ("connected_clients", len(state.clients)),
        ("cluster_connections", 0),
        ("maxclients", state.settings.maxclients),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", _largest_output(state)),
        ("blocked_clients", blocking.blocked_count()),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", 0),
        ("total_blocking_keys", blocking.blocking_keys()),
        ("total_blocking_keys_on_nokey", 0),
    ]


def _memory_section(state: ServerState) -> Fields:
    # used_memory is the estimate the keyspace keeps current (what maxmemory compares);
    # the resident size includes the interpreter and is reported beside it.
    used = used_memory(state.keyspace)
    rss = process_rss()
    peak = state.used_memory_peak = max(used, state.used_memory_peak)
    system = _system_memory()
    maxmemory = state.settings.maxmemory
    overhead = STARTUP_BYTES + sum(
        len(db) * KEY_ENTRY_BYTES + db.expires_count() * EXPIRE_ENTRY_BYTES
        for db in state.keyspace.dbs
    )
    dataset = max(used - overhead, 0)
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", human_bytes(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", human_bytes(peak)),
        ("used_memory_peak_perc", f"{used * 100 / peak:.2f}%"),
        ("used_memory_overhead", overhead),
        ("used_memory_startup", STARTUP_BYTES),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", f"{dataset * 100 / max(used - STARTUP_BYTES, 1):.2f}%"),
        ("total_system_memory", system),
        ("total_system_memory_human", human_bytes(system)),
        ("used_memory_lua", 0),
        ("used_memory_scripts", 0),
        ("number_of_cached_scripts", len(Scripting.of(state).cache)),
        ("number_of_functions", Scripting.of(state).functions.function_count()),
        ("number_of_libraries", len(Scripting.of(state).functions.libraries)),
        ("maxmemory", maxmemory),
        ("maxmemory_human", human_bytes(maxmemory)),
        ("maxmemory_policy", state.settings.maxmemory_policy),
        ("mem_fragmentation_ratio", f"{rss / used:.2f}"),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_not_counted_for_evict", 0),
        ("mem_allocator", "pymalloc"),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _eviction_times(state: ServerState) -> Fields:
    eviction = Eviction.of(state)
    total, current = eviction.exceeded_ms() if eviction is not None else (0, 0)
    return [("total_eviction_exceeded_time", total), ("current_eviction_exceeded_time", current)]


def _stats_section(state: ServerState) -> Fields:
    stats = state.stats
    ops, kbps_in, kbps_out = stats.instantaneous()
    return [
        ("total_connections_received", stats.total_connections),
        ("total_commands_processed", stats.total_commands),
        ("instantaneous_ops_per_sec", int(ops)),
        ("total_net_input_bytes", stats.net_input_bytes),
        ("total_net_output_bytes", stats.net_output_bytes),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", f"{kbps_in:.2f}"),
        ("instantaneous_output_kbps", f"{kbps_out:.2f}"),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", sum(db.expired_count for db in state.keyspace.dbs)),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("evicted_keys", stats.evicted_keys),
        ("evicted_clients", 0),
        *_eviction_times(state),
        ("keyspace_hits", state.keyspace.hits),
        ("keyspace_misses", state.keyspace.misses),
        ("pubsub_channels", 0),
        ("pubsub_patterns", 0),
        ("pubsubshard_channels", 0),
        ("latest_fork_usec", 0),
        ("total_forks", 0),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("tracking_total_keys", 0),
        ("tracking_total_items", 0),
        ("tracking_total_prefixes", 0),
        ("unexpected_error_replies", 0),
        ("total_error_replies", stats.total_error_replies),
        ("dump_payload_sanitizations", 0),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
    ]


def _replication_section(state: ServerState) -> Fields:
    replid = state.master_replid
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", replid),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", 1048576),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _cpu_section(state: ServerState) -> Fields:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread_usage = getattr(resource, "RUSAGE_THREAD", None)
    main = resource.getrusage(thread_usage) if thread_usage is not None else own
    return [
        ("used_cpu_sys", f"{own.ru_stime:.6f}"),
        ("used_cpu_user", f"{own.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{main.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{main.ru_utime:.6f}"),
    ]


def all_specs(state: ServerState) -> Iterator[CommandSpec]:
    """Every command and subcommand in the table, containers before their children."""
    for spec in state.commands:
        yield spec
        yield from spec.subcommands.values()


def _commandstats_section(state: ServerState) -> Fields:
    fields: Fields = []
    stats = state.commands.stats
    for spec in all_specs(state):
        counted = stats.of(spec)
        if counted.calls or counted.failed_calls or counted.rejected_calls:
            usec, calls = counted.usec, counted.calls
            per_call = usec / calls if calls else 0.0
            name = spec.full_name.replace(":", "_").replace("#", "_")
            fields.append(
                (
                    f"cmdstat_{name}",
                    f"calls={calls},usec={usec},usec_per_call={per_call:.2f},"
                    f"rejected_calls={counted.rejected_calls},"
                    f"failed_calls={counted.failed_calls}",
                )
            )
    return fields


def _errorstats_section(state: ServerState) -> Fields:
    return [
        (f"errorstat_{code}", f"count={count}")
        for code, count in sorted(state.stats.errors.items())
    ]


def _cluster_section(state: ServerState) -> Fields:
    return [("cluster_enabled", 0)]


def _keyspace_section(state: ServerState) -> Fields:
    return [
        (f"db{db.index}", f"keys={len(db)},expires={db.expires_count()},avg_ttl=0")
        for db in state.keyspace.dbs
        if len(db)
    ]


_BUILTIN_SECTIONS: dict[str, Callable[[ServerState], Fields]] = {
    "server": _server_section,
    "clients": _clients_section,
    "memory": _memory_section,
    "stats": _stats_section,
    "replication": _replication_section,
    "cpu": _cpu_section,
    "commandstats": _commandstats_section,
    "errorstats": _errorstats_section,
    "cluster": _cluster_section,
    "keyspace": _keyspace_section,
}


def registered_sections(state: ServerState) -> dict[str, InfoProvider]:
    """The sections the server's subsystems add through the INFO hook, in registration
    order (pluggy calls the newest plugin first)."""
    sections: dict[str, InfoProvider] = {}
    for provided in reversed(state.hooks.hook.ferrite_info_sections(state=state)):
        for name, provider in provided.items():
            sections.setdefault(name, provider)
    return sections


def _section_order(state: ServerState, registered: dict[str, InfoProvider]) -> list[str]:
    """Redis's order, then sections the server's parts registered, in registration order."""
    return list(_TITLES) + [name for name in registered if name not in _TITLES]


def wanted_sections(
    state: ServerState, args: list[bytes], registered: dict[str, InfoProvider] | None = None
) -> list[str]:
    names = {arg.decode("utf-8", "replace").lower() for arg in args} or {"default"}
    order = _section_order(state, registered_sections(state) if registered is None else registered)
    if "everything" in names:
        return order
    if "all" in names:  # as Redis: everything but the sections modules generate
        return [name for name in order if not _is_module_section(name)]
    chosen = set(names)
    if "default" in names:
        chosen |= {n for n in order if n not in _NOT_DEFAULT and not _is_module_section(n)}
    for name in order:
        if _is_module_section(name) and (
            "modules" in names or any(name.startswith(f"{asked}_") for asked in names)
        ):
            chosen.add(name)  # INFO <module> and INFO modules show a module's own sections
    return [name for name in order if name in chosen]


def _is_module_section(name: str) -> bool:
    """Modules' own sections are named `<module>_<section>` (Redis's form)."""
    return "_" in name and name not in _TITLES


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def info_text(state: ServerState, args: list[bytes]) -> str:
    blocks = []
    registered = registered_sections(state)
    for name in wanted_sections(state, args, registered):
        provider = registered.get(name)
        builtin = _BUILTIN_SECTIONS.get(name)
        if provider is not None:
            fields = list(provider())
        elif builtin is not None:
            fields = builtin(state)
        elif name == "modules":
            fields = []  # the section is always there, empty until a module layer fills it
        else:
            continue
        lines = [f"# {_TITLES.get(name, name)}"]
        lines += [f"{field}:{_format_value(value)}" for field, value in fields]
        blocks.append("".join(line + "\r\n" for line in lines))
    return "\r\n".join(blocks)


@command(
    "info",
    -1,
    "loading stale",
    summary="Returns information and statistics about the server.",
    complexity="O(1)",
    acl="dangerous",
    arguments=[arg("section", optional=True, multiple=True)],
)
def info(session: Session, argv: list[bytes]) -> Any:
    return Verbatim(info_text(session.state, argv[1:]).encode())


def _largest_output(state: ServerState) -> int:
    """The largest reply backlog among the clients now (Redis keeps it for a few seconds)."""
    sizes = [s.output_pending() for s in state.clients.values() if s.output_pending is not None]
    return max(sizes, default=0)
