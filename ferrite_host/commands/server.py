"""Server commands: INFO, CONFIG, TIME, MEMORY, SHUTDOWN (scripting is in scripting.py)."""

from __future__ import annotations

import gc
import logging
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ferrite_host import REDIS_COMPAT_VERSION, __version__
from ferrite_host.commands.help import help_reply
from ferrite_host.core import errors
from ferrite_host.core.config import (
    UNLISTED,
    ConfigSetError,
    parameters,
    rewrite_config_file,
    set_parameters,
)
from ferrite_host.core.errors import CommandError
from ferrite_host.core.hookspecs import InfoProvider
from ferrite_host.core.loglevels import LOG_LEVELS
from ferrite_host.core.parameters import Parameter
from ferrite_host.core.spec import CommandSpec, Family
from ferrite_host.keyspace import Aggregate, TypedValue, glob_match
from ferrite_host.protocol.replies import NO_REPLY, OK, Verbatim
from ferrite_host.scripting.scripting import Scripting
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState
    from ferrite_host.keyspace import Database

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command


def subcommand_syntax_error(argv: list[bytes]) -> CommandError:
    """For commands that parse their own subcommands (DEBUG, MEMORY options)."""
    sub = argv[1].decode("utf-8", "replace")[:128] if len(argv) > 1 else ""
    return CommandError(
        f"ERR unknown subcommand or wrong number of arguments for '{sub}'. "
        f"Try {argv[0].decode('utf-8', 'replace').upper()} HELP."
    )


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


def process_rss() -> int:
    """Resident set size of this process in bytes."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


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
    return [
        ("connected_clients", len(state.clients)),
        ("cluster_connections", 0),
        ("maxclients", state.settings.maxclients),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", 0),
        ("blocked_clients", 0),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", 0),
        ("total_blocking_keys", 0),
        ("total_blocking_keys_on_nokey", 0),
    ]


def _memory_section(state: ServerState) -> Fields:
    # Python has no allocator statistics Redis's could map to: the resident size is the one
    # honest figure, so used_memory reports it too.
    rss = process_rss()
    peak = state.used_memory_peak = max(rss, state.used_memory_peak)
    system = _system_memory()
    maxmemory = state.settings.maxmemory
    return [
        ("used_memory", rss),
        ("used_memory_human", human_bytes(rss)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", human_bytes(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", human_bytes(peak)),
        ("used_memory_peak_perc", f"{rss * 100 / peak:.2f}%"),
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
        ("mem_fragmentation_ratio", "1.00"),
        ("mem_allocator", "pymalloc"),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


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
        ("evicted_keys", 0),
        ("evicted_clients", 0),
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
    for spec in all_specs(state):
        if spec.calls or spec.failed_calls or spec.rejected_calls:
            per_call = spec.usec / spec.calls if spec.calls else 0.0
            name = spec.full_name.replace(":", "_").replace("#", "_")
            fields.append(
                (
                    f"cmdstat_{name}",
                    f"calls={spec.calls},usec={spec.usec},usec_per_call={per_call:.2f},"
                    f"rejected_calls={spec.rejected_calls},failed_calls={spec.failed_calls}",
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
)
def info(session: Session, argv: list[bytes]) -> Any:
    return Verbatim(info_text(session.state, argv[1:]).encode())


# -- CONFIG ----------------------------------------------------------------------------------

config = family.container(
    "config", summary="A container for server configuration commands.", since="2.0.0"
)
_CONFIG_FLAGS = "admin noscript loading stale"


def _is_glob(pattern: bytes) -> bool:
    return any(c in pattern for c in b"*?[")


@command(
    "get",
    -3,
    _CONFIG_FLAGS,
    parent=config,
    summary="Returns the effective values of configuration parameters.",
    since="2.0.0",
    complexity="O(N) when N is the number of configuration parameters provided",
)
def config_get(session: Session, argv: list[bytes]) -> Any:
    values = parameters(session.state.settings)
    values.update((extra.name, extra.render()) for extra in session.state.parameters)
    values = {name.lower(): value for name, value in values.items()}
    found: dict[str, tuple[bytes, bytes]] = {}  # lower-case name -> (name as answered, value)
    for pattern in argv[2:]:
        if not _is_glob(pattern):
            name = pattern.decode("utf-8", "replace")
            if name.lower() in values and name.lower() not in found:
                found[name.lower()] = (pattern, values[name.lower()].encode())  # as typed
            continue
        for name, value in values.items():
            if (
                name not in found
                and name not in UNLISTED
                and glob_match(pattern, name.encode(), nocase=True)
            ):
                found[name] = (name.encode(), value.encode())
    return dict(found.values())


@command(
    "set",
    -4,
    _CONFIG_FLAGS,
    parent=config,
    summary="Sets configuration parameters in-flight.",
    since="2.0.0",
    complexity="O(N) when N is the number of configuration parameters provided",
)
def config_set(session: Session, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise CommandError(errors.wrong_arity("config|set"))
    pairs = [
        (argv[i].decode("utf-8", "replace"), argv[i + 1].decode("utf-8", "surrogateescape"))
        for i in range(2, len(argv), 2)
    ]
    state = session.state
    extra = _parse_extra_parameters(state, pairs)
    try:
        changed = set_parameters(state.settings, [p for p in pairs if p[0] not in state.parameters])
    except ConfigSetError as exc:
        raise CommandError(exc.reply) from None
    for parameter, value in extra:
        parameter.assign(value)
    _apply_side_effects(state, changed)
    return OK


def _parse_extra_parameters(
    state: ServerState, pairs: list[tuple[str, str]]
) -> list[tuple[Parameter, object]]:
    """Check every module parameter of a CONFIG SET before anything is applied."""
    parsed: list[tuple[Parameter, object]] = []
    for name, text in pairs:
        parameter = state.parameters.get(name)
        if parameter is None:
            continue
        if not parameter.mutable:
            raise CommandError(
                f"ERR CONFIG SET failed (possibly related to argument '{name}') - "
                "can't set immutable config"
            )
        try:
            parsed.append((parameter, parameter.parse(text)))
        except ValueError as exc:
            raise CommandError(
                f"ERR CONFIG SET failed (possibly related to argument '{name}') - {exc}"
            ) from None
    return parsed


def _apply_side_effects(state: ServerState, changed: set[str]) -> None:
    """What a new value must change beyond the settings object itself."""
    settings = state.settings
    if "requirepass" in changed and not settings.requirepass:
        for client in state.clients.values():  # the default user is `nopass` again
            client.authenticated = True
    if "loglevel" in changed:
        logging.getLogger("ferrite").setLevel(LOG_LEVELS[settings.loglevel])
    state.hooks.hook.ferrite_config_changed(state=state, changed=changed)


@command(
    "resetstat",
    2,
    _CONFIG_FLAGS,
    parent=config,
    summary="Resets the server's statistics.",
    since="2.0.0",
)
def config_resetstat(session: Session, argv: list[bytes]) -> Any:
    state = session.state
    state.stats.reset()
    state.keyspace.hits = state.keyspace.misses = 0
    for spec in all_specs(state):
        spec.calls = spec.usec = spec.failed_calls = spec.rejected_calls = 0
    for db in state.keyspace.dbs:
        db.expired_count = 0
    state.used_memory_peak = 0
    return OK


@command(
    "rewrite",
    2,
    _CONFIG_FLAGS,
    parent=config,
    summary="Persists the effective configuration to file.",
    since="2.8.0",
)
def config_rewrite(session: Session, argv: list[bytes]) -> Any:
    settings = session.state.settings
    if not settings.config_file:
        raise CommandError("ERR The server is running without a config file")
    try:
        rewrite_config_file(settings)
    except OSError as exc:
        log.warning("CONFIG REWRITE failed: %s", exc)
        raise CommandError(f"ERR Rewriting config file: {exc.strerror or exc}") from None
    log.info("CONFIG REWRITE executed with success.")
    return OK


@command(
    "help",
    2,
    "loading stale",
    parent=config,
    summary="Returns helpful text about the different subcommands.",
    since="5.0.0",
)
def config_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "CONFIG",
        [
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )


# -- TIME ------------------------------------------------------------------------------------


@command("time", 1, "loading stale fast", summary="Returns the server time.", since="2.6.0")
def time_(session: Session, argv: list[bytes]) -> Any:
    micros = time.time_ns() // 1000
    return [b"%d" % (micros // 1_000_000), b"%d" % (micros % 1_000_000)]


# -- MEMORY ----------------------------------------------------------------------------------

memory = family.container(
    "memory", summary="A container for memory diagnostics commands.", since="4.0.0"
)

#: One slot of a CPython dict: hash, key and value pointers plus its share of the index.
DICT_ENTRY_BYTES = 40
_EXPIRE_ENTRY_BYTES = DICT_ENTRY_BYTES + sys.getsizeof(2**40)


def value_usage(value: object) -> int:
    """Bytes a stored value takes: the object itself, or a module type's own estimate."""
    if type(value) is TypedValue:
        try:
            own = int(value.type.mem_usage(value.value))
        except Exception:  # a module callback must not break MEMORY USAGE
            log.exception("mem_usage of type %s failed", value.type.name)
            own = 0
        return sys.getsizeof(value) + own
    if isinstance(value, Aggregate):
        return value.mem_usage()
    return sys.getsizeof(value)


def key_usage(db: Database, key: bytes) -> int | None:
    """MEMORY USAGE's estimate for one key (None when missing)."""
    value = db.get(key)
    if value is None:
        return None
    size = DICT_ENTRY_BYTES + sys.getsizeof(key) + value_usage(value)
    if db.get_expire(key) is not None:
        size += _EXPIRE_ENTRY_BYTES
    return size


@command(
    "usage",
    -3,
    "readonly",
    keys=(2, 2, 1),
    parent=memory,
    summary="Estimates the memory usage of a key.",
    since="4.0.0",
    complexity="O(N) where N is the number of samples.",
)
def memory_usage(session: Session, argv: list[bytes]) -> Any:
    pos = 3
    while pos < len(argv):
        if argv[pos].lower() == b"samples" and pos + 1 < len(argv):
            samples = parse_int(argv[pos + 1])
            if samples is None:
                raise CommandError(errors.NOT_INTEGER)
            if samples < 0:
                raise CommandError(errors.SYNTAX)
            pos += 2
        else:
            raise CommandError(errors.SYNTAX)
    return key_usage(session.db, argv[2])


@command(
    "stats", 2, "", parent=memory, summary="Returns details about memory usage.", since="4.0.0"
)
def memory_stats(session: Session, argv: list[bytes]) -> Any:
    state = session.state
    rss = process_rss()
    peak = max(rss, state.used_memory_peak)
    keys = state.keyspace.key_count()
    reply: dict[bytes, Any] = {
        b"peak.allocated": peak,
        b"total.allocated": rss,
        b"startup.allocated": 0,
        b"replication.backlog": 0,
        b"clients.slaves": 0,
        b"clients.normal": 0,
        b"cluster.links": 0,
        b"aof.buffer": 0,
        b"lua.caches": 0,
        b"functions.caches": 0,
    }
    for db in state.keyspace.dbs:
        if len(db):
            reply[b"db.%d" % db.index] = {
                b"overhead.hashtable.main": len(db) * DICT_ENTRY_BYTES,
                b"overhead.hashtable.expires": db.expires_count() * _EXPIRE_ENTRY_BYTES,
            }
    reply[b"keys.count"] = keys
    reply[b"peak.percentage"] = rss * 100.0 / peak
    reply[b"fragmentation"] = 1.0
    return reply


@command("doctor", 2, "", parent=memory, summary="Outputs a memory problems report.", since="4.0.0")
def memory_doctor(session: Session, argv: list[bytes]) -> Any:
    text = (
        "Hi Sam, I can't diagnose this instance: Ferrite runs on Python's allocator, which "
        "reports no fragmentation or allocator statistics. INFO memory shows the resident "
        "size of the process and MEMORY USAGE <key> estimates single keys.\n"
    )
    return Verbatim(text.encode())


@command(
    "malloc-stats", 2, "", parent=memory, summary="Returns the allocator statistics.", since="4.0.0"
)
def memory_malloc_stats(session: Session, argv: list[bytes]) -> Any:
    return Verbatim(b"Stats not supported for the current allocator")


@command(
    "purge", 2, "", parent=memory, summary="Asks the allocator to release memory.", since="4.0.0"
)
def memory_purge(session: Session, argv: list[bytes]) -> Any:
    gc.collect()
    return OK


@command(
    "help",
    2,
    "loading stale",
    parent=memory,
    summary="Returns helpful text about the different subcommands.",
    since="4.0.0",
)
def memory_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "MEMORY",
        [
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    )


# -- SHUTDOWN --------------------------------------------------------------------------------


@command(
    "shutdown",
    -1,
    "admin noscript loading stale no_multi allow_busy",
    summary="Synchronously saves the database(s) to disk and shuts down the Redis server.",
    complexity=(
        "O(N) when saving, where N is the total number of keys in all databases when saving "
        "data, otherwise O(1)"
    ),
)
def shutdown(session: Session, argv: list[bytes]) -> Any:
    options = {arg.lower() for arg in argv[1:]}
    if len(options) != len(argv) - 1 or not options <= {
        b"nosave",
        b"save",
        b"now",
        b"force",
        b"abort",
    }:
        raise CommandError(errors.SYNTAX)
    if (b"abort" in options and len(options) > 1) or {b"save", b"nosave"} <= options:
        raise CommandError(errors.SYNTAX)
    if b"abort" in options:
        raise CommandError("ERR No shutdown in progress.")
    save = True if b"save" in options else False if b"nosave" in options else None
    log.warning("User requested shutdown...")
    session.state.request_shutdown(save=save)
    session.close_after_reply = True
    return NO_REPLY  # as with Redis, the client sees the connection close


# -- LOLWUT ----------------------------------------------------------------------------------


@command(
    "lolwut",
    -1,
    "readonly fast",
    summary="Displays computer art and the Redis version",
    since="5.0.0",
    complexity="",
)
def lolwut(session: Session, argv: list[bytes]) -> Any:
    art = "\n".join(
        [
            "    ______                _  __",
            "   / ____/__  _________(_)/ /____",
            "  / /_  / _ \\/ ___/ ___/ / __/ _ \\",
            " / __/ /  __/ /  / /  / / /_/  __/",
            "/_/    \\___/_/  /_/  /_/\\__/\\___/",
            "",
            f"Ferrite ver. {__version__} (speaks Redis {REDIS_COMPAT_VERSION})",
            "",
        ]
    )
    return Verbatim(art.encode())
