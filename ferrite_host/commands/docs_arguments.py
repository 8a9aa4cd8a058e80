"""Redis 7.2's COMMAND DOCS `arguments` (and deprecation notes) for every built-in command.

Transcribed from Redis 7.2's src/commands/*.json so redis-cli's hints and documentation tools
see Redis's exact shape. Each argument is a dict with Redis's field names (`name`, `type`,
`display_text`, `key_spec_index`, `token`, `summary`, `since`, `deprecated_since`, `flags`,
`arguments`); introspection renders them in Redis's order. A command missing from a Redis
JSON `arguments` list maps to `[]` (COMMAND DOCS then leaves the field out, as Redis does).
"""

from __future__ import annotations

from typing import Any

from ferrite_host.commands.docs_arguments_blocking import BLOCKING_DOC_ARGUMENTS
from ferrite_host.commands.docs_arguments_sets import (
    SET_ZSET_DOC_ARGUMENTS,
    SET_ZSET_DOC_DEPRECATIONS,
)

Arg = dict[str, Any]


def arg(
    name: str,
    type_: str = "string",
    *,
    token: str = "",
    since: str = "",
    display: str = "",
    optional: bool = False,
    multiple: bool = False,
    multiple_token: bool = False,
    deprecated_since: str = "",
    summary: str = "",
    key_spec_index: int = -1,
    arguments: list[Arg] | None = None,
) -> Arg:
    """One argument in Redis's JSON vocabulary; unset fields are left out, as in the JSON."""
    out: Arg = {"name": name, "type": type_}
    if display:
        out["display_text"] = display
    if key_spec_index >= 0:
        out["key_spec_index"] = key_spec_index
    if token:
        out["token"] = token
    if summary:
        out["summary"] = summary
    if since:
        out["since"] = since
    if deprecated_since:
        out["deprecated_since"] = deprecated_since
    flags = [
        flag
        for flag, on in (
            ("optional", optional),
            ("multiple", multiple),
            ("multiple_token", multiple_token),
        )
        if on
    ]
    if flags:
        out["flags"] = flags
    if arguments is not None:
        out["arguments"] = arguments
    return out


def key(name: str = "key", index: int = 0, **opts: Any) -> Arg:
    return arg(name, "key", key_spec_index=index, **opts)


def integer(name: str, **opts: Any) -> Arg:
    return arg(name, "integer", **opts)


def token(name: str, tok: str, **opts: Any) -> Arg:
    """A pure-token argument (a keyword that takes no value)."""
    return arg(name, "pure-token", token=tok, **opts)


def oneof(name: str, *choices: Arg, **opts: Any) -> Arg:
    return arg(name, "oneof", arguments=list(choices), **opts)


def block(name: str, *parts: Arg, **opts: Any) -> Arg:
    return arg(name, "block", arguments=list(parts), **opts)


def _SCRIPT_CALL(first: str) -> list[Arg]:
    return [
        arg(first),
        integer("numkeys"),
        key(optional=True, multiple=True),
        arg("arg", optional=True, multiple=True),
    ]


def _flush_type(async_since: str = "", sync_since: str = "", since: str = "") -> Arg:
    return oneof(
        "flush-type",
        token("async", "ASYNC", since=async_since),
        token("sync", "SYNC", since=sync_since),
        optional=True,
        since=since,
    )


def _expire_condition() -> Arg:
    return oneof(
        "condition",
        token("nx", "NX"),
        token("xx", "XX"),
        token("gt", "GT"),
        token("lt", "LT"),
        optional=True,
        since="7.0.0",
    )


def _on_off() -> list[Arg]:
    return [oneof("enabled", token("on", "ON"), token("off", "OFF"))]


def _key_value_pairs() -> list[Arg]:
    return [block("data", key(), arg("value"), multiple=True)]


_KEY = [key()]
_KEYS = [key(multiple=True)]
_RANGE = [key(), integer("start"), integer("end")]
_COMMAND_NAMES = [arg("command-name", optional=True, multiple=True)]
_GETKEYS = [arg("command"), arg("arg", optional=True, multiple=True)]

#: Full command name -> its arguments, for every command Ferrite registers itself.
# -- bitmaps, HyperLogLog, geo ----------------------------------------------------------


def _double(name: str, **opts: Any) -> Arg:
    return arg(name, "double", **opts)


def _unit_oneof(name: str = "unit", *units: str, **opts: Any) -> Arg:
    return oneof(name, *(token(u.lower(), u) for u in units), **opts)


_BIT_UNIT = _unit_oneof("unit", "BYTE", "BIT", optional=True, since="7.0.0")
_GEO_UNIT = ("M", "KM", "FT", "MI")
_FIELD = [arg("encoding"), integer("offset")]


def _search_options(with_store: bool) -> list[Arg]:
    """GEORADIUS's trailing options; the store keys only in the writing forms."""
    options = [
        token("withcoord", "WITHCOORD", optional=True),
        token("withdist", "WITHDIST", optional=True),
        token("withhash", "WITHHASH", optional=True),
        block(
            "count-block",
            integer("count", token="COUNT"),
            token("any", "ANY", optional=True, since="6.2.0"),
            optional=True,
        ),
        oneof("order", token("asc", "ASC"), token("desc", "DESC"), optional=True),
    ]
    if with_store:
        options.append(
            oneof(
                "store",
                key("storekey", 1, display="key", token="STORE"),
                key("storedistkey", 2, display="key", token="STOREDIST"),
                optional=True,
            )
        )
    return options


def _radius(by_member: bool, with_store: bool) -> list[Arg]:
    centre = [arg("member")] if by_member else [_double("longitude"), _double("latitude")]
    return [
        key(),
        *centre,
        _double("radius"),
        _unit_oneof("unit", *_GEO_UNIT),
        *_search_options(with_store),
    ]


def _geosearch_shape() -> list[Arg]:
    return [
        oneof(
            "from",
            arg("member", token="FROMMEMBER"),
            block("fromlonlat", _double("longitude"), _double("latitude"), token="FROMLONLAT"),
        ),
        oneof(
            "by",
            block("circle", _double("radius", token="BYRADIUS"), _unit_oneof("unit", *_GEO_UNIT)),
            block(
                "box",
                _double("width", token="BYBOX"),
                _double("height"),
                _unit_oneof("unit", *_GEO_UNIT),
            ),
        ),
        oneof("order", token("asc", "ASC"), token("desc", "DESC"), optional=True),
        block(
            "count-block",
            integer("count", token="COUNT"),
            token("any", "ANY", optional=True),
            optional=True,
        ),
    ]


#: Bitmap, HyperLogLog and geo commands (merged into DOC_ARGUMENTS below).
_BITS_GEO_ARGUMENTS: dict[str, list[Arg]] = {
    "setbit": [key(), integer("offset"), integer("value")],
    "getbit": [key(), integer("offset")],
    "bitcount": [
        key(),
        block("range", integer("start"), integer("end"), _BIT_UNIT, optional=True),
    ],
    "bitpos": [
        key(),
        integer("bit"),
        block(
            "range",
            integer("start"),
            block("end-unit-block", integer("end"), _BIT_UNIT, optional=True),
            optional=True,
        ),
    ],
    "bitop": [
        oneof(
            "operation",
            token("and", "AND"),
            token("or", "OR"),
            token("xor", "XOR"),
            token("not", "NOT"),
        ),
        key("destkey", 0),
        key("key", 1, multiple=True),
    ],
    "bitfield": [
        key(),
        oneof(
            "operation",
            block("get-block", *_FIELD, token="GET"),
            block(
                "write",
                oneof(
                    "overflow-block",
                    token("wrap", "WRAP"),
                    token("sat", "SAT"),
                    token("fail", "FAIL"),
                    token="OVERFLOW",
                    optional=True,
                ),
                oneof(
                    "write-operation",
                    block("set-block", *_FIELD, integer("value"), token="SET"),
                    block("incrby-block", *_FIELD, integer("increment"), token="INCRBY"),
                ),
            ),
            optional=True,
            multiple=True,
        ),
    ],
    "bitfield_ro": [
        key(),
        block("get-block", *_FIELD, token="GET", optional=True, multiple=True, multiple_token=True),
    ],
    "pfadd": [key(), arg("element", optional=True, multiple=True)],
    "pfcount": [key(multiple=True)],
    "pfmerge": [key("destkey", 0), key("sourcekey", 1, optional=True, multiple=True)],
    "geoadd": [
        key(),
        oneof(
            "condition",
            token("xx", "XX"),
            token("nx", "NX"),
            optional=True,
            since="6.2.0",
        ),
        token("change", "CH", optional=True, since="6.2.0"),
        block(
            "data",
            _double("longitude"),
            _double("latitude"),
            arg("member"),
            multiple=True,
        ),
    ],
    "geodist": [
        key(),
        arg("member1"),
        arg("member2"),
        _unit_oneof("unit", *_GEO_UNIT, optional=True),
    ],
    "geohash": [key(), arg("member", optional=True, multiple=True)],
    "geopos": [key(), arg("member", optional=True, multiple=True)],
    "georadius": _radius(by_member=False, with_store=True),
    "georadius_ro": _radius(by_member=False, with_store=False),
    "georadiusbymember": _radius(by_member=True, with_store=True),
    "georadiusbymember_ro": _radius(by_member=True, with_store=False),
    "geosearch": [
        key(),
        *_geosearch_shape(),
        token("withcoord", "WITHCOORD", optional=True),
        token("withdist", "WITHDIST", optional=True),
        token("withhash", "WITHHASH", optional=True),
    ],
    "geosearchstore": [
        key("destination", 0),
        key("source", 1),
        *_geosearch_shape(),
        token("storedist", "STOREDIST", optional=True),
    ],
}


DOC_ARGUMENTS: dict[str, list[Arg]] = {
    # Pub/sub: Redis 7.0's shapes (PSUBSCRIBE's block is 7.0's, flattened in 7.2).
    "client|tracking": [
        oneof("status", token("on", "ON"), token("off", "OFF")),
        integer("client-id", token="REDIRECT", optional=True),
        arg("prefix", token="PREFIX", optional=True, multiple=True, multiple_token=True),
        token("bcast", "BCAST", optional=True),
        token("optin", "OPTIN", optional=True),
        token("optout", "OPTOUT", optional=True),
        token("noloop", "NOLOOP", optional=True),
    ],
    "client|caching": [oneof("mode", token("yes", "YES"), token("no", "NO"))],
    "client|getredir": [],
    "client|trackinginfo": [],
    "subscribe": [arg("channel", multiple=True)],
    "psubscribe": [block("pattern", arg("pattern", "pattern"), multiple=True)],
    "ssubscribe": [arg("shardchannel", multiple=True)],
    "unsubscribe": [arg("channel", optional=True, multiple=True)],
    "punsubscribe": [arg("pattern", "pattern", optional=True, multiple=True)],
    "sunsubscribe": [arg("shardchannel", optional=True, multiple=True)],
    "publish": [arg("channel"), arg("message")],
    "spublish": [arg("shardchannel"), arg("message")],
    "pubsub": [],
    "pubsub|channels": [arg("pattern", "pattern", optional=True)],
    "pubsub|shardchannels": [arg("pattern", "pattern", optional=True)],
    "pubsub|numsub": [arg("channel", optional=True, multiple=True)],
    "pubsub|shardnumsub": [arg("shardchannel", optional=True, multiple=True)],
    "pubsub|numpat": [],
    "pubsub|help": [],
    "append": [key(), arg("value")],
    "auth": [arg("username", optional=True, since="6.0.0"), arg("password")],
    "bgrewriteaof": [],
    "bgsave": [token("schedule", "SCHEDULE", optional=True, since="3.2.2")],
    "client": [],
    "client|getname": [],
    "client|help": [],
    "client|id": [],
    "client|info": [],
    "client|kill": [
        oneof(
            "filter",
            arg("old-format", display="ip:port", deprecated_since="2.8.12"),
            oneof(
                "new-format",
                integer("client-id", token="ID", optional=True, since="2.8.12"),
                oneof(
                    "client-type",
                    token("normal", "normal"),
                    token("master", "master", since="3.2.0"),
                    token("slave", "slave"),
                    token("replica", "replica", since="5.0.0"),
                    token("pubsub", "pubsub"),
                    token="TYPE",
                    optional=True,
                    since="2.8.12",
                ),
                arg("username", token="USER", optional=True),
                arg("addr", token="ADDR", display="ip:port", optional=True),
                arg("laddr", token="LADDR", display="ip:port", optional=True, since="6.2.0"),
                oneof(
                    "skipme",
                    token("yes", "YES"),
                    token("no", "NO"),
                    token="SKIPME",
                    optional=True,
                ),
                multiple=True,
            ),
        )
    ],
    "client|list": [
        oneof(
            "client-type",
            token("normal", "normal"),
            token("master", "master"),
            token("replica", "replica"),
            token("pubsub", "pubsub"),
            token="TYPE",
            optional=True,
            since="5.0.0",
        ),
        integer("client-id", token="ID", optional=True, multiple=True, since="6.2.0"),
    ],
    "client|no-evict": _on_off(),
    "client|no-touch": _on_off(),
    "client|setinfo": [
        oneof("attr", arg("libname", token="LIB-NAME"), arg("libver", token="LIB-VER"))
    ],
    "client|setname": [arg("connection-name")],
    "command": [],
    "command|count": [],
    "command|docs": _COMMAND_NAMES,
    "command|getkeys": _GETKEYS,
    "command|getkeysandflags": _GETKEYS,
    "command|help": [],
    "command|info": _COMMAND_NAMES,
    "command|list": [
        oneof(
            "filterby",
            arg("module-name", token="MODULE"),
            arg("category", token="ACLCAT"),
            arg("pattern", "pattern", token="PATTERN"),
            token="FILTERBY",
            optional=True,
        )
    ],
    "config": [],
    "config|get": [arg("parameter", multiple=True)],
    "config|help": [],
    "config|resetstat": [],
    "config|rewrite": [],
    "config|set": [block("data", arg("parameter"), arg("value"), multiple=True)],
    "copy": [
        key("source"),
        key("destination", 1),
        integer("destination-db", token="DB", optional=True),
        token("replace", "REPLACE", optional=True),
    ],
    "dbsize": [],
    "acl": [],
    "acl|cat": [arg("category", optional=True)],
    "acl|deluser": [arg("username", multiple=True)],
    "acl|dryrun": [arg("username"), arg("command"), arg("arg", optional=True, multiple=True)],
    "acl|genpass": [integer("bits", optional=True)],
    "acl|getuser": [arg("username")],
    "acl|help": [],
    "acl|list": [],
    "acl|load": [],
    "acl|log": [
        oneof(
            "operation", integer("count"), arg("reset", "pure-token", token="RESET"), optional=True
        )
    ],
    "acl|save": [],
    "acl|setuser": [arg("username"), arg("rule", optional=True, multiple=True)],
    "acl|users": [],
    "acl|whoami": [],
    "debug": [],
    "latency": [],
    "latency|doctor": [],
    "latency|graph": [arg("event")],
    "latency|help": [],
    "latency|history": [arg("event")],
    "latency|latest": [],
    "latency|reset": [arg("event", optional=True, multiple=True)],
    "monitor": [],
    "slowlog": [],
    "slowlog|get": [integer("count", optional=True)],
    "slowlog|help": [],
    "slowlog|len": [],
    "slowlog|reset": [],
    "decr": _KEY,
    "decrby": [key(), integer("decrement")],
    "del": _KEYS,
    "discard": [],
    "dump": _KEY,
    "echo": [arg("message")],
    "exec": [],
    "exists": _KEYS,
    "expire": [key(), integer("seconds"), _expire_condition()],
    "expireat": [key(), arg("unix-time-seconds", "unix-time"), _expire_condition()],
    "expiretime": _KEY,
    # Ferrite's own command (docs/persistence.md): no Redis JSON to follow.
    "ferrite.restore": [
        key(),
        arg("type-name"),
        integer("encver"),
        arg("payload"),
        arg("unix-time-milliseconds", "unix-time", token="PXAT", optional=True),
        arg("module-name", token="MODULE", optional=True),
    ],
    # Redis 7.0.15's argument names; the empty-string token spelled '""' as in 7.2's JSON
    "migrate": [
        arg("host"),
        integer("port"),
        oneof("key_or_empty_string", key("key"), token("empty_string", '""')),
        integer("destination-db"),
        integer("timeout"),
        token("copy", "COPY", optional=True, since="3.0.0"),
        token("replace", "REPLACE", optional=True, since="3.0.0"),
        oneof(
            "authentication",
            arg("password", token="AUTH", optional=True, since="4.0.7"),
            block(
                "username_password",
                arg("username"),
                arg("password"),
                token="AUTH2",
                optional=True,
                since="6.0.0",
            ),
            optional=True,
        ),
        key("key", 1, token="KEYS", optional=True, multiple=True, since="3.0.6"),
    ],
    "restore": [
        key(),
        integer("ttl"),
        arg("serialized-value"),
        token("replace", "REPLACE", optional=True, since="3.0.0"),
        token("absttl", "ABSTTL", optional=True, since="5.0.0"),
        integer("seconds", token="IDLETIME", optional=True, since="5.0.0"),
        integer("frequency", token="FREQ", optional=True, since="5.0.0"),
    ],
    "flushall": [_flush_type(async_since="4.0.0", sync_since="6.2.0")],
    "flushdb": [_flush_type(async_since="4.0.0", sync_since="6.2.0")],
    "eval": _SCRIPT_CALL("script"),
    "eval_ro": _SCRIPT_CALL("script"),
    "evalsha": _SCRIPT_CALL("sha1"),
    "evalsha_ro": _SCRIPT_CALL("sha1"),
    "fcall": _SCRIPT_CALL("function"),
    "fcall_ro": _SCRIPT_CALL("function"),
    "function": [],
    "function|delete": [arg("library-name")],
    "function|dump": [],
    "function|flush": [_flush_type()],
    "function|help": [],
    "function|kill": [],
    "function|load": [token("replace", "REPLACE", optional=True), arg("function-code")],
    "function|restore": [
        arg("serialized-value"),
        oneof(
            "policy",
            token("flush", "FLUSH"),
            token("append", "APPEND"),
            token("replace", "REPLACE"),
            optional=True,
        ),
    ],
    "function|list": [
        arg("library-name-pattern", token="LIBRARYNAME", optional=True),
        token("withcode", "WITHCODE", optional=True),
    ],
    "function|stats": [],
    "get": _KEY,
    "getdel": _KEY,
    "getex": [
        key(),
        oneof(
            "expiration",
            integer("seconds", token="EX"),
            integer("milliseconds", token="PX"),
            arg("unix-time-seconds", "unix-time", token="EXAT"),
            arg("unix-time-milliseconds", "unix-time", token="PXAT"),
            token("persist", "PERSIST"),
            optional=True,
        ),
    ],
    "getrange": _RANGE,
    "getset": [key(), arg("value")],
    "hello": [
        block(
            "arguments",
            integer("protover"),
            block(
                "auth",
                arg("username"),
                arg("password"),
                token="AUTH",
                optional=True,
            ),
            arg("clientname", token="SETNAME", optional=True),
            optional=True,
        )
    ],
    "incr": _KEY,
    "incrby": [key(), integer("increment")],
    "incrbyfloat": [key(), arg("increment", "double")],
    "info": [arg("section", optional=True, multiple=True)],
    "keys": [arg("pattern", "pattern")],
    "lastsave": [],
    "lcs": [
        key("key1"),
        key("key2"),
        token("len", "LEN", optional=True),
        token("idx", "IDX", optional=True),
        integer("min-match-len", token="MINMATCHLEN", optional=True),
        token("withmatchlen", "WITHMATCHLEN", optional=True),
    ],
    "lolwut": [integer("version", token="VERSION", optional=True)],
    "memory": [],
    "memory|doctor": [],
    "memory|help": [],
    "memory|malloc-stats": [],
    "memory|purge": [],
    "memory|stats": [],
    "memory|usage": [key(), integer("count", token="SAMPLES", optional=True)],
    "mget": _KEYS,
    "module": [],
    "module|help": [],
    "module|list": [],
    "module|load": [arg("path"), arg("arg", optional=True, multiple=True)],
    "module|loadex": [
        arg("path"),
        block(
            "configs",
            arg("name"),
            arg("value"),
            token="CONFIG",
            optional=True,
            multiple=True,
            multiple_token=True,
        ),
        arg("args", token="ARGS", optional=True, multiple=True),
    ],
    "module|unload": [arg("name")],
    "move": [key(), integer("db")],
    "mset": _key_value_pairs(),
    "msetnx": _key_value_pairs(),
    "multi": [],
    "object": [],
    "object|encoding": _KEY,
    "object|freq": _KEY,
    "object|help": [],
    "object|idletime": _KEY,
    "object|refcount": _KEY,
    "persist": _KEY,
    "pexpire": [key(), integer("milliseconds"), _expire_condition()],
    "pexpireat": [key(), arg("unix-time-milliseconds", "unix-time"), _expire_condition()],
    "pexpiretime": _KEY,
    "ping": [arg("message", optional=True)],
    "psetex": [key(), integer("milliseconds"), arg("value")],
    "pttl": _KEY,
    "quit": [],
    "randomkey": [],
    "rename": [key(), key("newkey", 1)],
    "renamenx": [key(), key("newkey", 1)],
    "reset": [],
    "save": [],
    "scan": [
        integer("cursor"),
        arg("pattern", "pattern", token="MATCH", optional=True),
        integer("count", token="COUNT", optional=True),
        arg("type", token="TYPE", optional=True, since="6.0.0"),
    ],
    "script": [],
    "script|debug": [oneof("mode", token("yes", "YES"), token("sync", "SYNC"), token("no", "NO"))],
    "script|load": [arg("script")],
    "script|exists": [arg("sha1", multiple=True)],
    "script|flush": [_flush_type(since="6.2.0")],
    "script|help": [],
    "script|kill": [],
    "select": [integer("index")],
    "set": [
        key(),
        arg("value"),
        oneof(
            "condition",
            token("nx", "NX", since="2.6.12"),
            token("xx", "XX", since="2.6.12"),
            optional=True,
        ),
        token("get", "GET", optional=True, since="6.2.0"),
        oneof(
            "expiration",
            integer("seconds", token="EX", since="2.6.12"),
            integer("milliseconds", token="PX", since="2.6.12"),
            arg("unix-time-seconds", "unix-time", token="EXAT", since="6.2.0"),
            arg("unix-time-milliseconds", "unix-time", token="PXAT", since="6.2.0"),
            token("keepttl", "KEEPTTL", since="6.0.0"),
            optional=True,
        ),
    ],
    "setex": [key(), integer("seconds"), arg("value")],
    "setnx": [key(), arg("value")],
    "setrange": [key(), integer("offset"), arg("value")],
    "shutdown": [
        oneof(
            "abort-selector",
            block(
                "save-selector-block",
                oneof(
                    "save-selector",
                    token("nosave", "NOSAVE"),
                    token("save", "SAVE"),
                    optional=True,
                ),
                token("now", "NOW", optional=True, since="7.0.0"),
                token("force", "FORCE", optional=True, since="7.0.0"),
            ),
            token("abort", "ABORT", since="7.0.0"),
            optional=True,
        )
    ],
    "strlen": _KEY,
    "substr": _RANGE,
    "swapdb": [integer("index1"), integer("index2")],
    "time": [],
    "touch": _KEYS,
    "ttl": _KEY,
    "type": _KEY,
    "unlink": _KEYS,
    "unwatch": [],
    "watch": _KEYS,
    **_BITS_GEO_ARGUMENTS,
}


def _deprecated(since: str, replaced_by: str) -> dict[str, Any]:
    return {"doc_flags": ("deprecated",), "deprecated_since": since, "replaced_by": replaced_by}


#: Command-level doc fields Redis 7.2 sets for the built-ins that are deprecated.
DOC_DEPRECATIONS: dict[str, dict[str, Any]] = {
    "georadius": _deprecated(
        "6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"
    ),
    "georadius_ro": _deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument"),
    "georadiusbymember": _deprecated(
        "6.2.0",
        "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
    ),
    "georadiusbymember_ro": _deprecated(
        "6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments"
    ),
    "getset": _deprecated("6.2.0", "`SET` with the `!GET` argument"),
    "psetex": _deprecated("2.6.12", "`SET` with the `PX` argument"),
    "quit": _deprecated("7.2.0", "just closing the connection"),
    "setex": _deprecated("2.6.12", "`SET` with the `EX` argument"),
    "setnx": _deprecated("2.6.12", "`SET` with the `NX` argument"),
    "substr": _deprecated("2.0.0", "`GETRANGE`"),
}

DOC_ARGUMENTS.update(SET_ZSET_DOC_ARGUMENTS)
DOC_ARGUMENTS.update(BLOCKING_DOC_ARGUMENTS)
DOC_DEPRECATIONS.update(SET_ZSET_DOC_DEPRECATIONS)

# -- lists and hashes --------------------------------------------------------------------------


def _side(name: str) -> Arg:
    return oneof(name, token("left", "LEFT"), token("right", "RIGHT"))


_ELEMENTS = [key(), arg("element", multiple=True)]
_POP = [key(), integer("count", optional=True, since="6.2.0")]
_FIELD = [key(), arg("field")]
_FIELDS = [key(), arg("field", multiple=True)]
_FIELD_VALUES = [key(), block("data", arg("field"), arg("value"), multiple=True)]
_MOVE_KEYS = [key("source"), key("destination", 1)]

DOC_ARGUMENTS.update(
    {
        "lpush": _ELEMENTS,
        "rpush": _ELEMENTS,
        "lpushx": _ELEMENTS,
        "rpushx": _ELEMENTS,
        "lpop": _POP,
        "rpop": _POP,
        "llen": _KEY,
        "lrange": [key(), integer("start"), integer("stop")],
        "lindex": [key(), integer("index")],
        "lset": [key(), integer("index"), arg("element")],
        "linsert": [
            key(),
            oneof("where", token("before", "BEFORE"), token("after", "AFTER")),
            arg("pivot"),
            arg("element"),
        ],
        "lrem": [key(), integer("count"), arg("element")],
        "ltrim": [key(), integer("start"), integer("stop")],
        "lpos": [
            key(),
            arg("element"),
            integer("rank", token="RANK", optional=True),
            integer("num-matches", token="COUNT", optional=True),
            integer("len", token="MAXLEN", optional=True),
        ],
        "lmove": [*_MOVE_KEYS, _side("wherefrom"), _side("whereto")],
        "rpoplpush": _MOVE_KEYS,
        "lmpop": [
            integer("numkeys"),
            key(multiple=True),
            _side("where"),
            integer("count", token="COUNT", optional=True),
        ],
        "hset": _FIELD_VALUES,
        "hmset": _FIELD_VALUES,
        "hsetnx": [key(), arg("field"), arg("value")],
        "hget": _FIELD,
        "hmget": _FIELDS,
        "hdel": _FIELDS,
        "hexists": _FIELD,
        "hlen": _KEY,
        "hstrlen": _FIELD,
        "hkeys": _KEY,
        "hvals": _KEY,
        "hgetall": _KEY,
        "hincrby": [key(), arg("field"), integer("increment")],
        "hincrbyfloat": [key(), arg("field"), arg("increment", "double")],
        "hrandfield": [
            key(),
            block(
                "options",
                integer("count"),
                token("withvalues", "WITHVALUES", optional=True),
                optional=True,
            ),
        ],
        "hscan": [
            key(),
            integer("cursor"),
            arg("pattern", "pattern", token="MATCH", optional=True),
            integer("count", token="COUNT", optional=True),
        ],
    }
)
DOC_DEPRECATIONS.update(
    {
        "hmset": _deprecated("4.0.0", "`HSET` with multiple field-value pairs"),
        "rpoplpush": _deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    }
)
