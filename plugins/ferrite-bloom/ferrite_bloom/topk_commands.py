"""TOPK.* commands with RedisBloom's arguments, replies and error strings ("TopK: ...")."""

from __future__ import annotations

from typing import Any

from ferrite_bloom import topk
from ferrite_bloom.lookup import Lookup, open_value
from ferrite_bloom.parsing import is_word, to_float, to_int
from ferrite_bloom.replies import reply_info
from ferrite_bloom.topk import TopK
from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString, Status

ERR_NOT_FOUND = "TopK: key does not exist"
ERR_INCREMENT = (
    "TopK: increment must be an integer greater or equal to 0 and smaller or equal to 100,000"
)

#: The registered "TopK-TYPE" type handle; set by on_load.
TOPK_TYPE: Any = None


def _open(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> Lookup:
    return open_value(ctx, name, TOPK_TYPE, write)


def _existing(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> TopK | None:
    lookup = _open(ctx, name, write)
    if lookup.value is None:
        ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    return lookup.value  # type: ignore[no-any-return]


def topk_reserve(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TOPK.RESERVE key topk [width depth decay]."""
    if len(args) not in (2, 5):
        return ctx.wrong_arity()
    lookup = _open(ctx, args[0], write=True)
    if not lookup.empty:
        return ctx.reply_with_error("TopK: key already exists")
    k = to_int(args[1])
    if k is None or not 0 < k <= 0xFFFFFFFF:
        return ctx.reply_with_error("TopK: invalid k")
    width, depth, decay = topk.DEFAULT_WIDTH, topk.DEFAULT_DEPTH, topk.DEFAULT_DECAY
    if len(args) == 5:
        parsed_width = to_int(args[2])
        if parsed_width is None or not 0 < parsed_width <= 0xFFFFFFFF:
            return ctx.reply_with_error("TopK: invalid width")
        parsed_depth = to_int(args[3])
        if parsed_depth is None or not 0 < parsed_depth <= 0xFFFFFFFF:
            return ctx.reply_with_error("TopK: invalid depth")
        parsed_decay = to_float(args[4])
        if parsed_decay is None or not 0 < parsed_decay <= 1:
            return ctx.reply_with_error("TopK: invalid decay value. must be '<= 1' & '> 0'")
        width, depth, decay = parsed_width, parsed_depth, parsed_decay
    try:
        lookup.store(TOPK_TYPE, TopK.create(k, width, depth, decay))
    except MemoryError:
        return ctx.reply_with_error("TopK: Cannot allocate memory")
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def _reply_expelled(ctx: RedisModuleCtx, expelled: list[bytes | None]) -> Status:
    ctx.reply_with_array(len(expelled))
    for item in expelled:
        if item is None:
            ctx.reply_with_null()
        else:
            ctx.reply_with_string_buffer(item)
    return Status.OK


def topk_add(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TOPK.ADD key item [item ...]: per item, the item it pushed out of the list (or null)."""
    if len(args) < 2:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=True)
    if sketch is None:
        return Status.OK
    expelled = [sketch.add(bytes(item)) for item in args[1:]]
    ctx.replicate_verbatim()
    return _reply_expelled(ctx, expelled)


def topk_incrby(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TOPK.INCRBY key item increment [item increment ...]."""
    if len(args) < 3 or len(args) % 2 == 0:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=True)
    if sketch is None:
        return Status.OK
    pairs = []
    for position in range(1, len(args), 2):
        increment = to_int(args[position + 1])
        if increment is None or not 0 <= increment <= topk.MAX_INCREMENT:
            return ctx.reply_with_error(ERR_INCREMENT)
        pairs.append((bytes(args[position]), increment))
    expelled = [sketch.add(item, increment) for item, increment in pairs]
    ctx.replicate_verbatim()
    return _reply_expelled(ctx, expelled)


def topk_query(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TOPK.QUERY key item [item ...]: 1 for items in the top k, else 0."""
    if len(args) < 2:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=False)
    if sketch is None:
        return Status.OK
    ctx.reply_with_array(len(args) - 1)
    for item in args[1:]:
        ctx.reply_with_long_long(int(sketch.query(bytes(item))))
    return Status.OK


def topk_count(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TOPK.COUNT key item [item ...]: each item's estimated count (deprecated upstream)."""
    if len(args) < 2:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=False)
    if sketch is None:
        return Status.OK
    ctx.reply_with_array(len(args) - 1)
    for item in args[1:]:
        ctx.reply_with_long_long(sketch.count(bytes(item)))
    return Status.OK


def topk_list(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TOPK.LIST key [WITHCOUNT]: the top items, largest first (with their counts)."""
    if len(args) not in (1, 2):
        return ctx.wrong_arity()
    with_count = len(args) == 2
    if with_count and not is_word(args[1], b"withcount"):
        return ctx.reply_with_error("WITHCOUNT keyword expected")
    sketch = _existing(ctx, args[0], write=False)
    if sketch is None:
        return Status.OK
    ranked = sketch.ranked()
    ctx.reply_with_array(len(ranked) * (2 if with_count else 1))
    for entry in ranked:
        assert entry.item is not None  # ranked() leaves empty heap slots out
        ctx.reply_with_string_buffer(entry.item)
        if with_count:
            ctx.reply_with_long_long(entry.count)
    return Status.OK


def topk_info(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """TOPK.INFO key: k, width, depth and decay."""
    if len(args) != 1:
        return ctx.wrong_arity()
    sketch = _existing(ctx, args[0], write=False)
    if sketch is None:
        return Status.OK
    return reply_info(
        ctx,
        [
            ("k", sketch.k),
            ("width", sketch.width),
            ("depth", sketch.depth),
            ("decay", float(sketch.decay)),
        ],
    )


COMMANDS = (
    ("topk.reserve", topk_reserve, "write deny-oom"),
    ("topk.add", topk_add, "write deny-oom"),
    ("topk.incrby", topk_incrby, "write deny-oom"),
    ("topk.query", topk_query, "readonly"),
    ("topk.count", topk_count, "readonly"),
    ("topk.list", topk_list, "readonly"),
    ("topk.info", topk_info, "readonly"),
)
