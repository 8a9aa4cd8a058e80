"""DEBUG: the subset of Redis's DEBUG that test suites and tools rely on.

The digest follows Redis's algorithm (SHA-1 based mix/xor of per-key digests, the key's type
and an expire marker), so two servers holding the same data answer the same digest and an
empty dataset answers forty zeros. Module values contribute whatever their type's `digest`
callback returns.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.help import help_reply, subcommand_syntax_error
from ferrite_host.core import errors
from ferrite_host.core.config import parse_memory
from ferrite_host.core.errors import CommandError
from ferrite_host.core.peers import is_local_addr
from ferrite_host.core.spec import Family
from ferrite_host.keyspace import Aggregate, TypedValue
from ferrite_host.persistence.manager import Persistence
from ferrite_host.protocol.replies import OK, BigNumber, Error, SetReply, SimpleString, Verbatim
from ferrite_host.strconv import parse_float, parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.keyspace import Database, Value

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command

NOT_ALLOWED = (
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server."
)
_ZERO_DIGEST = bytes(20)
#: Redis's object type codes, mixed into each key's digest.
_TYPE_STRING = 0
_TYPE_MODULE = 5
_TYPE_CODES = {"string": 0, "list": 1, "set": 2, "zset": 3, "hash": 4, "stream": 6}


# -- digests ---------------------------------------------------------------------------------


def _xor_digest(digest: bytearray, data: bytes) -> None:
    for i, byte in enumerate(hashlib.sha1(data).digest()):
        digest[i] ^= byte


def _mix_digest(digest: bytearray, data: bytes) -> None:
    _xor_digest(digest, data)
    digest[:] = hashlib.sha1(digest).digest()


def object_digest(db: Database, key: bytes, value: Value, digest: bytearray) -> bytearray:
    """Fold one value (its type, content and whether it expires) into `digest`."""
    if type(value) is TypedValue:
        _mix_digest(digest, _TYPE_MODULE.to_bytes(4, "big"))
        _xor_digest(digest, bytes(value.type.digest(value.value)))
    elif isinstance(value, Aggregate):
        _mix_digest(digest, _TYPE_CODES.get(value.TYPE, _TYPE_MODULE).to_bytes(4, "big"))
        _aggregate_digest(value, digest)
    else:
        _mix_digest(digest, _TYPE_STRING.to_bytes(4, "big"))
        _mix_digest(digest, bytes(value))  # type: ignore[arg-type]
    if db.get_expire(key) is not None:
        _xor_digest(digest, b"!!expire!!")
    return digest


def _pair_digest(first: bytes, second: bytes) -> bytes:
    pair = bytearray(20)
    _mix_digest(pair, first)
    _mix_digest(pair, second)
    return bytes(pair)


def _aggregate_digest(value: Aggregate, digest: bytearray) -> None:
    """Redis's per-type fold: a list chains its elements in order; a set, a hash and a
    sorted set xor one digest per member (score formatted "%.17g"), so order is ignored."""
    if value.TYPE == "list":
        for element in value:  # type: ignore[attr-defined]
            _mix_digest(digest, element)
    elif value.TYPE == "set":
        for member in value:  # type: ignore[attr-defined]
            _xor_digest(digest, member)
    elif value.TYPE == "hash":
        for field, content in value.items():  # type: ignore[attr-defined]
            _xor_digest(digest, _pair_digest(field, content))
    elif value.TYPE == "zset":
        for member, score in value:  # type: ignore[attr-defined]
            _xor_digest(digest, _pair_digest(member, b"%.17g" % score))


def dataset_digest(session: Session) -> bytes:
    """DEBUG DIGEST: each database's index mixed in, then its per-key digests xor-ed in (so
    key order does not matter)."""
    final = bytearray(20)
    for db in session.state.keyspace.dbs:
        if not len(db):
            continue
        _mix_digest(final, db.index.to_bytes(4, "big"))
        for key, value, _expire in db.items():
            digest = bytearray(20)
            _mix_digest(digest, key)
            object_digest(db, key, value, digest)
            _xor_digest(final, bytes(digest))
    return bytes(final)


# -- DEBUG -----------------------------------------------------------------------------------


def _check_allowed(session: Session) -> None:
    setting = session.state.settings.enable_debug_command
    if setting == "yes":
        return
    if setting == "local" and is_local_addr(session.addr):
        return
    raise CommandError(NOT_ALLOWED)


def _encoding(value: Value) -> str:
    if type(value) is TypedValue:
        return "raw"
    if isinstance(value, Aggregate):
        return value.encoding()
    data = bytes(value)  # type: ignore[arg-type]
    if len(data) <= 20 and parse_int(data) is not None:
        return "int"
    return "embstr" if len(data) <= 44 else "raw"


def _serialized_length(value: Value) -> int:
    """About what the value takes in a snapshot: length prefix plus payload."""
    if type(value) is TypedValue:
        try:
            return len(value.type.save(value.value)) if value.type.can_save() else 0
        except Exception:  # a module callback must not break DEBUG OBJECT
            return 0
    size = len(value)  # type: ignore[arg-type]
    return size + (1 if size < 64 else 2 if size < 16384 else 5)


def _debug_object(session: Session, argv: list[bytes]) -> Any:
    value = session.db.get(argv[2])
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    lru = session.db.raw_access_field(argv[2])
    idle = session.state.keyspace.access.idle_ms(lru) // 1000
    return SimpleString(
        f"Value at:{id(value):#x} refcount:1 encoding:{_encoding(value)} "
        f"serializedlength:{_serialized_length(value)} lru:{lru} lru_seconds_idle:{idle}"
    )


def _debug_sleep(session: Session, argv: list[bytes]) -> Any:
    seconds = parse_float(argv[2]) or 0.0
    if seconds > 0:
        time.sleep(seconds)  # blocks the whole server on purpose, as Redis's does
    return OK


def _debug_digest(session: Session, argv: list[bytes]) -> Any:
    return SimpleString(dataset_digest(session).hex())


def _debug_digest_value(session: Session, argv: list[bytes]) -> Any:
    db = session.db
    replies = []
    for key in argv[2:]:
        value = db.get(key)
        digest = object_digest(db, key, value, bytearray(20)) if value is not None else _ZERO_DIGEST
        replies.append(SimpleString(bytes(digest).hex()))
    return replies


def _debug_set_active_expire(session: Session, argv: list[bytes]) -> Any:
    session.state.keyspace.active_expire_enabled = bool(parse_int(argv[2]) or 0)
    return OK


def _debug_reload(session: Session, argv: list[bytes]) -> Any:
    persistence = Persistence.of(session.state)
    if persistence is None:
        raise CommandError(
            "ERR DEBUG RELOAD needs persistence, and this server runs in memory only "
            "(an embedded or test server). Use a server started with 'ferrite serve'."
        )
    options = {arg.lower() for arg in argv[2:]}
    if not options <= {b"merge", b"noflush", b"nosave"}:
        raise subcommand_syntax_error(argv)
    try:
        persistence.debug_reload(
            save=b"nosave" not in options, flush=not options & {b"merge", b"noflush"}
        )
    except CommandError:
        raise
    except Exception as exc:  # the persistence layer's errors carry Redis's wording
        raise CommandError(f"ERR {exc}") from None
    return OK


#: Above this (4GB less 1MB) Redis refuses a quicklist packed threshold.
_PACKED_THRESHOLD_MAX = (1 << 32) - (1 << 20)


def _debug_quicklist_packed_threshold(session: Session, argv: list[bytes]) -> Any:
    """Accepted and checked as Redis checks it; Ferrite's lists have no packed/plain nodes,
    so the threshold changes nothing observable (OBJECT ENCODING stays quicklist)."""
    try:
        size = parse_memory(argv[2].decode("utf-8", "replace"))
    except ValueError:
        size = -1
    if not 0 <= size <= _PACKED_THRESHOLD_MAX:
        raise CommandError("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
    return OK


def _debug_encoding_dump(session: Session, argv: list[bytes], encoding: str) -> Any:
    """DEBUG LISTPACK / QUICKLIST: Redis prints the structure on its stdout; Ferrite logs the
    value's encoding and length, and answers as Redis does."""
    value = session.db.get(argv[2])
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if _encoding(value) != encoding:
        raise CommandError(f"ERR Not a {encoding} encoded object.")
    log.info("DEBUG %s: %s encoded, %d entries", encoding.upper(), encoding, len(value))  # type: ignore[arg-type]
    return SimpleString(f"{encoding.capitalize()} structure printed on stdout")


def _debug_listpack(session: Session, argv: list[bytes]) -> Any:
    return _debug_encoding_dump(session, argv, "listpack")


def _debug_quicklist(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 4:
        raise subcommand_syntax_error(argv)
    return _debug_encoding_dump(session, argv, "quicklist")


def _debug_loadaof(session: Session, argv: list[bytes]) -> Any:
    persistence = Persistence.of(session.state)
    if persistence is None:
        raise CommandError(
            "ERR DEBUG LOADAOF needs persistence, and this server runs in memory only "
            "(an embedded or test server). Use a server started with 'ferrite serve'."
        )
    try:
        persistence.debug_loadaof()
    except CommandError:
        raise
    except Exception as exc:  # the persistence layer's errors carry Redis's wording
        raise CommandError(f"ERR {exc}") from None
    return OK


def _debug_log(session: Session, argv: list[bytes]) -> Any:
    log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
    return OK


_PROTOCOL_SAMPLES: dict[bytes, Any] = {
    b"string": b"Hello World",
    b"integer": 12345,
    b"double": 3.141,
    b"bignum": BigNumber("1234567999999999999999999999999999999"),
    b"null": None,
    b"array": [0, 1, 2],
    b"set": SetReply([0, 1, 2]),
    b"map": {0: False, 1: True, 2: False},
    b"verbatim": Verbatim(b"This is a verbatim\nstring"),
    b"true": True,
    b"false": False,
}


def _debug_protocol(session: Session, argv: list[bytes]) -> Any:
    """One reply of each RESP type, to check a client's parser (attrib and push are not
    supported)."""
    name = argv[2].lower()
    if name not in _PROTOCOL_SAMPLES:
        raise CommandError(
            "ERR Wrong protocol type name. Please use one of the following: "
            "string|integer|double|bignum|null|array|set|map|verbatim|true|false"
        )
    return _PROTOCOL_SAMPLES[name]


def _debug_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "DEBUG",
        [
            "DIGEST",
            "    Output a hex signature representing the current DB content.",
            "DIGEST-VALUE <key> [<key> ...]",
            "    Output a hex signature of the values of all the specified keys.",
            "ERROR <string>",
            "    Return a Redis protocol error with <string> as message. Useful for clients",
            "    unit tests to simulate Redis errors.",
            "LOG <message>",
            "    Write <message> to the server log.",
            "OBJECT <key>",
            "    Show low level info about the <key> and associated value.",
            "PROTOCOL <type>",
            "    Reply with a test value of the specified type. <type> can be: string,",
            "    integer, double, bignum, null, array, set, map, verbatim, true, false.",
            "RELOAD",
            "    Save the dataset to disk and reload it (needs persistence).",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Sets the threshold for elements to be inserted as plain vs packed nodes",
            "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
            "LISTPACK <key>",
            "    Show low level info about the listpack encoding of <key>.",
            "QUICKLIST <key> [<0|1>]",
            "    Show low level info about the quicklist encoding of <key>.",
            "    The optional argument (0 by default) sets the level of detail",
        ],
    )


def _debug_error(session: Session, argv: list[bytes]) -> Any:
    """An error reply of exactly the given text (no ERR prefix; line breaks become spaces),
    which client libraries use to fake LOADING, READONLY or OOM replies in their tests."""
    text = argv[2].decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
    return Error(text)


#: subcommand -> (handler, argument count check: exact argc, or -n for at least n).
_SUBCOMMANDS = {
    b"help": (_debug_help, 2),
    b"object": (_debug_object, 3),
    b"sleep": (_debug_sleep, 3),
    b"digest": (_debug_digest, 2),
    b"digest-value": (_debug_digest_value, -2),
    b"set-active-expire": (_debug_set_active_expire, 3),
    b"reload": (_debug_reload, -2),
    b"loadaof": (_debug_loadaof, -2),
    b"log": (_debug_log, 3),
    b"error": (_debug_error, 3),
    b"protocol": (_debug_protocol, 3),
    b"quicklist-packed-threshold": (_debug_quicklist_packed_threshold, 3),
    b"listpack": (_debug_listpack, 3),
    b"quicklist": (_debug_quicklist, -3),
}


@command(
    "debug",
    -2,
    "admin noscript loading stale",
    summary="A container for debugging commands.",
    complexity="Depends on subcommand.",
    arguments=[],
)
def debug(session: Session, argv: list[bytes]) -> Any:
    _check_allowed(session)
    entry = _SUBCOMMANDS.get(argv[1].lower())
    if entry is None:
        raise subcommand_syntax_error(argv)
    handler, argc = entry
    if (argc >= 0 and len(argv) != argc) or (argc < 0 and len(argv) < -argc):
        raise subcommand_syntax_error(argv)
    return handler(session, argv)
