"""The HELLO.* commands: a port of Redis's `src/modules/helloworld.c`.

Each command keeps the original's flags, key triple, replies and error strings. Callbacks get
the arguments *after* the command name (`args[0]` is Redis's `argv[1]`).
"""

from __future__ import annotations

import random

from ferrite_host.redis_module.api import (
    ERRORMSG_WRONGTYPE,
    NO_EXPIRE,
    KeyMode,
    KeyType,
    ListWhere,
    RedisModuleCtx,
    RedisModuleString,
    Status,
)

#: C's RAND_MAX on glibc: `rand()` answers 0..RAND_MAX.
RAND_MAX = 2**31 - 1
#: What HELLO.PUSH.CALL answers when RPUSH did not reply with an integer (C's LLONG_MIN).
LLONG_MIN = -(2**63)


def hello_simple(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.SIMPLE: the selected database index (arguments are ignored, as upstream)."""
    return ctx.reply_with_long_long(ctx.db)


def hello_push_call(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.PUSH.CALL key ele: RPUSH through ctx.call, answering the new length."""
    if len(args) != 2:
        return ctx.wrong_arity()
    reply = ctx.call("RPUSH", args[0], args[1])
    length = reply if type(reply) is int else LLONG_MIN
    return ctx.reply_with_long_long(length)


def hello_push_call2(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.PUSH.CALL2 key ele: RPUSH through ctx.call, forwarding its reply unchanged."""
    if len(args) != 2:
        return ctx.wrong_arity()
    return ctx.reply_with_call_reply(ctx.call("RPUSH", args[0], args[1]))


def hello_rand_array(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.RAND.ARRAY count: `count` random non-negative integers."""
    if len(args) != 1:
        return ctx.wrong_arity()
    count = _non_negative(args[0])
    if count is None:
        return ctx.reply_with_error("ERR invalid count")
    ctx.reply_with_array(count)
    for _ in range(count):
        ctx.reply_with_long_long(random.randint(0, RAND_MAX))
    return Status.OK


def hello_repl1(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.REPL1: replicate ECHO foo, then INCR foo and INCR bar with the `!` flag.

    What reaches the AOF is what Redis 7.0.15 writes for the C module: MULTI, ECHO foo,
    INCR foo, INCR bar, EXEC (call order; nothing for HELLO.REPL1 itself).
    """
    ctx.replicate("ECHO", "foo")
    ctx.call("INCR", "foo", flags="!")
    ctx.call("INCR", "bar", flags="!")
    return ctx.reply_with_long_long(0)


def hello_repl2(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.REPL2 key: add 1 to every element of a list (non-numbers count as 0), answer
    the sum of the new values, and propagate the command verbatim.

    The elements rotate through the key API (pop at the tail, push at the head), so the
    list keeps its order; anything but a list, a missing key included, is WRONGTYPE.
    """
    if len(args) != 1:
        return ctx.wrong_arity()
    key = ctx.open_key(args[0], KeyMode.READ | KeyMode.WRITE)
    assert key is not None  # WRITE always gives a handle
    if key.key_type() != KeyType.LIST:
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    total = 0
    for _ in range(key.value_length()):
        element = RedisModuleString(key.list_pop(ListWhere.TAIL))
        try:
            value = element.to_long_long() + 1
        except ValueError:
            value = 1
        total += value
        key.list_push(ListWhere.HEAD, ctx.create_string(value))
    ctx.reply_with_long_long(total)
    ctx.replicate_verbatim()
    return Status.OK


def hello_toggle_case(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.TOGGLE.CASE key: swap the ASCII case of a string value in place (via DMA)."""
    if len(args) != 1:
        return ctx.wrong_arity()
    key = ctx.open_key(args[0], KeyMode.READ | KeyMode.WRITE)
    assert key is not None  # WRITE always gives a handle
    keytype = key.key_type()
    if keytype not in (KeyType.STRING, KeyType.EMPTY):
        ctx.close_key(key)
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    if keytype == KeyType.STRING:
        buffer = key.string_dma(KeyMode.WRITE)
        assert buffer is not None  # a string key always has a view
        buffer[:] = bytes(buffer).swapcase()
    ctx.close_key(key)
    ctx.reply_with_simple_string("OK")
    ctx.replicate_verbatim()
    return Status.OK


def hello_more_expire(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.MORE.EXPIRE key ms: extend an existing TTL by `ms`; keys without one are left."""
    if len(args) != 2:
        return ctx.wrong_arity()
    try:
        add_ms = args[1].to_long_long()
    except ValueError:
        return ctx.reply_with_error("ERR invalid expire time")
    key = ctx.open_key(args[0], KeyMode.READ | KeyMode.WRITE)
    assert key is not None  # WRITE always gives a handle
    expire = key.get_expire()
    if expire != NO_EXPIRE:
        key.set_expire(expire + add_ms)
    return ctx.reply_with_simple_string("OK")


def hello_leftpad(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.LEFTPAD str len ch: `str` left-padded with `ch` to `len` bytes."""
    if len(args) != 3:
        return ctx.wrong_arity()
    pad_len = _non_negative(args[1])
    if pad_len is None:
        return ctx.reply_with_error("ERR invalid padding length")
    text = bytes(args[0])
    if len(text) >= pad_len:
        return ctx.reply_with_string(args[0])
    pad = bytes(args[2])
    if len(pad) != 1:
        return ctx.reply_with_error("ERR padding must be a single char")
    return ctx.reply_with_string_buffer(pad * (pad_len - len(text)) + text)


def _non_negative(arg: RedisModuleString) -> int | None:
    try:
        value = arg.to_long_long()
    except ValueError:
        return None
    return value if value >= 0 else None
