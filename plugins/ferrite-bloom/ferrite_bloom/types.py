"""The five data types, with RedisBloom's names, and their persistence callbacks.

Bloom and Cuckoo filters rewrite themselves into the AOF as their own SCANDUMP chunks
(`BF.LOADCHUNK` / `CF.LOADCHUNK`), as RedisBloom does. Sketches, Top-K and t-digests have no
command that sets their internals, so (like RedisBloom's default AOF rewrite, a RESTORE of
the DUMP payload) they answer None and the server writes a restore of the `rdb_save` record.
"""

from __future__ import annotations

from typing import Any

from ferrite_bloom import cms, cuckoo, dump, tdigest, topk
from ferrite_host.redis_module.types import RedisModuleTypeDef, TypeMethods

BLOOM = "MBbloom--"
CUCKOO = "MBbloomCF"
CMS = "CMSk-TYPE"
TOPK = "TopK-TYPE"
TDIGEST = "TDIS-TYPE"


def _no_aof_form(value: Any, key: bytes) -> None:
    """No command rebuilds this structure: the server writes a restore of the record."""
    return None


def _copy(value: Any) -> Any:
    return value.copy()


def _memory(value: Any) -> int:
    return int(value.memory_bytes)


def _free(value: Any) -> None:
    """Nothing to release: Python frees the arrays with the last reference."""


def definitions() -> list[RedisModuleTypeDef]:
    """Every type the module registers, in registration order."""
    return [
        RedisModuleTypeDef(BLOOM, dump.ENCODING_VERSION).with_methods(
            TypeMethods(
                rdb_save=dump.rdb_save,
                rdb_load=dump.rdb_load,
                aof_rewrite=dump.dump_commands,
                mem_usage=_memory,
                digest=dump.rdb_save,
                free=_free,
                copy=_copy,
            )
        ),
        RedisModuleTypeDef(CUCKOO, cuckoo.ENCODING_VERSION).with_methods(
            TypeMethods(
                rdb_save=cuckoo.rdb_save,
                rdb_load=cuckoo.rdb_load,
                aof_rewrite=cuckoo.dump_commands,
                mem_usage=_memory,
                digest=cuckoo.rdb_save,
                free=_free,
                copy=_copy,
            )
        ),
        RedisModuleTypeDef(CMS, cms.ENCODING_VERSION).with_methods(
            TypeMethods(
                rdb_save=cms.rdb_save,
                rdb_load=cms.rdb_load,
                aof_rewrite=_no_aof_form,
                mem_usage=_memory,
                digest=cms.rdb_save,
                free=_free,
                copy=_copy,
            )
        ),
        RedisModuleTypeDef(TOPK, topk.ENCODING_VERSION).with_methods(
            TypeMethods(
                rdb_save=topk.rdb_save,
                rdb_load=topk.rdb_load,
                aof_rewrite=_no_aof_form,
                mem_usage=_memory,
                digest=topk.rdb_save,
                free=_free,
                copy=_copy,
            )
        ),
        RedisModuleTypeDef(TDIGEST, tdigest.ENCODING_VERSION).with_methods(
            TypeMethods(
                rdb_save=tdigest.rdb_save,
                rdb_load=tdigest.rdb_load,
                aof_rewrite=_no_aof_form,
                mem_usage=_memory,
                digest=tdigest.rdb_save,
                free=_free,
                copy=_copy,
            )
        ),
    ]
