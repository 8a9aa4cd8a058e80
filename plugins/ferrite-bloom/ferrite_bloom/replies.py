"""Reply shapes RedisBloom uses that need more than one `reply_with_*` call."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ferrite_host.redis_module.api import RedisModuleCtx, Status


def format_double(value: float) -> bytes:
    """`%.17g`, what Redis 7.0 writes for a double reply in RESP2 (inf, -inf and nan spelled)."""
    if math.isnan(value):
        return b"nan"
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    return b"%.17g" % value


def reply_double(ctx: RedisModuleCtx, value: float) -> Status:
    """RedisModule_ReplyWithDouble as Redis 7.0 sends it: a bulk string in RESP2, `,` in RESP3."""
    if ctx.protocol == 3:
        return ctx.reply_with_double(value)
    return ctx.reply_with_string_buffer(format_double(value))


def reply_doubles(ctx: RedisModuleCtx, values: Iterable[float]) -> Status:
    items = list(values)
    ctx.reply_with_array(len(items))
    for value in items:
        reply_double(ctx, value)
    return Status.OK


def reply_info(ctx: RedisModuleCtx, fields: list[tuple[str, int | float | None]]) -> Status:
    """An INFO reply: a map (a flat array in RESP2) of labels to integers, doubles or nulls."""
    ctx.reply_with_map(len(fields))
    for label, value in fields:
        ctx.reply_with_simple_string(label)
        if value is None:
            ctx.reply_with_null()
        elif isinstance(value, float):
            reply_double(ctx, value)
        else:
            ctx.reply_with_long_long(value)
    return Status.OK
