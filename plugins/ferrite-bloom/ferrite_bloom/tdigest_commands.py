"""TDIGEST.* commands with RedisBloom's arguments, replies and error strings.

Values are doubles (bulk strings in RESP2, `,` doubles in RESP3, `nan` for an empty
digest); ranks are integers (-2 for an empty digest).
"""

from __future__ import annotations

import math
from typing import Any

from ferrite_bloom import tdigest
from ferrite_bloom.lookup import Lookup, open_value
from ferrite_bloom.parsing import is_word, to_float, to_int
from ferrite_bloom.replies import reply_double, reply_doubles, reply_info
from ferrite_bloom.tdigest import TDigest
from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString, Status

ERR_NOT_FOUND = "ERR T-Digest: key does not exist"
ERR_COMPRESSION_PARSE = "ERR T-Digest: error parsing compression parameter"
ERR_COMPRESSION_RANGE = "ERR T-Digest: compression parameter needs to be a positive integer"

#: The registered "TDIS-TYPE" type handle; set by on_load.
TDIGEST_TYPE: Any = None


def _open(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> Lookup:
    return open_value(ctx, name, TDIGEST_TYPE, write)


def _existing(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> TDigest | None:
    lookup = _open(ctx, name, write)
    if lookup.value is None:
        ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    return lookup.value  # type: ignore[no-any-return]


def _compression(ctx: RedisModuleCtx, arg: RedisModuleString) -> int | None:
    value = to_int(arg)
    if value is None:
        ctx.reply_with_error(ERR_COMPRESSION_PARSE)
        return None
    if not 0 < value <= tdigest.MAX_COMPRESSION:
        ctx.reply_with_error(ERR_COMPRESSION_RANGE)
        return None
    return value


def tdigest_create(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.CREATE key [COMPRESSION compression]."""
    if len(args) not in (1, 3):
        return ctx.wrong_arity()
    compression = tdigest.DEFAULT_COMPRESSION
    if len(args) == 3:
        if not is_word(args[1], b"compression"):
            return ctx.reply_with_error(ERR_COMPRESSION_PARSE)
        parsed = _compression(ctx, args[2])
        if parsed is None:
            return Status.OK
        compression = parsed
    lookup = _open(ctx, args[0], write=True)
    if not lookup.empty:
        return ctx.reply_with_error(lookup.error("", "ERR T-Digest: key already exists"))
    lookup.store(TDIGEST_TYPE, TDigest(compression))
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def tdigest_reset(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.RESET key: empty the digest, keeping its compression."""
    if len(args) != 1:
        return ctx.wrong_arity()
    digest = _existing(ctx, args[0], write=True)
    if digest is None:
        return Status.OK
    digest.reset()
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def tdigest_add(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.ADD key value [value ...]."""
    if len(args) < 2:
        return ctx.wrong_arity()
    digest = _existing(ctx, args[0], write=True)
    if digest is None:
        return Status.OK
    values = []
    for arg in args[1:]:
        value = to_float(arg)
        if value is None or math.isinf(value):
            return ctx.reply_with_error("ERR T-Digest: error parsing val parameter")
        values.append(value)
    for value in values:
        digest.add(value)
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def tdigest_merge(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.MERGE destination numkeys source [source ...] [COMPRESSION c] [OVERRIDE]."""
    if len(args) < 3:
        return ctx.wrong_arity()
    numkeys = to_int(args[1])
    if numkeys is None or numkeys <= 0:
        return ctx.reply_with_error("ERR T-Digest: numkeys needs to be a positive integer")
    if 2 + numkeys > len(args):
        return ctx.reply_with_error("ERR T-Digest: not enough number of sources")
    compression: int | None = None
    override = False
    position = 2 + numkeys
    while position < len(args):
        if is_word(args[position], b"compression"):
            if position + 1 == len(args):
                return ctx.reply_with_error(ERR_COMPRESSION_PARSE)
            compression = _compression(ctx, args[position + 1])
            if compression is None:
                return Status.OK
            position += 2
        elif is_word(args[position], b"override"):
            override = True
            position += 1
        else:
            return ctx.reply_with_error("ERR T-Digest: wrong keyword")
    sources = []
    for name in args[2 : 2 + numkeys]:
        source = _existing(ctx, name, write=False)
        if source is None:
            return Status.OK
        sources.append(source)
    destination = _open(ctx, args[0], write=True)
    if destination.mismatch:
        return ctx.reply_with_error(destination.error(ERR_NOT_FOUND))
    keep: TDigest | None = None if override else destination.value
    if compression is None:
        if keep is not None:
            compression = int(keep.compression)
        else:
            compression = int(max(source.compression for source in sources))
    merged = TDigest(compression)
    for source in ([keep] if keep is not None else []) + sources:
        merged.absorb(source)
    merged.compress()
    destination.store(TDIGEST_TYPE, merged)
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def _single(ctx: RedisModuleCtx, args: list[RedisModuleString], read: str) -> Status:
    if len(args) != 1:
        return ctx.wrong_arity()
    digest = _existing(ctx, args[0], write=False)
    if digest is None:
        return Status.OK
    return reply_double(ctx, getattr(digest, read)())


def tdigest_min(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.MIN key: the smallest observation (nan when empty)."""
    return _single(ctx, args, "min")


def tdigest_max(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.MAX key: the largest observation (nan when empty)."""
    return _single(ctx, args, "max")


def _doubles(
    ctx: RedisModuleCtx, args: list[RedisModuleString], error: str
) -> tuple[TDigest, list[float]] | None:
    """The digest and the parsed double arguments; None after replying with an error."""
    if len(args) < 2:
        ctx.wrong_arity()
        return None
    digest = _existing(ctx, args[0], write=False)
    if digest is None:
        return None
    values = []
    for arg in args[1:]:
        value = to_float(arg)
        if value is None:
            ctx.reply_with_error(error)
            return None
        values.append(value)
    return digest, values


def tdigest_quantile(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.QUANTILE key quantile [quantile ...]."""
    parsed = _doubles(ctx, args, "ERR T-Digest: error parsing quantile")
    if parsed is None:
        return Status.OK
    digest, quantiles = parsed
    if any(not 0 <= q <= 1 for q in quantiles):
        return ctx.reply_with_error("ERR T-Digest: quantile should be in [0,1]")
    return reply_doubles(ctx, [digest.quantile(q) for q in quantiles])


def tdigest_cdf(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.CDF key value [value ...]."""
    parsed = _doubles(ctx, args, "ERR T-Digest: error parsing cdf")
    if parsed is None:
        return Status.OK
    digest, values = parsed
    return reply_doubles(ctx, [digest.cdf(value) for value in values])


def _rank(ctx: RedisModuleCtx, args: list[RedisModuleString], reverse: bool) -> Status:
    parsed = _doubles(ctx, args, "ERR T-Digest: error parsing value")
    if parsed is None:
        return Status.OK
    digest, values = parsed
    ctx.reply_with_array(len(values))
    for value in values:
        ctx.reply_with_long_long(digest.rank(value, reverse))
    return Status.OK


def tdigest_rank(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.RANK key value [value ...]: observations below (plus half of those equal)."""
    return _rank(ctx, args, reverse=False)


def tdigest_revrank(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.REVRANK key value [value ...]: observations above (plus half of those equal)."""
    return _rank(ctx, args, reverse=True)


def _by_rank(ctx: RedisModuleCtx, args: list[RedisModuleString], reverse: bool) -> Status:
    if len(args) < 2:
        return ctx.wrong_arity()
    digest = _existing(ctx, args[0], write=False)
    if digest is None:
        return Status.OK
    ranks = []
    for arg in args[1:]:
        rank = to_int(arg)
        if rank is None:
            return ctx.reply_with_error("ERR T-Digest: error parsing rank")
        if rank < 0:
            return ctx.reply_with_error("ERR T-Digest: rank needs to be non negative")
        ranks.append(rank)
    return reply_doubles(ctx, [digest.by_rank(rank, reverse) for rank in ranks])


def tdigest_byrank(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.BYRANK key rank [rank ...]: the value with each rank (inf past the end)."""
    return _by_rank(ctx, args, reverse=False)


def tdigest_byrevrank(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.BYREVRANK key rank [rank ...]: counted from the largest (-inf past the end)."""
    return _by_rank(ctx, args, reverse=True)


def tdigest_trimmed_mean(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.TRIMMED_MEAN key low_cut_quantile high_cut_quantile."""
    if len(args) != 3:
        return ctx.wrong_arity()
    digest = _existing(ctx, args[0], write=False)
    if digest is None:
        return Status.OK
    low = to_float(args[1])
    if low is None:
        return ctx.reply_with_error("ERR T-Digest: error parsing low_cut_percentile")
    high = to_float(args[2])
    if high is None:
        return ctx.reply_with_error("ERR T-Digest: error parsing high_cut_percentile")
    if not (0 <= low <= 1 and 0 <= high <= 1):
        return ctx.reply_with_error(
            "ERR T-Digest: low_cut_percentile and high_cut_percentile should be in [0,1]"
        )
    if low >= high:
        return ctx.reply_with_error(
            "ERR T-Digest: low_cut_percentile should be lower than high_cut_percentile"
        )
    return reply_double(ctx, digest.trimmed_mean(low, high))


def tdigest_info(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TDIGEST.INFO key: compression, node counts, weights, compressions, memory."""
    if len(args) != 1:
        return ctx.wrong_arity()
    digest = _existing(ctx, args[0], write=False)
    if digest is None:
        return Status.OK
    return reply_info(
        ctx,
        [
            ("Compression", int(digest.compression)),
            ("Capacity", digest.capacity),
            ("Merged nodes", digest.merged_nodes),
            ("Unmerged nodes", digest.unmerged_nodes),
            ("Merged weight", int(digest.merged_weight)),
            ("Unmerged weight", int(digest.unmerged_weight)),
            ("Observations", int(digest.total_weight)),
            ("Total compressions", digest.total_compressions),
            ("Memory usage", digest.memory_bytes),
        ],
    )


COMMANDS = (
    ("tdigest.create", tdigest_create, "write deny-oom"),
    ("tdigest.reset", tdigest_reset, "write"),
    ("tdigest.add", tdigest_add, "write deny-oom"),
    ("tdigest.merge", tdigest_merge, "write deny-oom"),
    ("tdigest.min", tdigest_min, "readonly"),
    ("tdigest.max", tdigest_max, "readonly"),
    ("tdigest.quantile", tdigest_quantile, "readonly"),
    ("tdigest.cdf", tdigest_cdf, "readonly"),
    ("tdigest.rank", tdigest_rank, "readonly"),
    ("tdigest.revrank", tdigest_revrank, "readonly"),
    ("tdigest.byrank", tdigest_byrank, "readonly"),
    ("tdigest.byrevrank", tdigest_byrevrank, "readonly"),
    ("tdigest.trimmed_mean", tdigest_trimmed_mean, "readonly"),
    ("tdigest.info", tdigest_info, "readonly"),
)
