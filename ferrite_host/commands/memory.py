"""MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP."""

from __future__ import annotations

import gc
import logging
import sys
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import integer, key_arg
from ferrite_host.commands.help import help_reply
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.memory_usage import STARTUP_BYTES, process_rss, used_memory
from ferrite_host.core.spec import Family
from ferrite_host.keyspace import Aggregate, TypedValue
from ferrite_host.protocol.replies import OK, Verbatim
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.keyspace import Database

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command


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
    arguments=[key_arg(), integer("count", token="SAMPLES", optional=True)],
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
    "stats",
    2,
    "",
    parent=memory,
    summary="Returns details about memory usage.",
    since="4.0.0",
    arguments=[],
)
def memory_stats(session: Session, argv: list[bytes]) -> Any:
    state = session.state
    used = used_memory(state.keyspace)
    peak = max(used, state.used_memory_peak)
    keys = state.keyspace.key_count()
    reply: dict[bytes, Any] = {
        b"peak.allocated": peak,
        b"total.allocated": used,
        b"startup.allocated": STARTUP_BYTES,
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
    reply[b"peak.percentage"] = used * 100.0 / peak
    reply[b"fragmentation"] = process_rss() / used
    return reply


@command(
    "doctor",
    2,
    "",
    parent=memory,
    summary="Outputs a memory problems report.",
    since="4.0.0",
    arguments=[],
)
def memory_doctor(session: Session, argv: list[bytes]) -> Any:
    text = (
        "Hi Sam, I can't diagnose this instance: Ferrite runs on Python's allocator, which "
        "reports no fragmentation or allocator statistics. INFO memory shows the estimate "
        "maxmemory compares (used_memory) beside the resident size of the process, and "
        "MEMORY USAGE <key> estimates single keys.\n"
    )
    return Verbatim(text.encode())


@command(
    "malloc-stats",
    2,
    "",
    parent=memory,
    summary="Returns the allocator statistics.",
    since="4.0.0",
    arguments=[],
)
def memory_malloc_stats(session: Session, argv: list[bytes]) -> Any:
    return Verbatim(b"Stats not supported for the current allocator")


@command(
    "purge",
    2,
    "",
    parent=memory,
    summary="Asks the allocator to release memory.",
    since="4.0.0",
    arguments=[],
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
    arguments=[],
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
