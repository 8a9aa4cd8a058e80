"""BF.* commands with RedisBloom's arguments, replies and error strings.

RedisBloom's quirks are kept on purpose so that clients written against it see the same
thing: some errors have no `ERR` prefix ("Bad error rate", "Nonscaling filters cannot
expand"), BF.RESERVE finds EXPANSION/NONSCALING anywhere in its arguments, and BF.INSERT
recognises options by their first letters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ferrite_bloom import dump
from ferrite_bloom.filter import OPT_FORCE64, FilterFull, FilterTooLarge, ScalableBloomFilter
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

#: Computed once: combining enum flags on every call costs more than a bit test.
_READ_WRITE = KeyMode.READ | KeyMode.WRITE
DEFAULT_ERROR_RATE = 0.01
DEFAULT_CAPACITY = 100
DEFAULT_EXPANSION = 2

ERR_NOT_FOUND = "ERR not found"
ERR_ITEM_EXISTS = "ERR item exists"
ERR_NO_MEMORY = "ERR insufficient memory to create filter"

#: The registered "MBbloom--" type handle; set by on_load.
BLOOM_TYPE: Any = None


@dataclass
class Defaults:
    """Filter parameters used when BF.ADD / BF.INSERT create a filter (module load args)."""

    error_rate: float = DEFAULT_ERROR_RATE
    capacity: int = DEFAULT_CAPACITY


DEFAULTS = Defaults()


class _Lookup:
    """What a key holds, in RedisBloom's terms: missing/empty, a filter, or something else."""

    def __init__(self, key: RedisModuleKey | None) -> None:
        self.key = key
        self.chain: ScalableBloomFilter | None = None
        self.empty = key is None or key.key_type() == KeyType.EMPTY
        self.mismatch = False
        if not self.empty:
            assert key is not None
            if key.key_type() == KeyType.MODULE and key.module_type_get_type() == BLOOM_TYPE:
                self.chain = key.module_type_get_value()
            else:
                self.mismatch = True

    @property
    def error(self) -> str:
        """RedisBloom's statusStrerror for this lookup."""
        if self.mismatch:
            return ERRORMSG_WRONGTYPE
        return ERR_NOT_FOUND if self.empty else ERR_ITEM_EXISTS


def _lookup(ctx: RedisModuleCtx, name: RedisModuleString, write: bool) -> _Lookup:
    mode = _READ_WRITE if write else KeyMode.READ
    return _Lookup(ctx.open_key(name, mode))


def _to_int(arg: RedisModuleString) -> int | None:
    try:
        return arg.to_long_long()
    except ValueError:
        return None


def _to_float(arg: RedisModuleString) -> float | None:
    try:
        value = arg.to_double()
    except ValueError:
        return None
    return None if math.isnan(value) else value


def _arg_index(argv: list[bytes], word: bytes) -> int:
    """RMUtil_ArgIndex: first argument equal to `word` ignoring case, searching all of argv."""
    for index, arg in enumerate(argv):
        if arg.lower() == word:
            return index
    return -1


def _create(
    ctx: RedisModuleCtx,
    lookup: _Lookup,
    error_rate: float,
    capacity: int,
    expansion: int,
    scaling: bool,
) -> ScalableBloomFilter | None:
    """Create and store a filter; on failure reply with RedisBloom's error and return None."""
    try:
        chain = ScalableBloomFilter.create(capacity, error_rate, expansion, scaling)
    except (FilterTooLarge, MemoryError, OverflowError):
        ctx.reply_with_error(ERR_NO_MEMORY)
        return None
    except ValueError:
        ctx.reply_with_error("ERR could not create filter")
        return None
    assert lookup.key is not None
    lookup.key.module_type_set_value(BLOOM_TYPE, chain)
    return chain


def bf_reserve(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.RESERVE key error_rate capacity [EXPANSION expansion] [NONSCALING]."""
    if not 3 <= len(args) <= 6:
        return ctx.wrong_arity()
    error_rate = _to_float(args[1])
    if error_rate is None:
        return ctx.reply_with_error("ERR bad error rate")
    if not 0 < error_rate < 1:
        return ctx.reply_with_error("ERR (0 < error rate range < 1) ")
    capacity = _to_int(args[2])
    if capacity is None:
        return ctx.reply_with_error("ERR bad capacity")
    if capacity <= 0:
        return ctx.reply_with_error("ERR (capacity should be larger than 0)")
    argv = [b"bf.reserve"] + [bytes(arg) for arg in args]
    scaling = _arg_index(argv, b"nonscaling") == -1
    expansion = DEFAULT_EXPANSION
    at = _arg_index(argv, b"expansion")
    if at + 1 == len(argv):
        return ctx.reply_with_error("ERR no expansion")
    if at != -1:
        if not scaling:
            return ctx.reply_with_error("Nonscaling filters cannot expand")
        parsed = _to_int(args[at])
        if parsed is None:
            return ctx.reply_with_error("ERR bad expansion")
        if parsed < 1:
            return ctx.reply_with_error("ERR expansion should be greater or equal to 1")
        expansion = parsed
    lookup = _lookup(ctx, args[0], write=True)
    if not lookup.empty:
        return ctx.reply_with_error(lookup.error)
    if _create(ctx, lookup, error_rate, capacity, expansion, scaling) is None:
        return Status.OK
    ctx.reply_with_simple_string("OK")
    ctx.replicate_verbatim()
    return Status.OK


@dataclass
class _InsertOptions:
    error_rate: float
    capacity: int
    expansion: int = DEFAULT_EXPANSION
    scaling: bool = True
    autocreate: bool = True
    multi: bool = True


def _insert(
    ctx: RedisModuleCtx,
    name: RedisModuleString,
    items: list[RedisModuleString],
    options: _InsertOptions,
) -> Status:
    """Add items, creating the filter when allowed; one reply per item (an array if multi)."""
    lookup = _lookup(ctx, name, write=True)
    chain = lookup.chain
    if lookup.empty and options.autocreate:
        chain = _create(
            ctx, lookup, options.error_rate, options.capacity, options.expansion, options.scaling
        )
        if chain is None:
            return Status.OK
    elif chain is None:
        return ctx.reply_with_error(lookup.error)
    if options.multi:
        ctx.reply_with_array(POSTPONED_LEN)
    replied = 0
    for item in items:
        replied += 1
        try:
            ctx.reply_with_bool(chain.add(bytes(item)))
        except FilterFull:
            ctx.reply_with_error("ERR non scaling filter is full")
            break
        except (FilterTooLarge, MemoryError, OverflowError):
            ctx.reply_with_error("ERR problem inserting into filter")
            break
    if options.multi:
        ctx.reply_set_array_length(replied)
    ctx.replicate_verbatim()
    return Status.OK


def bf_add(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.ADD key item: 1 if newly added, 0 if (probably) present; creates the filter."""
    if len(args) != 2:
        return ctx.wrong_arity()
    options = _InsertOptions(DEFAULTS.error_rate, DEFAULTS.capacity, multi=False)
    return _insert(ctx, args[0], args[1:], options)


def bf_madd(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.MADD key item [item ...]: BF.ADD for several items, answering an array."""
    if len(args) < 2:
        return ctx.wrong_arity()
    options = _InsertOptions(DEFAULTS.error_rate, DEFAULTS.capacity)
    return _insert(ctx, args[0], args[1:], options)


def bf_insert(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.INSERT key [CAPACITY c] [ERROR e] [EXPANSION x] [NOCREATE] [NONSCALING] ITEMS item..."""
    if len(args) < 3:
        return ctx.wrong_arity()
    options = _InsertOptions(DEFAULTS.error_rate, DEFAULTS.capacity)
    items_at = -1
    position = 1
    while position < len(args) and items_at < 0:
        word = bytes(args[position]).lower()
        first = word[:1]
        if first == b"i":
            position += 1
            items_at = position
        elif first in (b"e", b"c"):
            position += 1
            if position == len(args):
                return ctx.wrong_arity()
            value = args[position]
            position += 1
            if first == b"c":
                capacity = _to_int(value)
                if capacity is None:
                    return ctx.reply_with_error("Bad capacity")
                options.capacity = capacity
            elif word[1:2] == b"r":
                error_rate = _to_float(value)
                if error_rate is None:
                    return ctx.reply_with_error("Bad error rate")
                options.error_rate = error_rate
            else:
                expansion = _to_int(value)
                if expansion is None:
                    return ctx.reply_with_error("Bad expansion")
                options.expansion = expansion
        elif first == b"n":
            if word[2:3] == b"c":
                options.autocreate = False
            else:
                options.scaling = False
            position += 1
        else:
            return ctx.reply_with_error("Unknown argument received")
    if items_at < 0 or items_at == len(args):
        return ctx.wrong_arity()
    if not 0 < options.error_rate < 1 or options.capacity < 1 or options.expansion < 1:
        return ctx.reply_with_error("Bad argument received")
    return _insert(ctx, args[0], args[items_at:], options)


def _check(ctx: RedisModuleCtx, name: RedisModuleString, items: list[RedisModuleString]) -> None:
    chain = _lookup(ctx, name, write=False).chain
    for item in items:
        ctx.reply_with_bool(chain is not None and chain.contains(bytes(item)))


def bf_exists(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.EXISTS key item: 1 if the item may be present, 0 if surely not (or no filter)."""
    if len(args) != 2:
        return ctx.wrong_arity()
    _check(ctx, args[0], args[1:])
    return Status.OK


def bf_mexists(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.MEXISTS key item [item ...]: BF.EXISTS for several items, answering an array."""
    if len(args) < 2:
        return ctx.wrong_arity()
    ctx.reply_with_array(len(args) - 1)
    _check(ctx, args[0], args[1:])
    return Status.OK


#: BF.INFO fields: the selector word, the label, and how to read it from a filter.
_INFO_FIELDS: tuple[tuple[bytes, str, Any], ...] = (
    (b"capacity", "Capacity", lambda chain: chain.capacity),
    (b"size", "Size", lambda chain: chain.memory_bytes),
    (b"filters", "Number of filters", lambda chain: len(chain.layers)),
    (b"items", "Number of items inserted", lambda chain: chain.size),
    (b"expansion", "Expansion rate", lambda chain: chain.expansion if chain.scaling else None),
)


def _reply_with_number_or_null(ctx: RedisModuleCtx, value: int | None) -> None:
    if value is None:
        ctx.reply_with_null()
    else:
        ctx.reply_with_long_long(value)


def _is_resp3(ctx: RedisModuleCtx) -> bool:
    return ctx.protocol == 3


def bf_info(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.INFO key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]."""
    if len(args) not in (1, 2):
        return ctx.wrong_arity()
    lookup = _lookup(ctx, args[0], write=False)
    chain = lookup.chain
    if chain is None:
        return ctx.reply_with_error(lookup.error)
    if len(args) == 2:
        wanted = bytes(args[1]).lower()
        for selector, label, read in _INFO_FIELDS:
            if selector == wanted:
                if _is_resp3(ctx):
                    ctx.reply_with_map(1)
                    ctx.reply_with_simple_string(label)
                else:
                    ctx.reply_with_array(1)
                _reply_with_number_or_null(ctx, read(chain))
                return Status.OK
        return ctx.reply_with_error("Invalid information value")
    ctx.reply_with_map(len(_INFO_FIELDS))
    for _, label, read in _INFO_FIELDS:
        ctx.reply_with_simple_string(label)
        _reply_with_number_or_null(ctx, read(chain))
    return Status.OK


def bf_card(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.CARD key: items added to the filter (0 when the key does not exist)."""
    if len(args) != 1:
        return ctx.wrong_arity()
    lookup = _lookup(ctx, args[0], write=False)
    if lookup.mismatch:
        return ctx.reply_with_error(lookup.error)
    return ctx.reply_with_long_long(0 if lookup.chain is None else lookup.chain.size)


def bf_scandump(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.SCANDUMP key iterator: the next (iterator, data) chunk of a filter's dump."""
    if len(args) != 2:
        return ctx.wrong_arity()
    lookup = _lookup(ctx, args[0], write=False)
    chain = lookup.chain
    if chain is None:
        return ctx.reply_with_error(lookup.error)
    iterator = _to_int(args[1])
    if iterator is None:
        return ctx.reply_with_error("Second argument must be numeric")
    if iterator == 0:
        iterator, data = dump.CHUNK_ITER_INIT, dump.encode_header(chain)
    else:
        iterator, data = dump.next_chunk(chain, iterator)
    ctx.reply_with_array(2)
    ctx.reply_with_long_long(iterator)
    return ctx.reply_with_string_buffer(data)


def bf_loadchunk(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.LOADCHUNK key iterator data: restore a filter from BF.SCANDUMP's chunks."""
    if len(args) != 3:
        return ctx.wrong_arity()
    iterator = _to_int(args[1])
    if iterator is None:
        return ctx.reply_with_error("ERR Second argument must be numeric")
    data = bytes(args[2])
    lookup = _lookup(ctx, args[0], write=True)
    try:
        if lookup.empty and iterator == dump.CHUNK_ITER_INIT:
            assert lookup.key is not None
            lookup.key.module_type_set_value(BLOOM_TYPE, dump.chain_from_header(data))
        elif lookup.chain is None:
            return ctx.reply_with_error(lookup.error)
        else:
            dump.load_chunk(lookup.chain, iterator, data)
    except dump.BadDump as exc:
        return ctx.reply_with_error(str(exc))
    ctx.reply_with_simple_string("OK")
    ctx.replicate_verbatim()
    return Status.OK


def bf_debug(ctx: RedisModuleCtx, args: list[RedisModuleString]) -> Status:
    """BF.DEBUG key: the chain's item count, then one line per filter (RedisBloom's format)."""
    if len(args) != 1:
        return ctx.wrong_arity()
    lookup = _lookup(ctx, args[0], write=False)
    chain = lookup.chain
    if chain is None:
        return ctx.reply_with_error(lookup.error)
    hash_width = 64 if chain.options & OPT_FORCE64 else 32
    ctx.reply_with_array(1 + len(chain.layers))
    ctx.reply_with_string_buffer(b"size:%d" % chain.size)
    for layer in chain.layers:
        line = (
            f"bytes:{layer.nbytes} bits:{layer.bits} hashes:{layer.hashes} "
            f"hashwidth:{hash_width} capacity:{layer.entries} size:{layer.size} "
            f"ratio:{layer.error:g}"
        )
        ctx.reply_with_string_buffer(line.encode())
    return Status.OK


COMMANDS = (
    ("bf.reserve", bf_reserve, "write deny-oom"),
    ("bf.add", bf_add, "write deny-oom"),
    ("bf.madd", bf_madd, "write deny-oom"),
    ("bf.insert", bf_insert, "write deny-oom"),
    ("bf.exists", bf_exists, "readonly fast"),
    ("bf.mexists", bf_mexists, "readonly fast"),
    ("bf.info", bf_info, "readonly fast"),
    ("bf.card", bf_card, "readonly fast"),
    ("bf.scandump", bf_scandump, "readonly fast"),
    ("bf.loadchunk", bf_loadchunk, "write deny-oom"),
    ("bf.debug", bf_debug, "readonly fast"),
)
