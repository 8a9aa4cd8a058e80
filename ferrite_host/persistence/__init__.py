"""Persistence: the snapshot file (Ferrite's RDB), the append-only file, and their manager.

See docs/persistence.md for the on-disk formats and the operator-facing behaviour.
"""

from ferrite_host.persistence.aof import AofFormatError, AofTruncated, encode_command, parse_aof
from ferrite_host.persistence.errors import PersistenceError
from ferrite_host.persistence.manager import Persistence
from ferrite_host.persistence.snapshot import (
    FORMAT_VERSION,
    MAGIC,
    SnapshotError,
    SnapshotLoadError,
    SnapshotSaveError,
    parse_snapshot,
    write_snapshot,
)

__all__ = [
    "FORMAT_VERSION",
    "MAGIC",
    "AofFormatError",
    "AofTruncated",
    "Persistence",
    "PersistenceError",
    "SnapshotError",
    "SnapshotLoadError",
    "SnapshotSaveError",
    "encode_command",
    "parse_aof",
    "parse_snapshot",
    "write_snapshot",
]
