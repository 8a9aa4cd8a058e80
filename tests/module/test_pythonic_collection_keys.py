"""The Pythonic Key's list, hash, sorted-set and string calls, checked against the built-in
commands: each step runs once through a module command on one key and once as the Redis
command on another, and the replies and the resulting values (and encodings) must agree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ferrite_host.module import Args, Context, Module, ReplyError, WrongType
from ferrite_host.testing import Harness

colls = Module("colls")


def _writable(ctx: Context, args: Args):  # type: ignore[no-untyped-def]
    return ctx.open_key_writable(args.next_key())


@colls.command("colls.rpush", flags="write", keys=(1, 1, 1), arity=-3)
def rpush(ctx: Context, args: Args) -> int:
    return _writable(ctx, args).list_push_tail(*args.remaining())


@colls.command("colls.lpush", flags="write", keys=(1, 1, 1), arity=-3)
def lpush(ctx: Context, args: Args) -> int:
    return _writable(ctx, args).list_push_head(*args.remaining())


@colls.command("colls.lpop", flags="write", keys=(1, 1, 1), arity=2)
def lpop(ctx: Context, args: Args) -> bytes | None:
    return _writable(ctx, args).list_pop_head()


@colls.command("colls.rpop", flags="write", keys=(1, 1, 1), arity=2)
def rpop(ctx: Context, args: Args) -> bytes | None:
    return _writable(ctx, args).list_pop_tail()


@colls.command("colls.lindex", flags="readonly", keys=(1, 1, 1), arity=3)
def lindex(ctx: Context, args: Args) -> bytes | None:
    key = ctx.open_key(args.next_key())
    return None if key is None else key.list_get(args.next_int())


@colls.command("colls.lrange", flags="readonly", keys=(1, 1, 1), arity=4)
def lrange(ctx: Context, args: Args) -> list[bytes]:
    key = ctx.open_key(args.next_key())
    start, stop = args.next_int(), args.next_int()
    return [] if key is None else key.list_range(start, stop)


@colls.command("colls.lset", flags="write", keys=(1, 1, 1), arity=4)
def lset(ctx: Context, args: Args) -> object:
    key = _writable(ctx, args)
    key.list_set(args.next_int(), args.next_bytes())
    return b"OK"


@colls.command("colls.ldel", flags="write", keys=(1, 1, 1), arity=3)
def ldel(ctx: Context, args: Args) -> int:
    key = _writable(ctx, args)
    key.list_delete(args.next_int())
    return key.list_len()


@colls.command("colls.hset", flags="write", keys=(1, 1, 1), arity=-4)
def hset(ctx: Context, args: Args) -> int:
    key = _writable(ctx, args)
    rest = args.remaining()
    return key.hash_set_multi(dict(zip(rest[::2], rest[1::2], strict=True)))


@colls.command("colls.hget", flags="readonly", keys=(1, 1, 1), arity=3)
def hget(ctx: Context, args: Args) -> bytes | None:
    return _writable(ctx, args).hash_get(args.next_bytes())


@colls.command("colls.hmget", flags="readonly", keys=(1, 1, 1), arity=-3)
def hmget(ctx: Context, args: Args) -> list[bytes | None]:
    return _writable(ctx, args).hash_get_multi(*args.remaining())


@colls.command("colls.hdel", flags="write", keys=(1, 1, 1), arity=-3)
def hdel(ctx: Context, args: Args) -> int:
    return _writable(ctx, args).hash_del(*args.remaining())


@colls.command("colls.hexists", flags="readonly", keys=(1, 1, 1), arity=3)
def hexists(ctx: Context, args: Args) -> bool:
    return _writable(ctx, args).hash_exists(args.next_bytes())


@colls.command("colls.hgetall", flags="readonly", keys=(1, 1, 1), arity=2)
def hgetall(ctx: Context, args: Args) -> dict[bytes, bytes]:
    return _writable(ctx, args).hash_items()


@colls.command("colls.zadd", flags="write", keys=(1, 1, 1), arity=-4)
def zadd(ctx: Context, args: Args) -> int:
    key = _writable(ctx, args)
    rest = args.remaining()
    options = {word.decode().lower(): True for word in rest[:-2]}
    score, member = rest[-2:]
    return int(key.zset_add(member, float(score), **options))


@colls.command("colls.zincrby", flags="write", keys=(1, 1, 1), arity=4)
def zincrby(ctx: Context, args: Args) -> float:
    key = _writable(ctx, args)
    increment = args.next_float()
    return key.zset_incr(args.next_bytes(), increment)


@colls.command("colls.zrem", flags="write", keys=(1, 1, 1), arity=3)
def zrem(ctx: Context, args: Args) -> int:
    return int(_writable(ctx, args).zset_rem(args.next_bytes()))


@colls.command("colls.zscore", flags="readonly", keys=(1, 1, 1), arity=3)
def zscore(ctx: Context, args: Args) -> float | None:
    return _writable(ctx, args).zset_score(args.next_bytes())


@colls.command("colls.zrange", flags="readonly", keys=(1, 1, 1), arity=-4)
def zrange(ctx: Context, args: Args) -> list[tuple[bytes, float]]:
    key = _writable(ctx, args)
    start, stop = args.next_int(), args.next_int()
    return key.zset_range(start, stop, reverse=bool(args.remaining()))


@colls.command("colls.zrangebyscore", flags="readonly", keys=(1, 1, 1), arity=4)
def zrangebyscore(ctx: Context, args: Args) -> list[tuple[bytes, float]]:
    key = _writable(ctx, args)
    return key.zset_range_by_score(args.next_float(), args.next_float())


@colls.command("colls.append", flags="write", keys=(1, 1, 1), arity=3)
def append(ctx: Context, args: Args) -> int:
    return _writable(ctx, args).append(args.next_bytes())


@colls.command("colls.strlen", flags="readonly", keys=(1, 1, 1), arity=2)
def strlen(ctx: Context, args: Args) -> int:
    return _writable(ctx, args).length()


@pytest.fixture
def h() -> Iterator[Harness]:
    with Harness(colls, protocol=3) as harness:
        yield harness


def _both(h: Harness, command: str, *args: str) -> tuple[object, object]:
    """The module's reply on key `m`, the built-in's on key `b` (errors as their text)."""
    replies = []
    for name, key in ((f"colls.{command}", "m"), (command, "b")):
        try:
            replies.append(h.call(name, key, *args))
        except ReplyError as error:
            replies.append(f"error: {error}")
    return replies[0], replies[1]


LIST_STEPS = [
    ("rpush", "a", "b", "c"),
    ("lpush", "x", "y"),
    ("lrange", "0", "-1"),
    ("lrange", "-2", "10"),
    ("lindex", "-1"),
    ("lindex", "99"),
    ("lset", "1", "z"),
    ("lset", "99", "z"),
    ("lpop",),
    ("rpop",),
    ("lrange", "0", "-1"),
]


@pytest.mark.parametrize("upto", range(1, len(LIST_STEPS) + 1))
def test_list_calls_answer_as_the_list_commands(h: Harness, upto: int) -> None:
    for step in LIST_STEPS[:upto]:
        mine, redis = _both(h, *step)
        assert mine == redis, step
    assert h.call("LRANGE", "m", 0, -1) == h.call("LRANGE", "b", 0, -1)
    assert h.call("OBJECT", "ENCODING", "m") == h.call("OBJECT", "ENCODING", "b")


def test_list_delete_and_errors(h: Harness) -> None:
    h.call("colls.rpush", "m", "only")
    assert h.call("colls.ldel", "m", 0) == 0
    assert h.call("EXISTS", "m") == 0  # an emptied list is deleted
    with pytest.raises(ReplyError, match="no such key"):
        h.call("colls.lset", "m", 0, "v")
    h.call("SET", "s", "text")
    with pytest.raises(ReplyError, match="WRONGTYPE"):
        h.call("colls.rpush", "s", "v")


HASH_STEPS = [
    ("hset", "f1", "v1", "f2", "v2"),
    ("hset", "f1", "new", "f3", "v3"),
    ("hget", "f1"),
    ("hget", "nope"),
    ("hmget", "f1", "nope", "f3"),
    ("hexists", "f2"),
    ("hexists", "nope"),
    ("hdel", "f2", "nope", "f2"),
    ("hgetall",),
]


def test_hash_calls_answer_as_the_hash_commands(h: Harness) -> None:
    for step in HASH_STEPS:
        mine, redis = _both(h, *step)
        assert mine == redis, step
    assert h.call("OBJECT", "ENCODING", "m") == h.call("OBJECT", "ENCODING", "b")
    assert _both(h, "hdel", "f1", "f3") == (2, 2)
    assert h.call("EXISTS", "m", "b") == 0


ZSET_STEPS = [
    ("zadd", "1", "a"),
    ("zadd", "2", "b"),
    ("zadd", "NX", "5", "a"),
    ("zadd", "XX", "3", "a"),
    ("zadd", "GT", "1", "b"),
    ("zadd", "LT", "1", "b"),
    ("zscore", "a"),
    ("zscore", "nope"),
    ("zrem", "nope"),
    ("zrem", "b"),
    ("zadd", "NX", "XX", "1", "c"),
]


def test_zset_calls_answer_as_the_zset_commands(h: Harness) -> None:
    for step in ZSET_STEPS:
        mine, redis = _both(h, *step)
        if isinstance(redis, str):  # Redis's option error (a syntax error for NX+XX)
            assert isinstance(mine, str), step
            continue
        assert mine == redis, step
    for member, score in (("d", "0.5"), ("e", "7"), ("f", "7")):
        _both(h, "zadd", score, member)
    assert h.call("colls.zincrby", "m", 2.5, "d") == h.call("ZINCRBY", "b", 2.5, "d")
    pairs = h.call("ZRANGE", "b", 0, -1, "WITHSCORES")
    assert h.call("colls.zrange", "m", 0, -1) == pairs
    assert h.call("colls.zrange", "m", 1, 2, "REV") == h.call(
        "ZRANGE", "b", 1, 2, "REV", "WITHSCORES"
    )
    assert h.call("colls.zrangebyscore", "m", 3, 7) == h.call(
        "ZRANGEBYSCORE", "b", 3, 7, "WITHSCORES"
    )


def test_string_calls_answer_as_append_and_strlen(h: Harness) -> None:
    assert _both(h, "append", "hello") == (5, 5)
    assert _both(h, "append", " world") == (11, 11)
    assert _both(h, "strlen") == (11, 11)
    assert h.call("GET", "m") == h.call("GET", "b")


def test_reading_a_key_of_another_type_raises_wrongtype(h: Harness) -> None:
    h.call("RPUSH", "list", "x")
    with pytest.raises(ReplyError, match=f"^{WrongType().args[0]}$"):
        h.call("colls.hget", "list", "f")
    with pytest.raises(ReplyError, match="WRONGTYPE"):
        h.call("colls.zscore", "list", "m")
