"""Distances and the cells a radius or box search scans, as Redis computes them.

A search looks at the cell holding the centre plus its eight neighbours, at a precision
(step) estimated from the radius; cells that cannot intersect the shape are dropped. The
order in which cells are visited is the order of unsorted results, so it follows Redis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ferrite_host.geo.geohash import ZERO, Area, Bits, decode, encode, neighbours

EARTH_RADIUS = 6372797.560856
MERCATOR_MAX = 20037726.37
_D_R = math.pi / 180.0


def deg_rad(angle: float) -> float:
    return angle * _D_R


def rad_deg(angle: float) -> float:
    return angle / _D_R


def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS * abs(deg_rad(lat2) - deg_rad(lat1))


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Haversine great-circle distance in metres (Redis's Earth radius)."""
    lon1r, lon2r = deg_rad(lon1), deg_rad(lon2)
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r, lat2r = deg_rad(lat1), deg_rad(lat2)
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Shape:
    """A search area around (longitude, latitude); sizes in the unit of `conversion`
    (metres per unit). A circle has `radius`; a box has `width` and `height`."""

    longitude: float
    latitude: float
    conversion: float
    radius: float = 0.0
    width: float = 0.0
    height: float = 0.0
    is_box: bool = False

    def distance_if_inside(self, longitude: float, latitude: float) -> float | None:
        """Metres from the centre to a point inside the shape, None when outside."""
        if not self.is_box:
            found = distance(self.longitude, self.latitude, longitude, latitude)
            return None if found > self.radius * self.conversion else found
        if lat_distance(latitude, self.latitude) > self.height * self.conversion / 2:
            return None
        across = distance(longitude, latitude, self.longitude, latitude)
        if across > self.width * self.conversion / 2:
            return None
        return distance(self.longitude, self.latitude, longitude, latitude)


def bounding_box(shape: Shape) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) around the shape."""
    if shape.is_box:
        height = shape.conversion * (shape.height / 2)
        width = shape.conversion * (shape.width / 2)
    else:
        height = width = shape.conversion * shape.radius
    lat = shape.latitude
    lat_delta = rad_deg(height / EARTH_RADIUS)
    long_delta_top = rad_deg(width / EARTH_RADIUS / math.cos(deg_rad(lat + lat_delta)))
    long_delta_bottom = rad_deg(width / EARTH_RADIUS / math.cos(deg_rad(lat - lat_delta)))
    delta = long_delta_bottom if lat < 0 else long_delta_top
    return shape.longitude - delta, lat - lat_delta, shape.longitude + delta, lat + lat_delta


def estimate_step(range_meters: float, latitude: float) -> int:
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2
    if latitude > 66 or latitude < -66:
        step -= 1
        if latitude > 80 or latitude < -80:
            step -= 1
    return min(max(step, 1), 26)


_ORDER = (
    "north",
    "south",
    "east",
    "west",
    "north_east",
    "north_west",
    "south_east",
    "south_west",
)


def search_cells(shape: Shape) -> list[Bits]:
    """The centre cell then its neighbours in Redis's order; ZERO marks a dropped one."""
    min_lon, min_lat, max_lon, max_lat = bounding_box(shape)
    if shape.is_box:
        half_w, half_h = shape.width / 2, shape.height / 2
        radius = math.sqrt(half_w * half_w + half_h * half_h)
    else:
        radius = shape.radius
    radius *= shape.conversion
    step = estimate_step(radius, shape.latitude)
    centre, around, area = _cells_at(shape, step)
    north, south = decode(around["north"]), decode(around["south"])
    east, west = decode(around["east"]), decode(around["west"])
    if step > 1 and (
        north.lat_max < max_lat
        or south.lat_min > min_lat
        or east.lon_max < max_lon
        or west.lon_min > min_lon
    ):
        step -= 1
        centre, around, area = _cells_at(shape, step)
    if step >= 2:
        dropped: set[str] = set()
        if area.lat_min < min_lat:
            dropped |= {"south", "south_west", "south_east"}
        if area.lat_max > max_lat:
            dropped |= {"north", "north_east", "north_west"}
        if area.lon_min < min_lon:
            dropped |= {"west", "south_west", "north_west"}
        if area.lon_max > max_lon:
            dropped |= {"east", "south_east", "north_east"}
        for name in dropped:
            around[name] = ZERO
    return [centre, *(around[name] for name in _ORDER)]


def _cells_at(shape: Shape, step: int) -> tuple[Bits, dict[str, Bits], Area]:
    centre = encode(shape.longitude, shape.latitude, step) or Bits(0, step)
    return centre, neighbours(centre), decode(centre)
