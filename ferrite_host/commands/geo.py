"""Geo commands: points kept in a sorted set, scored by Redis's 52-bit geohash.

GEOADD stores `geohash.score_of(lon, lat)` as the member's score (so ZSCORE answers what
Redis answers); the other commands decode scores back to cell centres. Searches scan the
nine cells `geo.search.search_cells` picks, in Redis's order, so unsorted results come out
in the order Redis gives them. GEOADD is propagated as itself (not rewritten to ZADD).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import (
    GEO_UNIT,
    arg,
    block,
    double,
    geosearch_shape,
    key_arg,
    oneof,
    radius_arguments,
    token,
    unit_oneof,
)
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.geo import geohash
from ferrite_host.geo.search import Shape, distance, search_cells
from ferrite_host.keyspace.events import ZSET
from ferrite_host.keyspace.zsets import ZSetValue
from ferrite_host.protocol.replies import DoubleText, NullArray
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ferrite_host.core.session import Session

family = Family("geo")
command = family.command


def _keyword_spec(flags: str, keyword: str, start: int) -> dict[str, Any]:
    """A key found after a keyword (GEORADIUS's STORE / STOREDIST), as Redis declares it."""
    return {
        "flags": flags.split(),
        "begin_search": {"type": "keyword", "spec": {"keyword": keyword, "startfrom": start}},
        "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
    }


def _store_specs(start: int) -> list[dict[str, Any]]:
    return [
        key_spec("RO ACCESS"),
        _keyword_spec("OW UPDATE", "STORE", start),
        _keyword_spec("OW UPDATE", "STOREDIST", start),
    ]


UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
BAD_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
BAD_MEMBER = "ERR could not decode requested zset member"

_HEX = re.compile(rb"^[+-]?0[xX]")
_DIGITS = re.compile(rb"[1-9]")


# -- argument parsing --------------------------------------------------------------------


def parse_double(raw: bytes, message: str = errors.NOT_FLOAT) -> float:
    """A double as Redis's strtod-based parser takes it: hex and inf accepted; NaN, spaces,
    overflow to infinity and underflow to zero refused."""
    error = CommandError(message)
    if not raw or raw[:1].isspace() or raw[-1:].isspace() or b"_" in raw:
        raise error
    try:
        text = raw.decode("ascii")
        value = float.fromhex(text) if _HEX.match(raw) else float(text)
    except (UnicodeDecodeError, ValueError, OverflowError):
        raise error from None
    if math.isnan(value):
        raise error
    mantissa = re.split(rb"[eEpP]", raw, maxsplit=1)[0]
    if math.isinf(value) and b"inf" not in raw.lower():
        raise error
    if value == 0.0 and _DIGITS.search(mantissa[2:] if _HEX.match(raw) else mantissa):
        raise error
    return value


def _lon_lat(longitude: bytes, latitude: bytes) -> tuple[float, float]:
    lon, lat = parse_double(longitude), parse_double(latitude)
    if not (
        geohash.LONG_MIN <= lon <= geohash.LONG_MAX and geohash.LAT_MIN <= lat <= geohash.LAT_MAX
    ):
        raise CommandError(f"ERR invalid longitude,latitude pair {lon:f},{lat:f}")
    return lon, lat


def _unit(raw: bytes) -> float:
    unit = UNITS.get(raw.lower())
    if unit is None:
        raise CommandError(BAD_UNIT)
    return unit


def _radius(raw: bytes, unit: bytes) -> tuple[float, float]:
    """(radius, metres per unit) from GEORADIUS's or BYRADIUS's two arguments."""
    radius = parse_double(raw, "ERR need numeric radius")
    if radius < 0:
        raise CommandError("ERR radius cannot be negative")
    return radius, _unit(unit)


def _box(width: bytes, height: bytes, unit: bytes) -> tuple[float, float, float]:
    w = parse_double(width, "ERR need numeric width")
    h = parse_double(height, "ERR need numeric height")
    if h < 0 or w < 0:
        raise CommandError("ERR height or width cannot be negative")
    return w, h, _unit(unit)


# -- replies -------------------------------------------------------------------------------


def human_double(value: float) -> DoubleText:
    """A coordinate as Redis prints it: 17 decimals, trailing zeros dropped."""
    text = format(Decimal(value).quantize(Decimal(1).scaleb(-17), ROUND_HALF_EVEN), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return DoubleText("0" if text == "-0" else text)


def distance_reply(metres: float) -> bytes:
    return b"%.4f" % metres


# -- reading the sorted set --------------------------------------------------------------


def _zset_at(session: Session, key: bytes) -> ZSetValue | None:
    value = session.db.read(key)
    if value is not None and not isinstance(value, ZSetValue):
        raise CommandError(errors.WRONGTYPE)
    return value


def _in_score_range(zset: ZSetValue, low: int, high: int) -> Iterator[tuple[bytes, float]]:
    """(member, score) with low <= score < high, lowest first (members break ties)."""
    order = getattr(zset, "order", None)
    irange = getattr(order, "irange", None)
    if irange is not None:
        for score, member in irange((low,), (high,), inclusive=(True, False)):
            yield member, score
        return
    for member, score in zset:
        if score >= high:
            return
        if score >= low:
            yield member, score


# -- GEOADD / GEODIST / GEOHASH / GEOPOS ---------------------------------------------------


@command(
    "geoadd",
    -5,
    "write denyoom",
    keys=(1, 1, 1),
    since="3.2.0",
    summary=(
        "Adds one or more members to a geospatial index. The key is created if it doesn't exist."
    ),
    complexity=(
        "O(log(N)) for each item added, where N is the number of elements in the sorted set."
    ),
    key_specs=[key_spec("RW UPDATE")],
    arguments=[
        key_arg(),
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
            double("longitude"),
            double("latitude"),
            arg("member"),
            multiple=True,
        ),
    ],
)
def geoadd(session: Session, argv: list[bytes]) -> Any:
    flags = set()
    pos = 2
    while pos < len(argv) and argv[pos].lower() in (b"nx", b"xx", b"ch"):
        flags.add(argv[pos].lower())
        pos += 1
    rest = argv[pos:]
    if len(rest) % 3 or {b"nx", b"xx"} <= flags:
        raise CommandError(errors.SYNTAX)
    points = []
    for i in range(0, len(rest), 3):
        lon, lat = _lon_lat(rest[i], rest[i + 1])
        points.append((rest[i + 2], float(geohash.score_of(lon, lat))))
    if not points:
        raise CommandError(errors.SYNTAX)
    key = argv[1]
    db = session.db
    current = db.get(key)
    if current is not None and not isinstance(current, ZSetValue):
        raise CommandError(errors.WRONGTYPE)
    if current is None and b"xx" in flags:
        return 0
    zset = ZSetValue() if current is None else current
    added = changed = 0
    for member, score in points:
        old = zset.score(member)
        if old is None:
            if b"xx" not in flags:
                zset.add(member, score)
                added += 1
        elif b"nx" not in flags and old != score:
            zset.add(member, score)
            changed += 1
    if current is None:
        zset.update_encoding(db.limits)
        db.set(key, zset, event="zadd", cls=ZSET)
    elif added or changed:
        zset.update_encoding(db.limits)
        db.changed(key, "zadd", ZSET)
    if current is None or added or changed:  # nothing changed: nothing to replicate
        _propagate_as_zadd(session, argv[:pos], points)
    return added + changed if b"ch" in flags else added


def _propagate_as_zadd(
    session: Session, head: list[bytes], points: list[tuple[bytes, float]]
) -> None:
    """Replicate GEOADD as the ZADD it amounts to, as Redis does, once ZADD exists here
    (until then GEOADD itself is propagated, which replays the same)."""
    if session.state.commands.lookup(b"zadd") is None:
        return
    pairs = [part for member, score in points for part in (b"%d" % score, member)]
    session.replace_propagation([b"ZADD", *head[1:], *pairs])


@command(
    "geodist",
    -4,
    "readonly",
    keys=(1, 1, 1),
    since="3.2.0",
    summary="Returns the distance between two members of a geospatial index.",
    complexity="O(log(N))",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        arg("member1"),
        arg("member2"),
        unit_oneof("unit", *GEO_UNIT, optional=True),
    ],
)
def geodist(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 5:
        raise CommandError(errors.SYNTAX)
    to_metres = _unit(argv[4]) if len(argv) == 5 else 1.0
    zset = _zset_at(session, argv[1])
    if zset is None:
        return None
    first, second = zset.score(argv[2]), zset.score(argv[3])
    if first is None or second is None:
        return None
    lon1, lat1 = geohash.position_of(first)
    lon2, lat2 = geohash.position_of(second)
    return distance_reply(distance(lon1, lat1, lon2, lat2) / to_metres)


@command(
    "geohash",
    -2,
    "readonly",
    keys=(1, 1, 1),
    since="3.2.0",
    summary="Returns members from a geospatial index as geohash strings.",
    complexity=(
        "O(log(N)) for each member requested, where N is the number of elements in the sorted set."
    ),
    key_specs=[key_spec("RO ACCESS")],
    arguments=[key_arg(), arg("member", optional=True, multiple=True)],
)
def geohash_(session: Session, argv: list[bytes]) -> Any:
    zset = _zset_at(session, argv[1])
    replies: list[bytes | None] = []
    for member in argv[2:]:
        score = None if zset is None else zset.score(member)
        replies.append(None if score is None else geohash.standard_geohash(score))
    return replies


@command(
    "geopos",
    -2,
    "readonly",
    keys=(1, 1, 1),
    since="3.2.0",
    summary="Returns the longitude and latitude of members from a geospatial index.",
    complexity="O(N) where N is the number of members requested.",
    key_specs=[key_spec("RO ACCESS")],
    arguments=[key_arg(), arg("member", optional=True, multiple=True)],
)
def geopos(session: Session, argv: list[bytes]) -> Any:
    zset = _zset_at(session, argv[1])
    replies: list[Any] = []
    for member in argv[2:]:
        score = None if zset is None else zset.score(member)
        if score is None:
            replies.append(NullArray())
            continue
        lon, lat = geohash.position_of(score)
        replies.append([human_double(lon), human_double(lat)])
    return replies


# -- searches ------------------------------------------------------------------------------

RADIUS_COORDS, RADIUS_MEMBER, SEARCH, SEARCH_STORE, NO_STORE = 1, 2, 4, 8, 16


@dataclass
class _Search:
    """What a GEORADIUS* / GEOSEARCH* call asked for, parsed with Redis's rules."""

    longitude: float = 0.0
    latitude: float = 0.0
    radius: float = 0.0
    width: float = 0.0
    height: float = 0.0
    conversion: float = 1.0
    is_box: bool = False
    with_dist: bool = False
    with_hash: bool = False
    with_coord: bool = False
    any: bool = False
    sort: str = ""
    count: int = 0
    store_key: bytes | None = None
    store_dist: bool = False
    from_member: bool = False
    from_lonlat: bool = False
    by_radius: bool = False
    by_box: bool = False


def _centre_of(zset: ZSetValue, member: bytes) -> tuple[float, float]:
    score = zset.score(member)
    if score is None:
        raise CommandError(BAD_MEMBER)
    return geohash.position_of(score)


def _parse_search(argv: list[bytes], zset: ZSetValue | None, flags: int) -> tuple[_Search, int]:
    opts = _Search()
    if flags & RADIUS_COORDS:
        base = 6
        opts.longitude, opts.latitude = _lon_lat(argv[2], argv[3])
        opts.radius, opts.conversion = _radius(argv[4], argv[5])
    elif flags & RADIUS_MEMBER:
        base = 5
        if zset is not None:
            opts.longitude, opts.latitude = _centre_of(zset, argv[2])
            opts.radius, opts.conversion = _radius(argv[3], argv[4])
    else:
        base = 3 if flags & SEARCH_STORE else 2
        if flags & SEARCH_STORE:
            opts.store_key = argv[1]
    i, size = base, len(argv)
    while i < size:
        word = argv[i].lower()
        left = size - i - 1
        search = bool(flags & SEARCH)
        if word == b"withdist":
            opts.with_dist = True
        elif word == b"withhash":
            opts.with_hash = True
        elif word == b"withcoord":
            opts.with_coord = True
        elif word == b"any":
            opts.any = True
        elif word == b"asc":
            opts.sort = "asc"
        elif word == b"desc":
            opts.sort = "desc"
        elif word == b"count" and left >= 1:
            count = parse_int(argv[i + 1])
            if count is None:
                raise CommandError(errors.NOT_INTEGER)
            if count <= 0:
                raise CommandError("ERR COUNT must be > 0")
            opts.count = count
            i += 1
        elif word in (b"store", b"storedist") and left >= 1 and not flags & (NO_STORE | SEARCH):
            opts.store_key = argv[i + 1]
            opts.store_dist = word == b"storedist"
            i += 1
        elif word == b"storedist" and search and flags & SEARCH_STORE:
            opts.store_dist = True
        elif word == b"frommember" and left >= 1 and search and not opts.from_lonlat:
            if zset is not None:
                opts.longitude, opts.latitude = _centre_of(zset, argv[i + 1])
            opts.from_member = True
            i += 1
        elif word == b"fromlonlat" and left >= 2 and search and not opts.from_member:
            opts.longitude, opts.latitude = _lon_lat(argv[i + 1], argv[i + 2])
            opts.from_lonlat = True
            i += 2
        elif word == b"byradius" and left >= 2 and search and not opts.by_box:
            opts.radius, opts.conversion = _radius(argv[i + 1], argv[i + 2])
            opts.is_box = False
            opts.by_radius = True
            i += 2
        elif word == b"bybox" and left >= 3 and search and not opts.by_radius:
            opts.width, opts.height, opts.conversion = _box(argv[i + 1], argv[i + 2], argv[i + 3])
            opts.is_box = True
            opts.by_box = True
            i += 3
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    _check_search(argv, opts, flags)
    return opts, base


def _check_search(argv: list[bytes], opts: _Search, flags: int) -> None:
    name = argv[0].decode("utf-8", "replace")
    if opts.store_key is not None and (opts.with_dist or opts.with_hash or opts.with_coord):
        where = "GEOSEARCHSTORE" if flags & SEARCH_STORE else "STORE option in GEORADIUS"
        raise CommandError(
            f"ERR {where} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )
    if flags & SEARCH and not (opts.from_member or opts.from_lonlat):
        raise CommandError(
            f"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )
    if flags & SEARCH and not (opts.by_radius or opts.by_box):
        raise CommandError(f"ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")
    if opts.any and not opts.count:
        raise CommandError("ERR the ANY argument requires COUNT argument")


@dataclass
class _Point:
    member: bytes
    score: float
    longitude: float
    latitude: float
    metres: float


def _find(zset: ZSetValue, shape: Shape, limit: int) -> list[_Point]:
    """Points inside the shape, cell by cell in Redis's order; stops at `limit` (ANY)."""
    found: list[_Point] = []
    cells = search_cells(shape)
    last = 0
    for i, cell in enumerate(cells):
        if cell == geohash.ZERO:
            continue
        if last and cell == cells[last]:
            continue  # a huge radius can make neighbours coincide: scan each cell once
        if found and limit and len(found) >= limit:
            break
        low = geohash.align52(cell)
        high = geohash.align52(geohash.Bits(cell.bits + 1, cell.step))
        for member, score in _in_score_range(zset, low, high):
            lon, lat = geohash.position_of(score)
            metres = shape.distance_if_inside(lon, lat)
            if metres is None:
                continue
            found.append(_Point(member, score, lon, lat, metres))
            if limit and len(found) >= limit:
                break
        last = i
    return found


def _search(session: Session, argv: list[bytes], source: int, flags: int) -> Any:
    zset = _zset_at(session, argv[source])
    opts, _base = _parse_search(argv, zset, flags)
    db = session.db
    if zset is None:
        if opts.store_key is not None:
            db.delete(opts.store_key)
            return 0
        return []
    if opts.count and not opts.sort and not opts.any:
        opts.sort = "asc"
    shape = Shape(
        opts.longitude,
        opts.latitude,
        opts.conversion,
        radius=opts.radius,
        width=opts.width,
        height=opts.height,
        is_box=opts.is_box,
    )
    points = _find(zset, shape, opts.count if opts.any else 0)
    if opts.sort:
        points.sort(key=lambda point: point.metres, reverse=opts.sort == "desc")
    if opts.count:
        points = points[: opts.count]
    if opts.store_key is None:
        return [_point_reply(point, opts) for point in points]
    return _store(session, opts, points, flags)


def _point_reply(point: _Point, opts: _Search) -> Any:
    if not (opts.with_dist or opts.with_hash or opts.with_coord):
        return point.member
    reply: list[Any] = [point.member]
    if opts.with_dist:
        reply.append(distance_reply(point.metres / opts.conversion))
    if opts.with_hash:
        reply.append(int(point.score))
    if opts.with_coord:
        reply.append([human_double(point.longitude), human_double(point.latitude)])
    return reply


def _store(session: Session, opts: _Search, points: list[_Point], flags: int) -> int:
    db = session.db
    key = opts.store_key
    assert key is not None
    if not points:
        db.delete(key)
        return 0
    stored = ZSetValue()
    for point in points:
        stored.add(point.member, point.metres / opts.conversion if opts.store_dist else point.score)
    stored.update_encoding(db.limits)
    event = "geosearchstore" if flags & SEARCH else "georadiusstore"
    db.set(key, stored, event=event, cls=ZSET)
    return len(points)


_SEARCH_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements inside the bounding box of the circular "
    "area delimited by center and radius and M is the number of items inside the index."
)
_BOX_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area "
    "around the shape provided as the filter and M is the number of items inside the shape"
)


@command(
    "georadius",
    -6,
    "write denyoom movablekeys",
    keys=(1, 1, 1),
    since="3.2.0",
    summary=(
        "Queries a geospatial index for members within a distance from a coordinate, "
        "optionally stores the result."
    ),
    complexity=_SEARCH_COMPLEXITY,
    key_specs=_store_specs(6),
    arguments=radius_arguments(by_member=False, with_store=True),
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
)
def georadius(session: Session, argv: list[bytes]) -> Any:
    return _search(session, argv, 1, RADIUS_COORDS)


@command(
    "georadius_ro",
    -6,
    "readonly",
    keys=(1, 1, 1),
    since="3.2.10",
    summary=(
        "Returns members from a geospatial index that are within a distance from a coordinate."
    ),
    complexity=_SEARCH_COMPLEXITY,
    key_specs=[key_spec("RO ACCESS")],
    arguments=radius_arguments(by_member=False, with_store=False),
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` with the `BYRADIUS` argument",
)
def georadius_ro(session: Session, argv: list[bytes]) -> Any:
    return _search(session, argv, 1, RADIUS_COORDS | NO_STORE)


@command(
    "georadiusbymember",
    -5,
    "write denyoom movablekeys",
    keys=(1, 1, 1),
    since="3.2.0",
    summary=(
        "Queries a geospatial index for members within a distance from a member, "
        "optionally stores the result."
    ),
    complexity=_SEARCH_COMPLEXITY,
    key_specs=_store_specs(5),
    arguments=radius_arguments(by_member=True, with_store=True),
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
)
def georadiusbymember(session: Session, argv: list[bytes]) -> Any:
    return _search(session, argv, 1, RADIUS_MEMBER)


@command(
    "georadiusbymember_ro",
    -5,
    "readonly",
    keys=(1, 1, 1),
    since="3.2.10",
    summary="Returns members from a geospatial index that are within a distance from a member.",
    complexity=_SEARCH_COMPLEXITY,
    key_specs=[key_spec("RO ACCESS")],
    arguments=radius_arguments(by_member=True, with_store=False),
    deprecated_since="6.2.0",
    replaced_by="`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
)
def georadiusbymember_ro(session: Session, argv: list[bytes]) -> Any:
    return _search(session, argv, 1, RADIUS_MEMBER | NO_STORE)


@command(
    "geosearch",
    -7,
    "readonly",
    keys=(1, 1, 1),
    since="6.2.0",
    summary="Queries a geospatial index for members inside an area of a box or a circle.",
    complexity=_BOX_COMPLEXITY,
    key_specs=[key_spec("RO ACCESS")],
    arguments=[
        key_arg(),
        *geosearch_shape(),
        token("withcoord", "WITHCOORD", optional=True),
        token("withdist", "WITHDIST", optional=True),
        token("withhash", "WITHHASH", optional=True),
    ],
)
def geosearch(session: Session, argv: list[bytes]) -> Any:
    return _search(session, argv, 1, SEARCH)


@command(
    "geosearchstore",
    -8,
    "write denyoom",
    keys=(1, 2, 1),
    since="6.2.0",
    summary=(
        "Queries a geospatial index for members inside an area of a box or a circle, "
        "optionally stores the result."
    ),
    complexity=_BOX_COMPLEXITY,
    key_specs=[key_spec("OW UPDATE"), key_spec("RO ACCESS", index=2)],
    arguments=[
        key_arg("destination", 0),
        key_arg("source", 1),
        *geosearch_shape(),
        token("storedist", "STOREDIST", optional=True),
    ],
)
def geosearchstore(session: Session, argv: list[bytes]) -> Any:
    return _search(session, argv, 2, SEARCH | SEARCH_STORE)
