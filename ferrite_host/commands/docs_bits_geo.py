"""COMMAND DOCS `arguments` (and deprecations) of the bitmap, HyperLogLog and geo commands.

Same vocabulary as `docs_arguments` (Redis 7.2's src/commands/*.json shape); kept in its own
file so these families attach their docs without growing the shared table.
"""

from __future__ import annotations

from typing import Any

from ferrite_host.commands.docs_arguments import Arg, arg, block, integer, key, oneof, token
from ferrite_host.commands.spec import CommandSpec


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


ARGUMENTS: dict[str, list[Arg]] = {
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

_BYRADIUS = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"
_BYMEMBER = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments"
DEPRECATED: dict[str, str] = {
    "georadius": _BYRADIUS,
    "georadiusbymember": _BYMEMBER,
    "georadius_ro": "`GEOSEARCH` with the `BYRADIUS` argument",
    "georadiusbymember_ro": "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
}


def attach_docs(specs: list[CommandSpec]) -> None:
    """Give each spec its COMMAND DOCS arguments and, for GEORADIUS*, Redis's deprecation."""
    for spec in specs:
        spec.doc_arguments = ARGUMENTS.get(spec.name, spec.doc_arguments)
        if spec.name in DEPRECATED:
            spec.doc_flags = ("deprecated",)
            spec.deprecated_since = "6.2.0"
            spec.replaced_by = DEPRECATED[spec.name]
