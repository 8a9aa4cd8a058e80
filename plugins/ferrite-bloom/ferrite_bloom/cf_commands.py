"""CF.* commands with RedisBloom's arguments, replies and error strings.

Like RedisBloom, CF.RESERVE finds BUCKETSIZE / MAXITERATIONS / EXPANSION anywhere after the
capacity, CF.ADD and CF.INSERT create a filter of 1000 (or CAPACITY) items when the key is
missing, and CF.EXISTS / CF.COUNT answer 0 rather than an error for a key that holds no filter.
"""

from __future__ import annotations

from typing import Any

from ferrite_bloom import cuckoo
from ferrite_bloom.cuckoo import CuckooFilter, FilterFull, FilterTooLarge
from ferrite_bloom.lookup import Lookup, open_value
from ferrite_bloom.parsing import arg_index, is_word, to_int
from ferrite_bloom.replies import reply_info
from ferrite_host.redis_module.api import RedisModuleCtx, RedisModuleString, Status

ERR_NOT_FOUND = "ERR not found"
ERR_FULL = "Filter is full"
ERR_CREATE = "Couldn't create Cuckoo Filter"

#: The registered "MBbloomCF" type handle; set by on_load.
CUCKOO_TYPE: Any = None


def _open(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> Lookup:
    return open_value(ctx, name, CUCKOO_TYPE, write)


def _option(
    ctx: RedisModuleCtx,
    args: list[RedisModuleString],
    word: bytes,
    default: int,
    valid: Any,
    range_error: str,
) -> int | None:
    """An optional `WORD value` anywhere in args; None after replying with an error."""
    at = arg_index(args, word, 2)
    if at == -1:
        return default
    name = word.decode().upper()
    value = to_int(args[at + 1]) if at + 1 < len(args) else None
    if value is None:
        ctx.reply_with_error(f"Couldn't parse {name}")
        return None
    if not valid(value):
        ctx.reply_with_error(range_error)
        return None
    return value


def cf_reserve(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.RESERVE key capacity [BUCKETSIZE n] [MAXITERATIONS n] [EXPANSION n]."""
    if len(args) < 2 or len(args) % 2 == 1:
        return ctx.wrong_arity()
    capacity = to_int(args[1])
    if capacity is None or capacity <= 0:
        return ctx.reply_with_error("Bad capacity")
    max_iterations = _option(
        ctx,
        args,
        b"maxiterations",
        cuckoo.DEFAULT_MAX_ITERATIONS,
        lambda n: 0 < n <= cuckoo.MAX_ITERATIONS,
        "MAXITERATIONS parameter needs to be a positive integer",
    )
    if max_iterations is None:
        return Status.OK
    bucket_size = _option(
        ctx,
        args,
        b"bucketsize",
        cuckoo.DEFAULT_BUCKET_SIZE,
        lambda n: 0 < n <= cuckoo.MAX_BUCKET_SIZE,
        "BUCKETSIZE parameter needs to be a positive integer",
    )
    if bucket_size is None:
        return Status.OK
    expansion = _option(
        ctx,
        args,
        b"expansion",
        cuckoo.DEFAULT_EXPANSION,
        lambda n: 0 <= n <= cuckoo.MAX_EXPANSION,
        "EXPANSION parameter needs to be a non-negative integer",
    )
    if expansion is None:
        return Status.OK
    if capacity < bucket_size * 2:
        return ctx.reply_with_error("Capacity must be at least (BucketSize * 2)")
    lookup = _open(ctx, args[0], write=True)
    if not lookup.empty:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    if _create(ctx, lookup, capacity, bucket_size, max_iterations, expansion) is None:
        return Status.OK
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def _create(
    ctx: RedisModuleCtx,
    lookup: Lookup,
    capacity: int,
    bucket_size: int = cuckoo.DEFAULT_BUCKET_SIZE,
    max_iterations: int = cuckoo.DEFAULT_MAX_ITERATIONS,
    expansion: int = cuckoo.DEFAULT_EXPANSION,
) -> CuckooFilter | None:
    """Create and store a filter; None after replying with RedisBloom's error."""
    if capacity < bucket_size * 2:
        ctx.reply_with_error("Capacity must be at least (BucketSize * 2)")
        return None
    try:
        filter_ = CuckooFilter.create(capacity, bucket_size, max_iterations, expansion)
    except (FilterTooLarge, MemoryError, OverflowError):
        ctx.reply_with_error(ERR_CREATE)
        return None
    lookup.store(CUCKOO_TYPE, filter_)
    return filter_


def _insert(
    ctx: RedisModuleCtx,
    name: RedisModuleString,
    items: list[RedisModuleString],
    capacity: int,
    autocreate: bool,
    unique: bool,
    multi: bool,
) -> Status:
    lookup = _open(ctx, name, write=True)
    filter_: CuckooFilter | None = lookup.value
    if lookup.empty and autocreate:
        filter_ = _create(ctx, lookup, capacity)
        if filter_ is None:
            return Status.OK
    elif filter_ is None:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    if multi:
        ctx.reply_with_array(len(items))
    for item in items:
        try:
            added = filter_.add(bytes(item), unique=unique)
        except (FilterFull, FilterTooLarge, MemoryError):
            if not multi:
                ctx.replicate_verbatim()
                return ctx.reply_with_error(ERR_FULL)
            ctx.reply_with_long_long(-1)
            continue
        if multi:
            ctx.reply_with_long_long(1 if added else 0)
        else:
            ctx.reply_with_bool(added)
    ctx.replicate_verbatim()
    return Status.OK


def cf_add(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.ADD key item: add (duplicates allowed), creating a default filter."""
    if len(args) != 2:
        return ctx.wrong_arity()
    return _insert(ctx, args[0], args[1:], cuckoo.DEFAULT_CAPACITY, True, False, False)


def cf_addnx(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.ADDNX key item: add unless the item may be present already."""
    if len(args) != 2:
        return ctx.wrong_arity()
    return _insert(ctx, args[0], args[1:], cuckoo.DEFAULT_CAPACITY, True, True, False)


def _insert_command(ctx: RedisModuleCtx, args: list[RedisModuleString], unique: bool) -> Status:
    """CF.INSERT / CF.INSERTNX key [CAPACITY c] [NOCREATE] ITEMS item [item ...]."""
    if len(args) < 3:
        return ctx.wrong_arity()
    capacity = cuckoo.DEFAULT_CAPACITY
    autocreate = True
    items_at = -1
    position = 1
    while position < len(args):
        if is_word(args[position], b"capacity"):
            position += 1
            if position == len(args):
                return ctx.wrong_arity()
            parsed = to_int(args[position])
            if parsed is None or parsed <= 0:
                return ctx.reply_with_error("Bad capacity")
            capacity = parsed
        elif is_word(args[position], b"nocreate"):
            autocreate = False
        elif is_word(args[position], b"items"):
            items_at = position + 1
            break
        else:
            return ctx.reply_with_error("Unknown argument received")
        position += 1
    if items_at < 0 or items_at == len(args):
        return ctx.wrong_arity()
    return _insert(ctx, args[0], args[items_at:], capacity, autocreate, unique, True)


def cf_insert(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.INSERT: one integer per item, 1 added or -1 when the filter is full."""
    return _insert_command(ctx, args, unique=False)


def cf_insertnx(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.INSERTNX: 1 added, 0 may exist already, -1 the filter is full."""
    return _insert_command(ctx, args, unique=True)


def cf_exists(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.EXISTS key item."""
    if len(args) != 2:
        return ctx.wrong_arity()
    filter_ = _open(ctx, args[0], write=False).value
    return ctx.reply_with_bool(filter_ is not None and filter_.contains(bytes(args[1])))


def cf_mexists(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.MEXISTS key item [item ...]."""
    if len(args) < 2:
        return ctx.wrong_arity()
    filter_ = _open(ctx, args[0], write=False).value
    ctx.reply_with_array(len(args) - 1)
    for item in args[1:]:
        ctx.reply_with_bool(filter_ is not None and filter_.contains(bytes(item)))
    return Status.OK


def cf_del(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.DEL key item: remove one occurrence; 0 when it was not found."""
    if len(args) != 2:
        return ctx.wrong_arity()
    lookup = _open(ctx, args[0], write=True)
    if lookup.value is None:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    deleted = lookup.value.delete(bytes(args[1]))
    if deleted:
        ctx.replicate_verbatim()
    return ctx.reply_with_bool(deleted)


def cf_count(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.COUNT key item: how many times the item's fingerprint is stored."""
    if len(args) != 2:
        return ctx.wrong_arity()
    filter_ = _open(ctx, args[0], write=False).value
    return ctx.reply_with_long_long(0 if filter_ is None else filter_.count(bytes(args[1])))


def cf_compact(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.COMPACT key: fold newer sub-filters into older ones where there is room."""
    if len(args) != 1:
        return ctx.wrong_arity()
    lookup = _open(ctx, args[0], write=True)
    if lookup.value is None:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    lookup.value.compact()
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


def _info_fields(filter_: CuckooFilter) -> list[tuple[str, int | float | None]]:
    return [
        ("Size", filter_.memory_bytes),
        ("Number of buckets", filter_.total_buckets),
        ("Number of filters", len(filter_.filters)),
        ("Number of items inserted", filter_.num_items),
        ("Number of items deleted", filter_.num_deletes),
        ("Bucket size", filter_.bucket_size),
        ("Expansion rate", filter_.expansion),
        ("Max iterations", filter_.max_iterations),
    ]


def cf_info(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.INFO key: the filter's sizes and counters (a map in RESP3)."""
    if len(args) != 1:
        return ctx.wrong_arity()
    lookup = _open(ctx, args[0], write=False)
    if lookup.value is None:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    return reply_info(ctx, _info_fields(lookup.value))


def cf_debug(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.DEBUG key: RedisBloom's one-line summary of the filter's parameters."""
    if len(args) != 1:
        return ctx.wrong_arity()
    lookup = _open(ctx, args[0], write=False)
    filter_: CuckooFilter | None = lookup.value
    if filter_ is None:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    line = (
        f"bktsize:{filter_.bucket_size} buckets:{filter_.num_buckets} "
        f"items:{filter_.num_items} deletes:{filter_.num_deletes} "
        f"filters:{len(filter_.filters)} max_iterations:{filter_.max_iterations} "
        f"expansion:{filter_.expansion}"
    )
    return ctx.reply_with_string_buffer(line.encode())


def cf_scandump(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.SCANDUMP key iterator: the next (iterator, data) chunk of the filter's dump."""
    if len(args) != 2:
        return ctx.wrong_arity()
    lookup = _open(ctx, args[0], write=False)
    filter_: CuckooFilter | None = lookup.value
    if filter_ is None:
        return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
    iterator = to_int(args[1])
    if iterator is None or iterator < 0:
        return ctx.reply_with_error("Invalid position")
    if iterator == 0:
        iterator, data = cuckoo.CHUNK_ITER_INIT, cuckoo.encode_header(filter_)
    else:
        iterator, data = cuckoo.next_chunk(filter_, iterator)
    ctx.reply_with_array(2)
    ctx.reply_with_long_long(iterator)
    return ctx.reply_with_string_buffer(data)


def cf_loadchunk(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """CF.LOADCHUNK key iterator data: restore a filter from CF.SCANDUMP's chunks."""
    if len(args) != 3:
        return ctx.wrong_arity()
    iterator = to_int(args[1])
    if iterator is None or iterator < 0:
        return ctx.reply_with_error("Invalid position")
    data = bytes(args[2])
    lookup = _open(ctx, args[0], write=True)
    try:
        if lookup.empty and iterator == cuckoo.CHUNK_ITER_INIT:
            lookup.store(CUCKOO_TYPE, cuckoo.from_header(data))
        elif lookup.value is None:
            return ctx.reply_with_error(lookup.error(ERR_NOT_FOUND))
        else:
            cuckoo.load_chunk(lookup.value, iterator, data)
    except cuckoo.BadDump as exc:
        return ctx.reply_with_error(str(exc))
    ctx.replicate_verbatim()
    return ctx.reply_with_simple_string("OK")


COMMANDS = (
    ("cf.reserve", cf_reserve, "write deny-oom"),
    ("cf.add", cf_add, "write deny-oom"),
    ("cf.addnx", cf_addnx, "write deny-oom"),
    ("cf.insert", cf_insert, "write deny-oom"),
    ("cf.insertnx", cf_insertnx, "write deny-oom"),
    ("cf.exists", cf_exists, "readonly fast"),
    ("cf.mexists", cf_mexists, "readonly fast"),
    ("cf.del", cf_del, "write fast"),
    ("cf.count", cf_count, "readonly fast"),
    ("cf.compact", cf_compact, "write"),
    ("cf.scandump", cf_scandump, "readonly fast"),
    ("cf.loadchunk", cf_loadchunk, "write deny-oom"),
    ("cf.info", cf_info, "readonly fast"),
    ("cf.debug", cf_debug, "readonly fast"),
)
