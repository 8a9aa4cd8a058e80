"""Stream commands: XADD, XRANGE, XREAD(GROUP), consumer groups, XCLAIM, XINFO and the rest.

Streams are `StreamValue`s (keyspace/streams.py). Replies, errors and keyspace events
follow Redis 7.0.15's t_stream.c: XADD "xadd" (then "xtrim" when it trimmed), XTRIM "xtrim",
XDEL "xdel", XSETID "xsetid", the XGROUP subcommands "xgroup-<subcommand>", a consumer
created by a read or claim "xgroup-createconsumer". What Redis changes without a
notification (acknowledgements, deliveries, claims) is announced as a SILENT change, so the
dirty counter and propagation see it. A blocked XREAD/XREADGROUP waits in `Blocking`.
Propagation is Redis's: XADD with the ID it generated, `~` trims as exact ones, and
XREADGROUP / XCLAIM / XAUTOCLAIM as XCLAIM ... JUSTID FORCE and XGROUP SETID.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from ferrite_host.blocking import NOT_READY, Blocking
from ferrite_host.commands.arguments import arg, block, integer, key_arg, oneof, token
from ferrite_host.commands.help import help_reply, subcommand_syntax_error
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import Database
from ferrite_host.keyspace.events import SILENT, STREAM
from ferrite_host.keyspace.streams import (
    INVALID_ENTRIES_READ,
    MAX_ID,
    U64,
    ZERO_ID,
    Consumer,
    ConsumerGroup,
    PendingEntry,
    StreamId,
    StreamValue,
    format_id,
    next_id,
    previous_id,
)
from ferrite_host.protocol.replies import NULL_ARRAY, OK, Error
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("stream")
command = family.command

INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
_NO_KEY = "ERR no such key"
#: How many entries a blocked XREAD without COUNT gets (Redis's XREAD_BLOCKED_DEFAULT_COUNT).
_BLOCKED_DEFAULT_COUNT = 1000
_U64_TEXT = re.compile(rb"\s*[+-]?\d+")


def now_ms() -> int:
    return int(time.time() * 1000)


# -- IDs -------------------------------------------------------------------------------------


def _parse_u64(text: bytes) -> int | None:
    """Redis's string2ull: a strict long long, else what strtoull accepts in range."""
    value = parse_int(text)
    if value is not None:
        return value if value >= 0 else None
    if not text or _U64_TEXT.fullmatch(text) is None:
        return None
    number = int(text)
    if number < 0:  # strtoull negates what it read
        number = -number
        if number > U64:
            return None
        return (2**64 - number) & U64
    return number if number <= U64 else None


def parse_id(
    raw: bytes, missing_seq: int = 0, strict: bool = False, star_seq: bool = False
) -> tuple[StreamId, bool]:
    """An ID as Redis's streamGenericParseIDOrReply reads it; (id, sequence given).

    `strict` refuses `-` and `+`; `star_seq` accepts `<ms>-*` (XADD)."""
    if len(raw) > 127:
        raise CommandError(INVALID_ID)
    if raw == b"-" or raw == b"+":
        if strict:
            raise CommandError(INVALID_ID)
        return (ZERO_ID if raw == b"-" else MAX_ID), True
    ms_text, dash, seq_text = raw.partition(b"-")
    ms = _parse_u64(ms_text)
    if ms is None:
        raise CommandError(INVALID_ID)
    if not dash:
        return (ms, missing_seq), True
    if star_seq and seq_text == b"*":
        return (ms, 0), False
    seq = _parse_u64(seq_text)
    if seq is None:
        raise CommandError(INVALID_ID)
    return (ms, seq), True


def strict_id(raw: bytes) -> StreamId:
    return parse_id(raw, strict=True)[0]


def _interval_id(raw: bytes, missing_seq: int) -> tuple[StreamId, bool]:
    """A range end: `(` makes it exclusive (and then `-`/`+` are invalid)."""
    if len(raw) > 1 and raw[:1] == b"(":
        return parse_id(raw[1:], missing_seq, strict=True)[0], True
    return parse_id(raw, missing_seq)[0], False


def range_start(raw: bytes) -> StreamId:
    start, exclusive = _interval_id(raw, 0)
    if exclusive:
        bumped = next_id(start)
        if bumped is None:
            raise CommandError("ERR invalid start ID for the interval")
        return bumped
    return start


def range_end(raw: bytes) -> StreamId:
    end, exclusive = _interval_id(raw, U64)
    if exclusive:
        lowered = previous_id(end)
        if lowered is None:
            raise CommandError("ERR invalid end ID for the interval")
        return lowered
    return end


def _integer(raw: bytes, message: str = errors.NOT_INTEGER) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(message)
    return value


# -- lookups and replies ---------------------------------------------------------------------


def get_stream(db: Database, key: bytes, counted: bool = True) -> StreamValue | None:
    value = db.read(key) if counted else db.get(key)
    if value is None or type(value) is StreamValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def _entry_reply(sid: StreamId, pairs: list[bytes]) -> list[Any]:
    return [format_id(sid), list(pairs)]


def _no_group(key: bytes, group: bytes, suffix: str = "") -> CommandError:
    return CommandError(
        f"NOGROUP No such key '{_text(key)}' or consumer group '{_text(group)}'{suffix}"
    )


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


class _MapKey(bytes):
    """A map key compared by identity, so that XREAD naming one stream twice answers a map
    with the key twice, as Redis does."""

    __slots__ = ()

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _keyed_replies(session: Session, pairs: list[tuple[bytes, Any]]) -> Any:
    """XREAD's reply: an array of [key, entries] in RESP2, a map in RESP3."""
    if session.protocol >= 3:
        return {_MapKey(key): entries for key, entries in pairs}
    return [[key, entries] for key, entries in pairs]


def _create_consumer(
    db: Database, key: bytes, group: ConsumerGroup, name: bytes
) -> tuple[Consumer, bool]:
    """The named consumer, created (and announced) when missing; seen now either way."""
    consumer = group.consumer(name)
    now = now_ms()
    if consumer is None:
        consumer = group.add_consumer(name, now)
        db.changed(key, "xgroup-createconsumer", STREAM)
        return consumer, True
    consumer.seen_time = now
    return consumer, False


def _xclaim_propagation(
    key: bytes, group_name: bytes, group: ConsumerGroup, sid: StreamId, entry: PendingEntry
) -> list[bytes]:
    return [
        b"XCLAIM",
        key,
        group_name,
        entry.consumer.name,
        b"0",
        format_id(sid),
        b"TIME",
        b"%d" % entry.delivery_time,
        b"RETRYCOUNT",
        b"%d" % entry.delivery_count,
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        format_id(group.last_id),
    ]


def _setid_propagation(key: bytes, group_name: bytes, group: ConsumerGroup) -> list[bytes]:
    return [
        b"XGROUP",
        b"SETID",
        key,
        group_name,
        format_id(group.last_id),
        b"ENTRIESREAD",
        b"%d" % group.entries_read,
    ]


# -- XADD / XTRIM ----------------------------------------------------------------------------


class TrimArgs:
    __slots__ = ("approx", "arg_index", "id", "id_given", "limit", "maxlen", "minid", "nomk")

    def __init__(self) -> None:
        self.maxlen: int | None = None
        self.minid: StreamId | None = None
        self.approx = False
        self.limit = 0
        self.arg_index = 0
        self.nomk = False
        self.id: StreamId | None = None
        self.id_given = True  # the sequence was given (not `*` / `<ms>-*`)

    @property
    def trimming(self) -> bool:
        return self.maxlen is not None or self.minid is not None


_BOTH = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"


def _parse_trim(session: Session, argv: list[bytes], xadd: bool) -> tuple[TrimArgs, int]:
    """Redis's streamParseAddOrTrimArgsOrReply; returns the options and the ID's index."""
    args = TrimArgs()
    limit_given = False
    i = 2
    argc = len(argv)
    while i < argc:
        more = argc - 1 - i
        opt = argv[i]
        low = opt.lower()
        if xadd and opt == b"*":
            break
        if low in (b"maxlen", b"minid") and more:
            if args.trimming:
                raise CommandError(_BOTH)
            args.approx = False
            following = argv[i + 1]
            if more >= 2 and following == b"~":
                args.approx = True
                i += 1
            elif more >= 2 and following == b"=":
                i += 1
            if low == b"maxlen":
                maxlen = _integer(argv[i + 1])
                if maxlen < 0:
                    raise CommandError("ERR The MAXLEN argument must be >= 0.")
                args.maxlen = maxlen
            else:
                args.minid = strict_id(argv[i + 1])
            i += 1
            args.arg_index = i
        elif low == b"limit" and more:
            limit = _integer(argv[i + 1])
            if limit < 0:
                raise CommandError("ERR The LIMIT argument must be >= 0.")
            args.limit = limit
            limit_given = True
            i += 1
        elif xadd and low == b"nomkstream":
            args.nomk = True
        elif xadd:
            sid, seq_given = parse_id(opt, strict=True, star_seq=True)
            args.id, args.id_given = sid, seq_given
            break
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if args.limit and not args.trimming:
        raise CommandError(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
        )
    if not xadd and not args.trimming:
        raise CommandError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if session.kind == "aof":
        args.limit = 0
    elif limit_given:
        if not args.approx:
            raise CommandError(
                "ERR syntax error, LIMIT cannot be used without the special ~ option"
            )
    elif args.approx:
        limit = 100 * session.db.limits.stream_node_max_entries
        args.limit = 10000 if limit <= 0 or limit > 10000 else limit
    return args, i


def _trim(stream: StreamValue, args: TrimArgs) -> int:
    return stream.trim(args.maxlen, args.minid, args.approx, args.limit)


def _exact_trim_argv(argv: list[bytes], stream: StreamValue, args: TrimArgs) -> list[bytes]:
    """A `~` trim as Redis propagates it: `=` and the threshold it actually reached."""
    out = list(argv)
    out[args.arg_index - 1] = b"="
    if args.maxlen is not None:
        out[args.arg_index] = b"%d" % len(stream)
    else:
        out[args.arg_index] = format_id(stream.first_id)
    return out


_TRIM_ARGUMENTS = block(
    "trim",
    oneof("strategy", token("maxlen", "MAXLEN"), token("minid", "MINID", since="6.2.0")),
    oneof("operator", token("equal", "="), token("approximately", "~"), optional=True),
    arg("threshold"),
    integer("count", token="LIMIT", since="6.2.0", optional=True),
)


@command(
    "xadd",
    -5,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Appends a new message to a stream. Creates the key if it doesn't exist.",
    complexity="O(1) when adding a new entry, O(N) when trimming where N being the number of "
    "entries evicted.",
    key_specs=[
        {
            **key_spec("RW UPDATE"),
            "notes": "UPDATE instead of INSERT because of the optional trimming feature",
        }
    ],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        token("nomkstream", "NOMKSTREAM", since="6.2.0", optional=True),
        {**_TRIM_ARGUMENTS, "flags": ["optional"]},
        oneof("id-selector", token("auto-id", "*"), arg("id")),
        block("data", arg("field"), arg("value"), multiple=True),
    ],
)
def xadd(session: Session, argv: list[bytes]) -> Any:
    args, id_index = _parse_trim(session, argv, xadd=True)
    fields = argv[id_index + 1 :]
    if len(fields) < 2 or len(fields) % 2:
        raise CommandError(errors.wrong_arity("xadd"))
    if args.id is not None and args.id_given and args.id == ZERO_ID:
        raise CommandError("ERR The ID specified in XADD must be greater than 0-0")
    db, key = session.db, argv[1]
    stream = get_stream(db, key, counted=False)
    created = stream is None
    if stream is None:
        if args.nomk:
            return None
        stream = StreamValue()
    if stream.last_id == MAX_ID:
        raise CommandError(
            "ERR The stream has exhausted the last possible ID, unable to add more items"
        )
    sid = _new_id(stream, args)
    if sid is None or sid <= stream.last_id:
        raise CommandError(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item"
        )
    stream.append(sid, list(fields), db.limits)
    if created:
        db.set(key, stream, event="xadd", cls=STREAM)
    else:
        db.changed(key, "xadd", STREAM)
    ran = list(argv)
    if args.trimming:
        if _trim(stream, args):
            db.changed(key, "xtrim", STREAM)
        if args.approx:
            ran = _exact_trim_argv(ran, stream, args)
    if args.id is None or not args.id_given:
        ran[id_index] = format_id(sid)
    session.replace_propagation(ran)
    return format_id(sid)


def _new_id(stream: StreamValue, args: TrimArgs) -> StreamId | None:
    last = stream.last_id
    if args.id is None:
        ms = now_ms()
        if ms > last[0]:
            return ms, 0
        return next_id(last)
    if args.id_given:
        return args.id
    if args.id[0] == last[0]:
        return None if last[1] == U64 else (last[0], last[1] + 1)
    return args.id


@command(
    "xtrim",
    -4,
    "write",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Deletes messages from the beginning of a stream.",
    complexity="O(N), with N being the number of evicted entries. Constant times are very "
    "small however, since entries are organized in macro nodes containing multiple entries "
    "that can be released with a single deallocation.",
    key_specs=[key_spec("RW DELETE")],
    tips="nondeterministic_output",
    arguments=[key_arg(), _TRIM_ARGUMENTS],
)
def xtrim(session: Session, argv: list[bytes]) -> Any:
    args, _ = _parse_trim(session, argv, xadd=False)
    db, key = session.db, argv[1]
    stream = get_stream(db, key, counted=False)
    if stream is None:
        return 0
    deleted = _trim(stream, args)
    if deleted:
        db.changed(key, "xtrim", STREAM)
        if args.approx:
            session.replace_propagation(_exact_trim_argv(argv, stream, args))
    return deleted


# -- reading ranges --------------------------------------------------------------------------


def _xrange(session: Session, argv: list[bytes], reverse: bool) -> Any:
    start_raw, end_raw = (argv[3], argv[2]) if reverse else (argv[2], argv[3])
    start = range_start(start_raw)
    end = range_end(end_raw)
    count = -1
    j = 4
    while j < len(argv):
        if argv[j].lower() == b"count" and j + 1 < len(argv):
            count = max(_integer(argv[j + 1]), 0)
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    stream = get_stream(session.db, argv[1])
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY
    out = []
    if start <= end:
        for sid, pairs in stream.range(start, end, reverse):
            out.append(_entry_reply(sid, pairs))
            if len(out) == count:
                break
    return out


_RANGE_ARGS = [key_arg(), arg("start"), arg("end"), integer("count", token="COUNT", optional=True)]


@command(
    "xrange",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Returns the messages from a stream within a range of IDs.",
    complexity="O(N) with N being the number of elements being returned. If N is constant "
    "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    key_specs=[key_spec("RO ACCESS")],
    arguments=_RANGE_ARGS,
)
def xrange(session: Session, argv: list[bytes]) -> Any:
    return _xrange(session, argv, reverse=False)


@command(
    "xrevrange",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Returns the messages from a stream within a range of IDs in reverse order.",
    complexity="O(N) with N being the number of elements returned. If N is constant (e.g. "
    "always asking for the first 10 elements with COUNT), you can consider it O(1).",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[key_arg(), arg("end"), arg("start"), integer("count", token="COUNT", optional=True)],
)
def xrevrange(session: Session, argv: list[bytes]) -> Any:
    return _xrange(session, argv, reverse=True)


@command(
    "xlen",
    2,
    "readonly fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Return the number of messages in a stream.",
    key_specs=[key_spec("RO")],
    arguments=[key_arg()],
)
def xlen(session: Session, argv: list[bytes]) -> Any:
    stream = get_stream(session.db, argv[1])
    return 0 if stream is None else len(stream)


@command(
    "xdel",
    -3,
    "write fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Returns the number of messages after removing them from a stream.",
    complexity="O(1) for each single item to delete in the stream, regardless of the stream size.",
    key_specs=[key_spec("RW DELETE")],
    arguments=[key_arg(), arg("id", multiple=True)],
)
def xdel(session: Session, argv: list[bytes]) -> Any:
    db, key = session.db, argv[1]
    stream = get_stream(db, key, counted=False)
    if stream is None:
        return 0
    ids = [strict_id(raw) for raw in argv[2:]]
    deleted = 0
    for sid in ids:
        if stream.delete(sid):
            if sid > stream.max_deleted_id:
                stream.max_deleted_id = sid
            deleted += 1
    if deleted:
        db.changed(key, "xdel", STREAM)
    return deleted


# -- XREAD / XREADGROUP ----------------------------------------------------------------------


class _ReadRequest:
    __slots__ = ("block", "consumer", "count", "group", "ids", "keys", "noack", "xreadgroup")

    def __init__(self, xreadgroup: bool) -> None:
        self.xreadgroup = xreadgroup
        self.block: int | None = None
        self.count = 0
        self.group: bytes | None = None
        self.consumer = b""
        self.noack = False
        self.keys: list[bytes] = []
        self.ids: list[StreamId] = []


def _parse_read(session: Session, argv: list[bytes], xreadgroup: bool) -> _ReadRequest:
    req = _ReadRequest(xreadgroup)
    streams_at = 0
    name = "XREADGROUP" if xreadgroup else "XREAD"
    i = 1
    argc = len(argv)
    while i < argc:
        more = argc - i - 1
        low = argv[i].lower()
        if low == b"block" and more:
            if session.kind == "lua":
                raise CommandError(
                    f"ERR {_text(argv[0])} command is not allowed with BLOCK option from scripts"
                )
            i += 1
            req.block = _block_ms(argv[i])
        elif low == b"count" and more:
            i += 1
            req.count = max(_integer(argv[i]), 0)
        elif low == b"streams" and more:
            streams_at = i + 1
            rest = argc - streams_at
            if rest % 2:
                symbol = ">" if xreadgroup else "$"
                raise CommandError(
                    f"ERR Unbalanced '{name.lower()}' list of streams: for each stream key an "
                    f"ID or '{symbol}' must be specified."
                )
            break
        elif low == b"group" and more >= 2:
            if not xreadgroup:
                raise CommandError(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
                    "instead."
                )
            req.group, req.consumer = argv[i + 1], argv[i + 2]
            i += 2
        elif low == b"noack":
            if not xreadgroup:
                raise CommandError(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
                    "instead."
                )
            req.noack = True
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if not streams_at:
        raise CommandError(errors.SYNTAX)
    if xreadgroup and req.group is None:
        raise CommandError("ERR Missing GROUP option for XREADGROUP")
    half = (argc - streams_at) // 2
    req.keys = argv[streams_at : streams_at + half]
    db = session.db
    for key, raw in zip(req.keys, argv[streams_at + half :], strict=True):
        stream = get_stream(db, key)
        if req.group is not None and (stream is None or req.group not in stream.groups):
            raise _no_group(key, req.group, " in XREADGROUP with GROUP option")
        if raw == b"$":
            if xreadgroup:
                raise CommandError(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to "
                    "read the history of this consumer by specifying a proper ID, or use the "
                    "> ID to get new messages. The $ ID would just return an empty result set."
                )
            req.ids.append(stream.last_id if stream is not None else ZERO_ID)
        elif raw == b">":
            if not xreadgroup:
                raise CommandError(
                    "ERR The > ID can be specified only when calling XREADGROUP using the "
                    "GROUP <group> <consumer> option."
                )
            req.ids.append(MAX_ID)
        else:
            req.ids.append(strict_id(raw))
    return req


def _block_ms(raw: bytes) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError("ERR timeout is not an integer or out of range")
    if value < 0:
        raise CommandError("ERR timeout is negative")
    return value


class _Reader:
    """Serves one XREAD(GROUP) for one stream, collecting what it propagates."""

    def __init__(self, session: Session, req: _ReadRequest) -> None:
        self.session = session
        self.req = req
        self.propagate: list[list[bytes]] = []
        self.dirty = False

    def read(
        self, key: bytes, stream: StreamValue, after: StreamId, history: bool, count: int
    ) -> list[Any]:
        req = self.req
        start = next_id(after) or MAX_ID
        if req.group is None:
            out = []
            for sid, pairs in stream.range(start, MAX_ID):
                out.append(_entry_reply(sid, pairs))
                if count and len(out) == count:
                    break
            return out
        group = stream.groups[req.group]
        db = self.session.db
        consumer, created = _create_consumer(db, key, group, req.consumer)
        if created and req.noack:
            self.propagate.append([b"XGROUP", b"CREATECONSUMER", key, req.group, req.consumer])
        self.dirty = True
        if history:
            return self._history(stream, consumer, start, count)
        out = []
        now = now_ms()
        moved = False
        for sid, pairs in stream.range(start, MAX_ID):
            if sid > group.last_id:
                stream.advance_group(group, sid)
                moved = True
            out.append(_entry_reply(sid, pairs))
            if not req.noack:
                entry = group.deliver(sid, consumer, now)
                self.propagate.append(_xclaim_propagation(key, req.group, group, sid, entry))
            if count and len(out) == count:
                break
        if moved and req.noack:
            self.propagate.append(_setid_propagation(key, req.group, group))
        return out

    def _history(
        self, stream: StreamValue, consumer: Consumer, start: StreamId, count: int
    ) -> list[Any]:
        out: list[Any] = []
        now = now_ms()
        for sid in list(consumer.pending.irange(start)):
            if count and len(out) >= count:
                break
            pairs = stream.entries.get(sid)
            if pairs is None:
                out.append([format_id(sid), NULL_ARRAY])
                continue
            entry = consumer.pending[sid]
            entry.delivery_time = now
            entry.delivery_count += 1
            out.append(_entry_reply(sid, pairs))
        return out

    def finish(self, key: bytes | None = None) -> None:
        if self.dirty and key is not None:
            self.session.db.changed(key, "xreadgroup", SILENT)


def _xread(session: Session, argv: list[bytes], xreadgroup: bool) -> Any:
    req = _parse_read(session, argv, xreadgroup)
    db = session.db
    reader = _Reader(session, req)
    served: list[tuple[bytes, Any]] = []
    for key, after in zip(req.keys, req.ids, strict=True):
        stream = get_stream(db, key)
        if stream is None:
            continue
        if req.group is not None:
            if after != MAX_ID:
                served.append((key, reader.read(key, stream, after, True, req.count)))
                reader.finish(key)
                continue
            if not stream.entries:
                continue
            last = stream.groups[req.group].last_id
            if stream.last_entry_id() > last:
                served.append((key, reader.read(key, stream, last, False, req.count)))
                reader.finish(key)
        elif stream.entries and stream.last_entry_id() > after:
            served.append((key, reader.read(key, stream, after, False, req.count)))
    if req.group is not None:
        session.replace_propagation(*reader.propagate)
    if served:
        return _keyed_replies(session, served)
    if req.block is None:
        return NULL_ARRAY
    blocking = Blocking.of(session.state)
    if not blocking.can_block(session):
        return NULL_ARRAY
    return _block(session, blocking, req)


def _block(session: Session, blocking: Blocking, req: _ReadRequest) -> Any:
    waiting_after = dict(zip(req.keys, req.ids, strict=True))
    count = req.count or _BLOCKED_DEFAULT_COUNT

    def serve(key: bytes) -> Any:
        db = session.db
        value = db.get(key)
        if type(value) is not StreamValue:
            if req.group is not None:
                return Error("UNBLOCKED the stream key no longer exists")
            return NOT_READY
        after = waiting_after[key]
        if req.group is not None:
            group = value.groups.get(req.group)
            if group is None:
                return Error(
                    "NOGROUP the consumer group this client was blocked on no longer exists"
                )
            after = group.last_id
        if not value.last_id > after:
            return NOT_READY
        reader = _Reader(session, req)
        entries = reader.read(key, value, after, False, count)
        reader.finish(key)
        session.state.dispatcher.send_propagation(session, reader.propagate)
        return _keyed_replies(session, [(key, entries)])

    timeout = None if not req.block else req.block / 1000
    return blocking.block(session, req.keys, timeout, serve, NULL_ARRAY)


def _read_key_spec(flags: str, startfrom: int) -> dict[str, Any]:
    return {
        "flags": flags.split(),
        "begin_search": {
            "type": "keyword",
            "spec": {"keyword": "STREAMS", "startfrom": startfrom},
        },
        "find_keys": {"type": "range", "spec": {"lastkey": -1, "keystep": 1, "limit": 2}},
    }


@command(
    "xread",
    -4,
    "readonly blocking movablekeys",
    since="5.0.0",
    summary="Returns messages from multiple streams with IDs greater than the ones requested. "
    "Blocks until a message is available otherwise.",
    complexity="For each stream mentioned: O(N) with N being the number of elements being "
    "returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK "
    "option is used, XADD will pay O(M) time in order to serve the M clients blocked on the "
    "stream getting new data.",
    key_specs=[_read_key_spec("RO ACCESS", 1)],
    arguments=[
        integer("count", token="COUNT", optional=True),
        integer("milliseconds", token="BLOCK", optional=True),
        block(
            "streams",
            key_arg(multiple=True),
            arg("id", multiple=True),
            token="STREAMS",
        ),
    ],
)
def xread(session: Session, argv: list[bytes]) -> Any:
    return _xread(session, argv, xreadgroup=False)


@command(
    "xreadgroup",
    -7,
    "write blocking movablekeys",
    since="5.0.0",
    summary="Returns new or historical messages from a stream for a consumer in a group. "
    "Blocks until a message is available otherwise.",
    complexity="For each stream mentioned: O(M) with M being the number of elements returned. "
    "If M is constant (e.g. always asking for the first 10 elements with COUNT), you can "
    "consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time "
    "in order to serve the N clients blocked on the stream getting new data.",
    key_specs=[_read_key_spec("RO ACCESS", 4)],
    arguments=[
        block("group-block", arg("group"), arg("consumer"), token="GROUP"),
        integer("count", token="COUNT", optional=True),
        integer("milliseconds", token="BLOCK", optional=True),
        token("noack", "NOACK", optional=True),
        block(
            "streams",
            key_arg(multiple=True),
            arg("id", multiple=True),
            token="STREAMS",
        ),
    ],
)
def xreadgroup(session: Session, argv: list[bytes]) -> Any:
    return _xread(session, argv, xreadgroup=True)


# -- XGROUP ----------------------------------------------------------------------------------

xgroup = family.container(
    "xgroup", summary="A container for consumer groups commands.", since="5.0.0"
)


def _group_target(
    session: Session, argv: list[bytes], create: bool, setid: bool
) -> tuple[StreamValue | None, int, bool]:
    """Options after the ID (MKSTREAM, ENTRIESREAD) and the stream; Redis's order of
    checks."""
    mkstream = False
    entries_read = INVALID_ENTRIES_READ
    i = 5
    while i < len(argv):
        low = argv[i].lower()
        if create and low == b"mkstream":
            mkstream = True
            i += 1
        elif (create or setid) and low == b"entriesread" and i + 1 < len(argv):
            entries_read = _integer(argv[i + 1])
            if entries_read < 0 and entries_read != INVALID_ENTRIES_READ:
                raise CommandError("ERR value for ENTRIESREAD must be positive or -1")
            i += 2
        else:
            raise subcommand_syntax_error(argv)
    stream = get_stream(session.db, argv[2], counted=False)
    if stream is None and not mkstream:
        raise CommandError(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically."
        )
    return stream, entries_read, mkstream


def _existing_group(stream: StreamValue, argv: list[bytes]) -> ConsumerGroup:
    group = stream.groups.get(argv[3])
    if group is None:
        raise CommandError(
            f"NOGROUP No such consumer group '{_text(argv[3])}' for key name '{_text(argv[2])}'"
        )
    return group


@command(
    "create",
    -5,
    "write denyoom",
    keys=(2, 2, 1),
    parent=xgroup,
    since="5.0.0",
    summary="Creates a consumer group.",
    key_specs=[key_spec("RW INSERT", index=2)],
    arguments=[
        key_arg(),
        arg("group"),
        oneof("id-selector", arg("id"), token("new-id", "$")),
        token("mkstream", "MKSTREAM", optional=True),
        integer("entries-read", token="ENTRIESREAD", optional=True),
    ],
)
def xgroup_create(session: Session, argv: list[bytes]) -> Any:
    stream, entries_read, _ = _group_target(session, argv, create=True, setid=False)
    if len(argv) > 8:
        raise subcommand_syntax_error(argv)
    if argv[4] == b"$":
        sid = stream.last_id if stream is not None else ZERO_ID
    else:
        sid = strict_id(argv[4])
    db, key = session.db, argv[2]
    created = stream is None
    if stream is None:
        stream = StreamValue()
    if argv[3] in stream.groups:
        raise CommandError("BUSYGROUP Consumer Group name already exists")
    stream.groups[argv[3]] = ConsumerGroup(argv[3], sid, entries_read)
    if created:
        db.set(key, stream, event="xgroup-create", cls=STREAM)
    else:
        db.changed(key, "xgroup-create", STREAM)
    return OK


@command(
    "setid",
    -5,
    "write",
    keys=(2, 2, 1),
    parent=xgroup,
    since="5.0.0",
    summary="Sets the last-delivered ID of a consumer group.",
    key_specs=[key_spec("RW UPDATE", index=2)],
    arguments=[
        key_arg(),
        arg("group"),
        oneof("id-selector", arg("id"), token("new-id", "$")),
        integer("entries-read", token="ENTRIESREAD", optional=True, since="7.0.0"),
    ],
)
def xgroup_setid(session: Session, argv: list[bytes]) -> Any:
    stream, entries_read, _ = _group_target(session, argv, create=False, setid=True)
    assert stream is not None
    group = _existing_group(stream, argv)
    if len(argv) not in (5, 7):
        raise subcommand_syntax_error(argv)
    sid = stream.last_id if argv[4] == b"$" else parse_id(argv[4])[0]
    group.last_id = sid
    group.entries_read = entries_read
    session.db.changed(argv[2], "xgroup-setid", STREAM)
    return OK


def _simple_target(session: Session, argv: list[bytes]) -> tuple[StreamValue, ConsumerGroup | None]:
    stream = get_stream(session.db, argv[2], counted=False)
    if stream is None:
        raise CommandError(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically."
        )
    return stream, stream.groups.get(argv[3])


@command(
    "destroy",
    4,
    "write",
    keys=(2, 2, 1),
    parent=xgroup,
    since="5.0.0",
    summary="Destroys a consumer group.",
    complexity="O(N) where N is the number of entries in the group's pending entries list (PEL).",
    key_specs=[key_spec("RW DELETE", index=2)],
    arguments=[key_arg(), arg("group")],
)
def xgroup_destroy(session: Session, argv: list[bytes]) -> Any:
    stream, group = _simple_target(session, argv)
    if group is None:
        return 0
    del stream.groups[argv[3]]
    session.db.changed(argv[2], "xgroup-destroy", STREAM)
    return 1


@command(
    "createconsumer",
    5,
    "write denyoom",
    keys=(2, 2, 1),
    parent=xgroup,
    since="6.2.0",
    summary="Creates a consumer in a consumer group.",
    key_specs=[key_spec("RW INSERT", index=2)],
    arguments=[key_arg(), arg("group"), arg("consumer")],
)
def xgroup_createconsumer(session: Session, argv: list[bytes]) -> Any:
    stream, _ = _simple_target(session, argv)
    group = _existing_group(stream, argv)
    if argv[4] in group.consumers:
        return 0
    group.add_consumer(argv[4], now_ms())
    session.db.changed(argv[2], "xgroup-createconsumer", STREAM)
    return 1


@command(
    "delconsumer",
    5,
    "write",
    keys=(2, 2, 1),
    parent=xgroup,
    since="5.0.0",
    summary="Deletes a consumer from a consumer group.",
    key_specs=[key_spec("RW DELETE", index=2)],
    arguments=[key_arg(), arg("group"), arg("consumer")],
)
def xgroup_delconsumer(session: Session, argv: list[bytes]) -> Any:
    stream, _ = _simple_target(session, argv)
    group = _existing_group(stream, argv)
    if argv[4] not in group.consumers:
        return 0
    pending = group.remove_consumer(argv[4])
    session.db.changed(argv[2], "xgroup-delconsumer", STREAM)
    return pending


_XGROUP_HELP = [
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
]


@command(
    "help",
    2,
    "loading stale",
    parent=xgroup,
    since="5.0.0",
    summary="Returns helpful text about the different subcommands.",
    arguments=[],
)
def xgroup_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply("XGROUP", _XGROUP_HELP)


# -- XSETID ----------------------------------------------------------------------------------


@command(
    "xsetid",
    -3,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="An internal command for replicating stream values.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=[
        key_arg(),
        arg("last-id"),
        integer("entries-added", token="ENTRIESADDED", optional=True, since="7.0.0"),
        arg("max-deleted-id", token="MAXDELETEDID", optional=True, since="7.0.0"),
    ],
)
def xsetid(session: Session, argv: list[bytes]) -> Any:
    sid = strict_id(argv[2])
    entries_added = -1
    max_deleted = ZERO_ID
    i = 3
    while i < len(argv):
        more = len(argv) - 1 - i
        low = argv[i].lower()
        if low == b"entriesadded" and more:
            entries_added = _integer(argv[i + 1])
            if entries_added < 0:
                raise CommandError("ERR entries_added must be positive")
            i += 2
        elif low == b"maxdeletedid" and more:
            max_deleted = strict_id(argv[i + 1])
            if sid < max_deleted:
                raise CommandError(
                    "ERR The ID specified in XSETID is smaller than the provided "
                    "max_deleted_entry_id"
                )
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    db, key = session.db, argv[1]
    stream = get_stream(db, key, counted=False)
    if stream is None:
        raise CommandError(_NO_KEY)
    if stream.entries:
        if sid < stream.last_entry_id():
            raise CommandError(
                "ERR The ID specified in XSETID is smaller than the target stream top item"
            )
        if entries_added != -1 and len(stream) > entries_added:
            raise CommandError(
                "ERR The entries_added specified in XSETID is smaller than the target stream length"
            )
    stream.last_id = sid
    if entries_added != -1:
        stream.entries_added = entries_added
    if max_deleted != ZERO_ID:
        stream.max_deleted_id = max_deleted
    db.changed(key, "xsetid", STREAM)
    return OK


# -- acknowledging, pending entries, claiming --------------------------------------------------


def _group_of(
    session: Session, key: bytes, name: bytes
) -> tuple[StreamValue, ConsumerGroup] | None:
    stream = get_stream(session.db, key)
    if stream is None:
        return None
    group = stream.groups.get(name)
    return None if group is None else (stream, group)


@command(
    "xack",
    -4,
    "write fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Returns the number of messages that were successfully acknowledged by the "
    "consumer group member of a stream.",
    complexity="O(1) for each message ID processed.",
    key_specs=[key_spec("RW UPDATE")],
    arguments=[key_arg(), arg("group"), arg("id", multiple=True)],
)
def xack(session: Session, argv: list[bytes]) -> Any:
    found = _group_of(session, argv[1], argv[2])
    if found is None:
        return 0
    _, group = found
    ids = [strict_id(raw) for raw in argv[3:]]
    acknowledged = sum(1 for sid in ids if group.acknowledge(sid))
    if acknowledged:
        session.db.changed(argv[1], "xack", SILENT)
    return acknowledged


@command(
    "xpending",
    -3,
    "readonly",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Returns the information and entries from a stream consumer group's pending "
    "entries list.",
    complexity="O(N) with N being the number of elements returned, so asking for a small fixed "
    "number of entries per call is O(1). O(M), where M is the total number of entries scanned "
    "when used with the IDLE filter. When the command returns just the summary and the list "
    "of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for "
    "iterating every consumer.",
    key_specs=[key_spec("RO ACCESS")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        arg("group"),
        block(
            "filters",
            integer("min-idle-time", token="IDLE", optional=True, since="6.2.0"),
            arg("start"),
            arg("end"),
            integer("count"),
            arg("consumer", optional=True),
            optional=True,
        ),
    ],
)
def xpending(session: Session, argv: list[bytes]) -> Any:
    argc = len(argv)
    if argc != 3 and (argc < 6 or argc > 9):
        raise CommandError(errors.SYNTAX)
    start = end = ZERO_ID
    count = min_idle = 0
    consumer_name: bytes | None = None
    if argc >= 6:
        at = 3
        if argv[3].lower() == b"idle":
            min_idle = _integer(argv[4])
            if argc < 8:
                raise CommandError(errors.SYNTAX)
            at += 2
        count = max(_integer(argv[at + 2]), 0)
        start = range_start(argv[at])
        end = range_end(argv[at + 1])
        if at + 3 < argc:
            consumer_name = argv[at + 3]
    found = _group_of(session, argv[1], argv[2])
    if found is None:
        raise _no_group(argv[1], argv[2])
    _, group = found
    if argc == 3:
        return _pending_summary(group)
    pel = group.pending
    if consumer_name is not None:
        consumer = group.consumer(consumer_name)
        if consumer is None:
            return []
        pel = consumer.pending
    now = now_ms()
    out = []
    if start <= end:
        for sid in pel.irange(start, end):
            if not count:
                break
            entry = pel[sid]
            if min_idle and now - entry.delivery_time < min_idle:
                continue
            count -= 1
            elapsed = max(now - entry.delivery_time, 0)
            out.append([format_id(sid), entry.consumer.name, elapsed, entry.delivery_count])
    return out


def _pending_summary(group: ConsumerGroup) -> Any:
    pel = group.pending
    if not pel:
        return [0, None, None, NULL_ARRAY]
    owners = [
        [consumer.name, b"%d" % len(consumer.pending)]
        for consumer in group.sorted_consumers()
        if consumer.pending
    ]
    return [len(pel), format_id(pel.peekitem(0)[0]), format_id(pel.peekitem(-1)[0]), owners]


@command(
    "xclaim",
    -6,
    "write fast",
    keys=(1, 1, 1),
    since="5.0.0",
    summary="Changes, or acquires, ownership of a message in a consumer group, as if the "
    "message was delivered a consumer group member.",
    complexity="O(log N) with N being the number of messages in the PEL of the consumer group.",
    key_specs=[key_spec("RW UPDATE")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        arg("group"),
        arg("consumer"),
        arg("min-idle-time"),
        arg("id", multiple=True),
        integer("ms", token="IDLE", optional=True),
        integer("unix-time-milliseconds", token="TIME", optional=True),
        integer("count", token="RETRYCOUNT", optional=True),
        token("force", "FORCE", optional=True),
        token("justid", "JUSTID", optional=True),
        arg("lastid", token="LASTID", optional=True),
    ],
)
def xclaim(session: Session, argv: list[bytes]) -> Any:
    key, group_name = argv[1], argv[2]
    found = _group_of(session, key, group_name)
    if found is None:
        raise _no_group(key, group_name)
    stream, group = found
    min_idle = max(_integer(argv[4], "ERR Invalid min-idle-time argument for XCLAIM"), 0)
    ids: list[tuple[StreamId, bytes]] = []
    j = 5
    while j < len(argv):
        try:
            ids.append((strict_id(argv[j]), argv[j]))
        except CommandError:
            break
        j += 1
    now = now_ms()
    force = justid = False
    retrycount = -1
    delivery_time = -1
    last_id = ZERO_ID
    while j < len(argv):
        more = len(argv) - 1 - j
        low = argv[j].lower()
        if low == b"force":
            force = True
        elif low == b"justid":
            justid = True
        elif low == b"idle" and more:
            j += 1
            delivery_time = now - _integer(argv[j], "ERR Invalid IDLE option argument for XCLAIM")
        elif low == b"time" and more:
            j += 1
            delivery_time = _integer(argv[j], "ERR Invalid TIME option argument for XCLAIM")
        elif low == b"retrycount" and more:
            j += 1
            retrycount = _integer(argv[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
        elif low == b"lastid" and more:
            j += 1
            last_id = strict_id(argv[j])
        else:
            raise CommandError(f"ERR Unrecognized XCLAIM option '{_text(argv[j])}'")
        j += 1
    propagate_last_id = False
    if last_id > group.last_id:
        group.last_id = last_id
        propagate_last_id = True
    if delivery_time == -1 or delivery_time < 0 or delivery_time > now:
        delivery_time = now
    db = session.db
    consumer: Consumer | None = None
    out: list[Any] = []
    ran: list[list[bytes]] = []
    changed = propagate_last_id
    # Replaying an append-only file, FORCE restores a pending entry whose stream entry was
    # deleted since: Ferrite's rewrite is commands only (Redis's keeps such entries in its
    # RDB preamble), and this is how the rewrite records them.
    restoring = force and session.kind == "aof"
    for sid, _raw in ids:
        entry = group.pending.get(sid)
        if sid not in stream.entries and not restoring:
            if entry is not None:
                ran.append(_xclaim_propagation(key, group_name, group, sid, entry))
                propagate_last_id = False
                group.acknowledge(sid)
                changed = True
            continue
        fresh = False
        if force and entry is None:
            fresh = True
        elif entry is None:
            continue
        if not fresh and entry is not None and min_idle and now - entry.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer, _ = _create_consumer(db, key, group, argv[3])
        if fresh:
            entry = PendingEntry(consumer, now)
            group.pending[sid] = entry
        else:
            assert entry is not None
            if entry.consumer is not consumer:
                del entry.consumer.pending[sid]
        assert entry is not None
        entry.delivery_time = delivery_time
        if retrycount >= 0:
            entry.delivery_count = retrycount
        elif not justid:
            entry.delivery_count += 1
        entry.consumer = consumer
        consumer.pending[sid] = entry
        if justid or sid in stream.entries:
            out.append(format_id(sid) if justid else _entry_reply(sid, stream.entries[sid]))
        ran.append(_xclaim_propagation(key, group_name, group, sid, entry))
        propagate_last_id = False
        changed = True
    if propagate_last_id:
        ran.append(_setid_propagation(key, group_name, group))
    if changed:
        db.changed(key, "xclaim", SILENT)
    session.replace_propagation(*ran)
    return out


@command(
    "xautoclaim",
    -6,
    "write fast",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Changes, or acquires, ownership of messages in a consumer group, as if the "
    "messages were delivered to as consumer group member.",
    complexity="O(1) if COUNT is small.",
    key_specs=[key_spec("RW DELETE")],
    tips="nondeterministic_output",
    arguments=[
        key_arg(),
        arg("group"),
        arg("consumer"),
        arg("min-idle-time"),
        arg("start"),
        integer("count", token="COUNT", optional=True),
        token("justid", "JUSTID", optional=True),
    ],
)
def xautoclaim(session: Session, argv: list[bytes]) -> Any:
    key, group_name = argv[1], argv[2]
    min_idle = max(_integer(argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM"), 0)
    start = range_start(argv[5])
    count = 100
    justid = False
    j = 6
    while j < len(argv):
        more = len(argv) - 1 - j
        low = argv[j].lower()
        if low == b"count" and more:
            value = parse_int(argv[j + 1])
            if value is None or not 1 <= value <= (2**63 - 1) // 16:
                raise CommandError("ERR COUNT must be > 0")
            count = value
            j += 1
        elif low == b"justid":
            justid = True
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    found = _group_of(session, key, group_name)
    if found is None:
        raise _no_group(key, group_name)
    stream, group = found
    db = session.db
    attempts = count * 10
    now = now_ms()
    consumer: Consumer | None = None
    claimed: list[Any] = []
    deleted: list[bytes] = []
    ran: list[list[bytes]] = []
    pending = list(group.pending.irange(start))
    index = 0
    while attempts and count and index < len(pending):
        attempts -= 1
        sid = pending[index]
        index += 1
        entry = group.pending[sid]
        if sid not in stream.entries:
            ran.append(_xclaim_propagation(key, group_name, group, sid, entry))
            group.acknowledge(sid)
            deleted.append(format_id(sid))
            count -= 1
            continue
        if min_idle and now - entry.delivery_time < min_idle:
            continue
        if consumer is None:
            consumer, _ = _create_consumer(db, key, group, argv[3])
        if entry.consumer is not consumer:
            del entry.consumer.pending[sid]
            entry.consumer = consumer
            consumer.pending[sid] = entry
        entry.delivery_time = now
        if not justid:
            entry.delivery_count += 1
        claimed.append(format_id(sid) if justid else _entry_reply(sid, stream.entries[sid]))
        count -= 1
        ran.append(_xclaim_propagation(key, group_name, group, sid, entry))
    cursor = format_id(pending[index]) if index < len(pending) else b"0-0"
    if ran:
        db.changed(key, "xautoclaim", SILENT)
    session.replace_propagation(*ran)
    return [cursor, claimed, deleted]


# -- XINFO -----------------------------------------------------------------------------------

xinfo = family.container(
    "xinfo", summary="A container for stream introspection commands.", since="5.0.0"
)


def _info_target(session: Session, argv: list[bytes]) -> StreamValue:
    stream = get_stream(session.db, argv[2])
    if stream is None:
        raise CommandError(_NO_KEY)
    return stream


def _lag_of(stream: StreamValue, group: ConsumerGroup) -> int | None:
    return stream.lag(group)


def _entries_read(group: ConsumerGroup) -> int | None:
    return None if group.entries_read == INVALID_ENTRIES_READ else group.entries_read


@command(
    "consumers",
    4,
    "readonly",
    keys=(2, 2, 1),
    parent=xinfo,
    since="5.0.0",
    summary="Returns a list of the consumers in a consumer group.",
    key_specs=[key_spec("RO ACCESS", index=2)],
    tips="nondeterministic_output",
    arguments=[key_arg(), arg("group")],
)
def xinfo_consumers(session: Session, argv: list[bytes]) -> Any:
    stream = _info_target(session, argv)
    group = stream.groups.get(argv[3])
    if group is None:
        raise CommandError(
            f"NOGROUP No such consumer group '{_text(argv[3])}' for key name '{_text(argv[2])}'"
        )
    now = now_ms()
    return [
        {
            b"name": consumer.name,
            b"pending": len(consumer.pending),
            b"idle": max(now - consumer.seen_time, 0),
        }
        for consumer in group.sorted_consumers()
    ]


@command(
    "groups",
    3,
    "readonly",
    keys=(2, 2, 1),
    parent=xinfo,
    since="5.0.0",
    summary="Returns a list of the consumer groups of a stream.",
    key_specs=[key_spec("RO ACCESS", index=2)],
    arguments=[key_arg()],
)
def xinfo_groups(session: Session, argv: list[bytes]) -> Any:
    stream = _info_target(session, argv)
    return [
        {
            b"name": group.name,
            b"consumers": len(group.consumers),
            b"pending": len(group.pending),
            b"last-delivered-id": format_id(group.last_id),
            b"entries-read": _entries_read(group),
            b"lag": _lag_of(stream, group),
        }
        for group in stream.sorted_groups()
    ]


@command(
    "stream",
    -3,
    "readonly",
    keys=(2, 2, 1),
    parent=xinfo,
    since="5.0.0",
    summary="Returns information about a stream.",
    key_specs=[key_spec("RO ACCESS", index=2)],
    arguments=[
        key_arg(),
        block(
            "full-block",
            token("full", "FULL"),
            integer("count", token="COUNT", optional=True),
            optional=True,
        ),
    ],
)
def xinfo_stream(session: Session, argv: list[bytes]) -> Any:
    options = argv[3:]
    full = bool(options)
    count = 10
    if options:
        if len(options) not in (1, 3) or options[0].lower() != b"full":
            raise subcommand_syntax_error(argv)
        if len(options) == 3:
            if options[1].lower() != b"count":
                raise subcommand_syntax_error(argv)
            count = _integer(options[2])
            if count < 0:
                count = 10
    stream = _info_target(session, argv)
    info: dict[bytes, Any] = {
        b"length": len(stream),
        b"radix-tree-keys": len(stream.nodes),
        b"radix-tree-nodes": rax_node_count(list(stream.nodes)),
        b"last-generated-id": format_id(stream.last_id),
        b"max-deleted-entry-id": format_id(stream.max_deleted_id),
        b"entries-added": stream.entries_added,
        b"recorded-first-entry-id": format_id(stream.first_id),
    }
    if not full:
        info[b"groups"] = len(stream.groups)
        entries = stream.entries
        info[b"first-entry"] = _entry_reply(*entries.peekitem(0)) if entries else None
        info[b"last-entry"] = _entry_reply(*entries.peekitem(-1)) if entries else None
        return info
    shown: list[Any] = []
    for sid, pairs in stream.range(ZERO_ID, MAX_ID):
        if count and len(shown) == count:
            break
        shown.append(_entry_reply(sid, pairs))
    info[b"entries"] = shown
    info[b"groups"] = [_full_group(stream, group, count) for group in stream.sorted_groups()]
    return info


def _full_group(stream: StreamValue, group: ConsumerGroup, count: int) -> dict[bytes, Any]:
    pel: list[Any] = []
    for sid, entry in group.pending.items():
        if count and len(pel) == count:
            break
        pel.append([format_id(sid), entry.consumer.name, entry.delivery_time, entry.delivery_count])
    consumers = []
    for consumer in group.sorted_consumers():
        own: list[Any] = []
        for sid, entry in consumer.pending.items():
            if count and len(own) == count:
                break
            own.append([format_id(sid), entry.delivery_time, entry.delivery_count])
        consumers.append(
            {
                b"name": consumer.name,
                b"seen-time": consumer.seen_time,
                b"pel-count": len(consumer.pending),
                b"pending": own,
            }
        )
    return {
        b"name": group.name,
        b"last-delivered-id": format_id(group.last_id),
        b"entries-read": _entries_read(group),
        b"lag": _lag_of(stream, group),
        b"pel-count": len(group.pending),
        b"pending": pel,
        b"consumers": consumers,
    }


def rax_node_count(keys: list[StreamId]) -> int:
    """How many nodes Redis's radix tree holds for these node keys (16-byte big-endian
    IDs), for XINFO's radix-tree-nodes: a compressed trie, where a branching node's child
    edge longer than one byte adds a compressed node."""
    encoded = sorted(ms.to_bytes(8, "big") + seq.to_bytes(8, "big") for ms, seq in keys)
    if not encoded:
        return 1
    return _trie_nodes(encoded, 0)


def _trie_nodes(keys: list[bytes], depth: int) -> int:
    if len(keys) == 1 and len(keys[0]) == depth:
        return 1
    groups: dict[int, list[bytes]] = {}
    for item in keys:
        groups.setdefault(item[depth], []).append(item)
    if len(groups) == 1:
        common = _common_prefix(keys, depth)
        return 1 + _trie_nodes(keys, common)
    total = 1
    for members in groups.values():
        common = _common_prefix(members, depth)
        if common - depth >= 2:
            total += 1
        total += _trie_nodes(members, common)
    return total


def _common_prefix(keys: list[bytes], depth: int) -> int:
    first, last = keys[0], keys[-1]
    end = min(len(first), len(last))
    pos = depth
    while pos < end and first[pos] == last[pos]:
        pos += 1
    return pos


_XINFO_HELP = [
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
]


@command(
    "help",
    2,
    "loading stale",
    parent=xinfo,
    since="5.0.0",
    summary="Returns helpful text about the different subcommands.",
    arguments=[],
)
def xinfo_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply("XINFO", _XINFO_HELP)
