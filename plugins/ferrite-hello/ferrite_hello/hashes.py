"""HELLO.HCOPY: helloworld.c's hash example on the key API."""

from __future__ import annotations

from ferrite_host.redis_module.api import (
    ERRORMSG_WRONGTYPE,
    HashFlag,
    KeyMode,
    KeyType,
    RedisModuleCtx,
    RedisModuleString,
    Status,
)


def hello_hcopy(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """HELLO.HCOPY key srcfield dstfield: copy a field's value to another field.

    Answers 1 when `srcfield` exists (and was copied), 0 otherwise; WRONGTYPE unless the key
    is a hash or empty.
    """
    if len(args) != 3:
        return ctx.wrong_arity()
    key = ctx.open_key(args[0], KeyMode.READ | KeyMode.WRITE)
    assert key is not None  # WRITE always gives a handle
    if key.key_type() not in (KeyType.HASH, KeyType.EMPTY):
        return ctx.reply_with_error(ERRORMSG_WRONGTYPE)
    found = key.hash_get(HashFlag.NONE, args[1])
    old = found[0] if found else None
    if old is not None:
        key.hash_set(HashFlag.NONE, args[2], old)
    return ctx.reply_with_long_long(1 if old is not None else 0)
