"""The helloworld commands over sorted sets: HELLO.ZSUMRANGE and HELLO.LEXRANGE.

Both walk a range with the key API's iterator, as the C originals do, and keep their replies
and error strings (HELLO.LEXRANGE's "invalid range" has no ERR prefix, as upstream).
"""

from __future__ import annotations

from ferrite_host.redis_module.api import (
    ERRORMSG_WRONGTYPE,
    POSTPONED_LEN,
    KeyMode,
    KeyType,
    RedisModuleCtx,
    RedisModuleKey,
    RedisModuleString,
    Status,
)


def _open_zset(ctx: RedisModuleCtx, name: RedisModuleString) -> RedisModuleKey | None:
    key = ctx.open_key(name, KeyMode.READ | KeyMode.WRITE)
    assert key is not None  # WRITE always gives a handle
    if key.key_type() != KeyType.ZSET:
        ctx.close_key(key)
        return None
    return key


def _walk_scores(key: RedisModuleKey, forward: bool) -> float:
    total = 0.0
    while not key.zset_range_end_reached():
        current = key.zset_range_current_element()
        assert current is not None  # not at the end
        total += current[1]
        if forward:
            key.zset_range_next()
        else:
            key.zset_range_prev()
    key.zset_range_stop()
    return total


def hello_zsumrange(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.ZSUMRANGE key start end: the sum of the scores in [start, end], computed walking
    forward and again walking backward (the two results should match)."""
    if len(args) != 3:
        return ctx.wrong_arity()
    try:
        low, high = args[1].to_double(), args[2].to_double()
    except ValueError:
        return ctx.reply_with_error("ERR invalid range")
    key = _open_zset(ctx, args[0])
    if key is None:
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    key.zset_first_in_score_range(low, high)
    forward = _walk_scores(key, forward=True)
    key.zset_last_in_score_range(low, high)
    backward = _walk_scores(key, forward=False)
    ctx.close_key(key)
    ctx.reply_with_array(2)
    ctx.reply_with_double(forward)
    ctx.reply_with_double(backward)
    return Status.OK


def hello_lexrange(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.LEXRANGE key min max min_age max_age: the members in a ZRANGEBYLEX range.

    As in the C original, the age arguments are required but not used for filtering.
    """
    if len(args) != 5:
        return ctx.wrong_arity()
    key = _open_zset(ctx, args[0])
    if key is None:
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    if key.zset_first_in_lex_range(args[1], args[2]) != Status.OK:
        ctx.close_key(key)
        return ctx.reply_with_error("invalid range")
    ctx.reply_with_array(POSTPONED_LEN)
    count = 0
    while not key.zset_range_end_reached():
        current = key.zset_range_current_element()
        assert current is not None  # not at the end
        ctx.reply_with_string(current[0])
        key.zset_range_next()
        count += 1
    key.zset_range_stop()
    ctx.reply_set_array_length(count)
    ctx.close_key(key)
    return Status.OK
