"""HELLO.PUSH.NATIVE and HELLO.LIST.*: helloworld.c's list examples on the key API.

Each answers what the C original answers for the same calls (see the README for the one
case where the original crashes instead).
"""

from __future__ import annotations

from ferrite_host.redis_module.api import (
    ERRORMSG_WRONGTYPE,
    ErrorReply,
    KeyMode,
    KeyType,
    ListWhere,
    RedisModuleCtx,
    RedisModuleKey,
    RedisModuleString,
    Status,
)

_READ_WRITE = KeyMode.READ | KeyMode.WRITE


def hello_push_native(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.PUSH.NATIVE key ele: RPUSH through the key API; answers the key's length.

    As upstream it does not check the type: on a string the push fails and the answer is
    the string's length.
    """
    if len(args) != 2:
        return ctx.wrong_arity()
    key = _open(ctx, args[0])
    key.list_push(ListWhere.TAIL, args[1])
    length = key.value_length()
    ctx.close_key(key)
    return ctx.reply_with_long_long(length)


def hello_list_sum_len(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.LIST.SUM.LEN key: the total byte length of the list's elements (via LRANGE)."""
    if len(args) != 1:
        return ctx.wrong_arity()
    reply = ctx.call("LRANGE", args[0], 0, -1)
    if isinstance(reply, ErrorReply):
        return ctx.reply_with_call_reply(reply)  # upstream crashes here; we pass it on
    return ctx.reply_with_long_long(sum(len(element) for element in reply))


def hello_list_splice(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.LIST.SPLICE src dst count: move up to `count` elements from the tail of `src`
    to the head of `dst`; answers the length left in `src`."""
    if len(args) != 3:
        return ctx.wrong_arity()
    source, target = _open(ctx, args[0]), _open(ctx, args[1])
    if not (_is_list_or_empty(source) and _is_list_or_empty(target)):
        ctx.close_key(source)
        ctx.close_key(target)
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    try:
        count = args[2].to_long_long()
    except ValueError:
        count = -1
    if count < 0:
        ctx.close_key(source)
        ctx.close_key(target)
        return ctx.reply_with_error("ERR invalid count")
    for _ in range(count):
        element = source.list_pop(ListWhere.TAIL)
        if element is None:
            break
        target.list_push(ListWhere.HEAD, element)
    length = source.value_length()
    ctx.close_key(source)
    ctx.close_key(target)
    return ctx.reply_with_long_long(length)


def hello_list_splice_auto(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.LIST.SPLICE.AUTO: HELLO.LIST.SPLICE with automatic memory management upstream;
    in Python both are the same (handles are closed when the callback returns)."""
    return hello_list_splice(ctx, args)


def _open(ctx: RedisModuleCtx, name: RedisModuleString) -> RedisModuleKey:
    key = ctx.open_key(name, _READ_WRITE)
    assert key is not None  # WRITE always gives a handle
    return key


def _is_list_or_empty(key: RedisModuleKey) -> bool:
    return key.key_type() in (KeyType.LIST, KeyType.EMPTY)
