"""The encoding thresholds Redis 7.0 configures, shared by every value of a keyspace.

They decide what OBJECT ENCODING answers (listpack until a value outgrows them, then
hashtable / skiplist / quicklist), as Redis's conversions do; CONFIG SET updates them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EncodingLimits:
    hash_max_listpack_entries: int = 128
    hash_max_listpack_value: int = 64
    set_max_intset_entries: int = 512
    zset_max_listpack_entries: int = 128
    zset_max_listpack_value: int = 64
    list_max_listpack_size: int = -2
    list_compress_depth: int = 0
