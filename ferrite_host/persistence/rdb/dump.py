"""DUMP payloads in Redis's format: type byte, value encoding, RDB version (u16 LE), CRC64.

What `DUMP` returns and `RESTORE` accepts, so payloads cross between Ferrite and Redis.
"""

from __future__ import annotations

from ferrite_host.keyspace import EncodingLimits
from ferrite_host.keyspace.values import Value
from ferrite_host.persistence.rdb import constants as c
from ferrite_host.persistence.rdb.crc64 import crc64
from ferrite_host.persistence.rdb.reader import Loaded, RdbCursor, read_value
from ferrite_host.persistence.rdb.writer import ValueEncoder
from ferrite_host.persistence.snapshot import SnapshotError

_FOOTER = 10  # 2 bytes of version + 8 of checksum


class PayloadError(ValueError):
    """The payload's version or checksum is wrong (Redis's first RESTORE check)."""


def dump_payload(key: bytes, value: Value, limits: EncodingLimits | None = None) -> bytes:
    rdb_type, body = ValueEncoder(limits).encode(key, value)
    data = bytes((rdb_type,)) + body + c.RDB_VERSION.to_bytes(2, "little")
    return data + crc64(data).to_bytes(8, "little")


def verify_payload(payload: bytes) -> None:
    """PayloadError unless the footer holds a version we read and the matching CRC64."""
    if len(payload) < _FOOTER:
        raise PayloadError("payload shorter than its footer")
    version = int.from_bytes(payload[-_FOOTER : -_FOOTER + 2], "little")
    if version > c.MAX_READ_VERSION:
        raise PayloadError(f"RDB version {version} is newer than this server reads")
    stored = int.from_bytes(payload[-8:], "little")
    if crc64(memoryview(payload)[:-8]) != stored:
        raise PayloadError("checksum mismatch")


def load_payload(key: bytes, payload: bytes, limits: EncodingLimits | None = None) -> Loaded:
    """The value a verified payload holds; SnapshotError when it does not decode exactly."""
    cursor = RdbCursor(payload, 0, len(payload) - _FOOTER)
    rdb_type = cursor.byte("the value type")
    value = read_value(cursor, rdb_type, key, limits)
    if cursor.pos != cursor.end:
        raise SnapshotError(cursor.pos, "bytes left over after the value")
    return value
