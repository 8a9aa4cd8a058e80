"""Redis's RDB format: the snapshot file (dump.rdb) and DUMP/RESTORE payloads.

`reader` and `writer` handle whole files and single values; the codecs (`lzf`, `crc64`,
`listpack`, `ziplist`, `intset`, `zipmap`) and the module type id (`module_id`) are what they
are built from. See docs/persistence.md.
"""

from ferrite_host.persistence.rdb.constants import RDB_VERSION
from ferrite_host.persistence.rdb.dump import (
    PayloadError,
    dump_payload,
    load_payload,
    verify_payload,
)
from ferrite_host.persistence.rdb.reader import RdbContents, RdbModulePayload, is_rdb, parse_rdb
from ferrite_host.persistence.rdb.writer import DbDump, iter_dumps, write_rdb

__all__ = [
    "RDB_VERSION",
    "DbDump",
    "PayloadError",
    "RdbContents",
    "RdbModulePayload",
    "dump_payload",
    "is_rdb",
    "iter_dumps",
    "load_payload",
    "parse_rdb",
    "verify_payload",
    "write_rdb",
]
