"""The encoding thresholds Redis 7.0 configures, shared by every value of a keyspace.

The defaults are redis-server's own (its built-in defaults, not the sample redis.conf's:
hash-max-listpack-entries is 512 there, 128 in the sample file).

They decide what OBJECT ENCODING answers (listpack until a value outgrows them, then
hashtable / skiplist / quicklist), as Redis's conversions do; CONFIG SET updates them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EncodingLimits:
    hash_max_listpack_entries: int = 512
    hash_max_listpack_value: int = 64
    set_max_intset_entries: int = 512
    zset_max_listpack_entries: int = 128
    zset_max_listpack_value: int = 64
    list_max_listpack_size: int = -2
    list_compress_depth: int = 0
    stream_node_max_bytes: int = 4096
    stream_node_max_entries: int = 100
