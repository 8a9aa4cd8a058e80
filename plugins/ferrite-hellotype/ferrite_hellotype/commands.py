"""HELLOTYPE.INSERT / RANGE / LEN / BRANGE, with hellotype.c's replies and error strings."""

from __future__ import annotations

from typing import Any

from ferrite_hellotype.value import HelloTypeValue
from ferrite_host.redis_module.api import (
    ERRORMSG_WRONGTYPE,
    KeyMode,
    KeyType,
    RedisModuleCtx,
    RedisModuleKey,
    RedisModuleString,
    Status,
)

#: The registered type handle; set by on_load (a reload registers it afresh).
HELLOTYPE: Any = None
#: Computed once: combining enum flags on every call costs more than the command's own work.
READ_WRITE = KeyMode.READ | KeyMode.WRITE


def _holds_other_type(key: RedisModuleKey | None) -> bool:
    """True when the key exists and is not a hellotype value (the WRONGTYPE case)."""
    if key is None:
        return False
    keytype = key.key_type()
    if keytype == KeyType.EMPTY:
        return False
    return keytype != KeyType.MODULE or key.module_type_get_type() != HELLOTYPE


def hellotype_insert(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLOTYPE.INSERT key value: add an integer, keeping the list sorted; answers the length."""
    if len(args) != 2:
        return ctx.wrong_arity()
    key = ctx.open_key(args[0], READ_WRITE)
    assert key is not None  # WRITE always gives a handle
    keytype = key.key_type()
    if keytype != KeyType.EMPTY and (
        keytype != KeyType.MODULE or key.module_type_get_type() != HELLOTYPE
    ):
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    try:
        number = args[1].to_long_long()
    except ValueError:
        return ctx.reply_with_error("ERR invalid value: must be a signed 64 bit integer")
    if keytype == KeyType.EMPTY:
        value = HelloTypeValue()
        key.module_type_set_value(HELLOTYPE, value)
    else:
        value = key.module_type_get_value()
    value.insert(number)
    ctx.reply_with_long_long(len(value))
    ctx.replicate_verbatim()
    ctx.signal_key_as_ready(args[0])  # as upstream (any write would wake BRANGE anyway)
    return Status.OK


def hellotype_range(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLOTYPE.RANGE key first count: up to `count` elements starting at index `first`.

    Upstream validates `first` but then always starts at the head; Ferrite honours it.
    """
    if len(args) != 3:
        return ctx.wrong_arity()
    key = ctx.open_key(args[0], KeyMode.READ)
    if _holds_other_type(key):
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    try:
        first = args[1].to_long_long()
        count = args[2].to_long_long()
    except ValueError:
        first = count = -1
    if first < 0 or count < 0:
        return ctx.reply_with_error("ERR invalid first or count parameters")
    items = [] if key is None else key.module_type_get_value().range(first, count)
    ctx.reply_with_array(len(items))
    for number in items:
        ctx.reply_with_long_long(number)
    return Status.OK


def hellotype_len(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLOTYPE.LEN key: the number of elements (0 for a missing key)."""
    if len(args) != 1:
        return ctx.wrong_arity()
    key = ctx.open_key(args[0], KeyMode.READ)
    if _holds_other_type(key):
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    return ctx.reply_with_long_long(0 if key is None else len(key.module_type_get_value()))


def hellotype_brange(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLOTYPE.BRANGE key first count timeout: RANGE, or wait (`timeout` milliseconds,
    0 = forever) until the key holds a hellotype value; "Request timedout" after that."""
    if len(args) != 4:
        return ctx.wrong_arity()
    key = ctx.open_key(args[0], READ_WRITE)
    assert key is not None
    if _holds_other_type(key):
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    try:
        timeout = args[3].to_long_long()
    except ValueError:
        return ctx.reply_with_error("ERR invalid timeout parameter")
    if key.key_type() != KeyType.EMPTY:
        return hellotype_range(ctx, args[:3])
    ctx.block_client_on_keys(_brange_ready, _brange_timeout, None, timeout, [args[0]])
    return Status.OK


def _brange_ready(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """The key became ready: serve the client only if it now holds a hellotype value."""
    name = ctx.get_blocked_client_ready_key()
    key = ctx.open_key(name, KeyMode.READ) if name is not None else None
    if key is None or key.key_type() != KeyType.MODULE or key.module_type_get_type() != HELLOTYPE:
        return Status.ERR
    ctx.close_key(key)
    return hellotype_range(ctx, args[:3])


def _brange_timeout(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    return ctx.reply_with_simple_string("Request timedout")
