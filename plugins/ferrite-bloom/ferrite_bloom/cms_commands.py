"""CMS.* commands with RedisBloom's arguments, replies and error strings ("CMS: ...")."""

from __future__ import annotations

from typing import Any

from ferrite_bloom.cms import CounterOverflow, CountMinSketch, dimensions_for
from ferrite_bloom.lookup import Lookup, open_value
from ferrite_bloom.parsing import is_word, to_float, to_int
from ferrite_bloom.replies import reply_info
from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString, Status

ERR_NOT_FOUND = "CMS: key does not exist"
ERR_EXISTS = "CMS: key already exists"

#: The registered "CMSk-TYPE" type handle; set by on_load.
CMS_TYPE: Any = None


def _open(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> Lookup:
    return open_value(ctx, name, CMS_TYPE, write)


def _existing(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> CountMinSketch | None:
    """The sketch at `name`; None after replying with the missing/wrong-type error."""
    lookup = _open(ctx, name, write)
    if lookup.value is None:
        ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    return lookup.value  # type: ignore[no-any-return]


def _init(ctx: RedisModuleCtx, name: RedisModuleString, width: int, depth: int) -> Status:
    lookup = _open(ctx, name, write=True)
    if not lookup.empty:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND, ERR_EXISTS))
    try:
        sketch = CountMinSketch.create(width, depth)
    except MemoryError:
        return ctx.reply_with_error("CMS: Cannot allocate memory")
    lookup.store(CMS_TYPE, sketch)
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def cms_initbydim(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CMS.INITBYDIM key width depth."""
    if len(args) != 3:
        return ctx.wrong_arity()
    width = to_int(args[1])
    if width is None or width < 1 or width > 0xFFFFFFFF:
        return ctx.reply_with_error("CMS: invalid width")
    depth = to_int(args[2])
    if depth is None or depth < 1 or depth > 0xFFFFFFFF:
        return ctx.reply_with_error("CMS: invalid depth")
    return _init(ctx, args[0], width, depth)


def cms_initbyprob(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CMS.INITBYPROB key error probability."""
    if len(args) != 3:
        return ctx.wrong_arity()
    error = to_float(args[1])
    if error is None or not 0 < error < 1:
        return ctx.reply_with_error("CMS: invalid overestimation value")
    probability = to_float(args[2])
    if probability is None or not 0 < probability < 1:
        return ctx.reply_with_error("CMS: invalid prob value")
    width, depth = dimensions_for(error, probability)
    return _init(ctx, args[0], width, depth)


def cms_incrby(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CMS.INCRBY key item increment [item increment ...]: the new estimates."""
    if len(args) < 3 or len(args) % 2 == 0:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=True)
    if sketch is None:
        return Status.OK
    pairs = []
    for position in range(1, len(args), 2):
        value = to_int(args[position + 1])
        if value is None:
            return ctx.reply_with_error("CMS: Cannot parse number")
        if value < 0:
            return ctx.reply_with_error("CMS: Number cannot be negative")
        pairs.append((bytes(args[position]), value))
    ctx.reply_with_array(len(pairs))
    for item, value in pairs:
        try:
            ctx.reply_with_long_long(sketch.incrby(item, value))
        except CounterOverflow:
            ctx.reply_with_error("CMS: INCRBY overflow")
    ctx.replicate_verbatim()
    return Status.OK


def cms_query(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CMS.QUERY key item [item ...]: each item's estimated count."""
    if len(args) < 2:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=False)
    if sketch is None:
        return Status.OK
    ctx.reply_with_array(len(args) - 1)
    for item in args[1:]:
        ctx.reply_with_long_long(sketch.query(bytes(item)))
    return Status.OK


def cms_merge(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CMS.MERGE destination numKeys source [source ...] [WEIGHTS weight [weight ...]]."""
    if len(args) < 3:
        return ctx.wrong_arity()
    numkeys = to_int(args[1])
    if numkeys is None:
        return ctx.reply_with_error("CMS: invalid numkeys")
    if numkeys < 1:
        return ctx.reply_with_error("CMS: Number of keys must be positive")
    names = args[2 : 2 + numkeys]
    rest = args[2 + numkeys :]
    weights = [1] * numkeys
    if len(names) != numkeys:
        return ctx.reply_with_error("CMS: wrong number of keys")
    if rest:
        if not is_word(rest[0], b"weights") or len(rest) - 1 != numkeys:
            return ctx.reply_with_error("CMS: wrong number of keys/weights")
        for index, arg in enumerate(rest[1:]):
            weight = to_int(arg)
            if weight is None:
                return ctx.reply_with_error("CMS: invalid weight value")
            weights[index] = weight
    destination = _existing(ctx, args[0], write=True)
    if destination is None:
        return Status.OK
    sources = []
    for name in names:
        source = _existing(ctx, name, write=False)
        if source is None:
            return Status.OK
        if (source.width, source.depth) != (destination.width, destination.depth):
            return ctx.reply_with_error("CMS: width/depth is not equal")
        sources.append(source)
    try:
        destination.merge(sources, weights)
    except CounterOverflow:
        return ctx.reply_with_error("CMS: MERGE overflow")
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def cms_info(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CMS.INFO key: width, depth and the total of all increments."""
    if len(args) != 1:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=False)
    if sketch is None:
        return Status.OK
    return reply_info(
        ctx, [("width", sketch.width), ("depth", sketch.depth), ("count", sketch.count)]
    )


COMMANDS = (
    ("cms.initbydim", cms_initbydim, "write deny-oom"),
    ("cms.initbyprob", cms_initbyprob, "write deny-oom"),
    ("cms.incrby", cms_incrby, "write deny-oom"),
    ("cms.query", cms_query, "readonly fast"),
    ("cms.merge", cms_merge, "write deny-oom"),
    ("cms.info", cms_info, "readonly fast"),
)
