"""Builders for COMMAND DOCS `arguments`, in Redis's JSON vocabulary.

Declarations pass `arguments=[...]` built from these (or plain dicts with Redis's field
names: `name`, `type`, `display_text`, `key_spec_index`, `token`, `summary`, `since`,
`deprecated_since`, `flags`, `arguments`); introspection renders them in Redis's order. A
command Redis lists with no arguments declares `arguments=[]` (COMMAND DOCS then leaves the
field out, as Redis does).
"""

from __future__ import annotations

from typing import Any

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


def key_arg(name: str = "key", index: int = 0, **opts: Any) -> Arg:
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


def script_call(first: str) -> list[Arg]:
    return [
        arg(first),
        integer("numkeys"),
        key_arg(optional=True, multiple=True),
        arg("arg", optional=True, multiple=True),
    ]


def flush_type(async_since: str = "", sync_since: str = "", since: str = "") -> Arg:
    return oneof(
        "flush-type",
        token("async", "ASYNC", since=async_since),
        token("sync", "SYNC", since=sync_since),
        optional=True,
        since=since,
    )


def expire_condition() -> Arg:
    return oneof(
        "condition",
        token("nx", "NX"),
        token("xx", "XX"),
        token("gt", "GT"),
        token("lt", "LT"),
        optional=True,
        since="7.0.0",
    )


def on_off() -> list[Arg]:
    return [oneof("enabled", token("on", "ON"), token("off", "OFF"))]


def key_value_pairs() -> list[Arg]:
    return [block("data", key_arg(), arg("value"), multiple=True)]


KEY = [key_arg()]


KEYS = [key_arg(multiple=True)]


RANGE = [key_arg(), integer("start"), integer("end")]


COMMAND_NAMES = [arg("command-name", optional=True, multiple=True)]


GETKEYS = [arg("command"), arg("arg", optional=True, multiple=True)]


def double(name: str, **opts: Any) -> Arg:
    return arg(name, "double", **opts)


def unit_oneof(name: str = "unit", *units: str, **opts: Any) -> Arg:
    return oneof(name, *(token(u.lower(), u) for u in units), **opts)


BIT_UNIT = unit_oneof("unit", "BYTE", "BIT", optional=True, since="7.0.0")


GEO_UNIT = ("M", "KM", "FT", "MI")


BITFIELD_OPERAND = [arg("encoding"), integer("offset")]


def search_options(with_store: bool) -> list[Arg]:
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
                key_arg("storekey", 1, display="key", token="STORE"),
                key_arg("storedistkey", 2, display="key", token="STOREDIST"),
                optional=True,
            )
        )
    return options


def radius_arguments(by_member: bool, with_store: bool) -> list[Arg]:
    centre = [arg("member")] if by_member else [double("longitude"), double("latitude")]
    return [
        key_arg(),
        *centre,
        double("radius"),
        unit_oneof("unit", *GEO_UNIT),
        *search_options(with_store),
    ]


def geosearch_shape() -> list[Arg]:
    return [
        oneof(
            "from",
            arg("member", token="FROMMEMBER"),
            block("fromlonlat", double("longitude"), double("latitude"), token="FROMLONLAT"),
        ),
        oneof(
            "by",
            block("circle", double("radius", token="BYRADIUS"), unit_oneof("unit", *GEO_UNIT)),
            block(
                "box",
                double("width", token="BYBOX"),
                double("height"),
                unit_oneof("unit", *GEO_UNIT),
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


def side(name: str) -> Arg:
    return oneof(name, token("left", "LEFT"), token("right", "RIGHT"))


ELEMENTS = [key_arg(), arg("element", multiple=True)]


POP = [key_arg(), integer("count", optional=True, since="6.2.0")]


FIELD = [key_arg(), arg("field")]


FIELDS = [key_arg(), arg("field", multiple=True)]


FIELD_VALUES = [key_arg(), block("data", arg("field"), arg("value"), multiple=True)]


MOVE_KEYS = [key_arg("source"), key_arg("destination", 1)]


#: LIMIT offset count, as SORT and the ZRANGE family take it.
LIMIT: Arg = {
    "name": "offset_count",
    "type": "block",
    "token": "LIMIT",
    "flags": ["optional"],
    "arguments": [
        {"name": "offset", "type": "integer"},
        {"name": "count", "type": "integer"},
    ],
}


#: ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] (BZMPOP adds its timeout first).
ZMPOP_ARGUMENTS: list[Arg] = [
    {"name": "numkeys", "type": "integer"},
    {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
    {
        "name": "where",
        "type": "oneof",
        "arguments": [
            {"name": "min", "type": "pure-token", "token": "MIN"},
            {"name": "max", "type": "pure-token", "token": "MAX"},
        ],
    },
    {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]},
]


#: SSCAN and ZSCAN: key cursor [MATCH pattern] [COUNT count].
KEY_SCAN_ARGUMENTS: list[Arg] = [
    {"name": "key", "type": "key", "key_spec_index": 0},
    {"name": "cursor", "type": "integer"},
    {"name": "pattern", "type": "pattern", "token": "MATCH", "flags": ["optional"]},
    {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]},
]
