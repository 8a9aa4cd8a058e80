"""Redis's 52-bit geohash: latitude in the even bits, longitude in the odd bits.

Redis indexes latitudes in the Web Mercator range (+-85.05112878) rather than +-90, so its
scores are not standard geohashes; GEOHASH re-encodes with the standard ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

STEP_MAX = 26
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
LONG_MIN, LONG_MAX = -180.0, 180.0
_M64 = (1 << 64) - 1
_EVEN = 0x5555555555555555
_ODD = 0xAAAAAAAAAAAAAAAA
ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"


@dataclass(frozen=True)
class Bits:
    """A geohash of `step` bits per coordinate; step 0 marks an excluded neighbour."""

    bits: int
    step: int


@dataclass(frozen=True)
class Area:
    """The cell a geohash names: its longitude and latitude bounds."""

    lon_min: float
    lon_max: float
    lat_min: float
    lat_max: float


ZERO = Bits(0, 0)


def _spread(value: int) -> int:
    """Put the 32 bits of `value` in the even bit positions of a 64-bit word."""
    value &= 0xFFFFFFFF
    value = (value | (value << 16)) & 0x0000FFFF0000FFFF
    value = (value | (value << 8)) & 0x00FF00FF00FF00FF
    value = (value | (value << 4)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value << 2)) & 0x3333333333333333
    return (value | (value << 1)) & _EVEN


def _squash(value: int) -> int:
    """The even bits of a 64-bit word packed into 32 bits (inverse of `_spread`)."""
    value &= _EVEN
    value = (value | (value >> 1)) & 0x3333333333333333
    value = (value | (value >> 2)) & 0x0F0F0F0F0F0F0F0F
    value = (value | (value >> 4)) & 0x00FF00FF00FF00FF
    value = (value | (value >> 8)) & 0x0000FFFF0000FFFF
    return (value | (value >> 16)) & 0x00000000FFFFFFFF


def encode(
    longitude: float,
    latitude: float,
    step: int = STEP_MAX,
    lat_range: tuple[float, float] = (LAT_MIN, LAT_MAX),
) -> Bits | None:
    """The geohash of a point, or None outside the indexable area."""
    if not (LONG_MIN <= longitude <= LONG_MAX and LAT_MIN <= latitude <= LAT_MAX):
        return None
    lat_lo, lat_hi = lat_range
    if not (lat_lo <= latitude <= lat_hi):
        return None
    lat_offset = (latitude - lat_lo) / (lat_hi - lat_lo) * (1 << step)
    long_offset = (longitude - LONG_MIN) / (LONG_MAX - LONG_MIN) * (1 << step)
    return Bits(_spread(int(lat_offset)) | (_spread(int(long_offset)) << 1), step)


def score_of(longitude: float, latitude: float) -> int:
    """The 52-bit sorted-set score GEOADD stores for a valid point."""
    hashed = encode(longitude, latitude)
    return 0 if hashed is None else hashed.bits << (52 - hashed.step * 2)


def decode(hashed: Bits) -> Area:
    lat_bits = _squash(hashed.bits)
    long_bits = _squash(hashed.bits >> 1)
    scale = float(1 << hashed.step)
    lat_span = LAT_MAX - LAT_MIN
    long_span = LONG_MAX - LONG_MIN
    return Area(
        lon_min=LONG_MIN + (long_bits * 1.0 / scale) * long_span,
        lon_max=LONG_MIN + ((long_bits + 1) * 1.0 / scale) * long_span,
        lat_min=LAT_MIN + (lat_bits * 1.0 / scale) * lat_span,
        lat_max=LAT_MIN + ((lat_bits + 1) * 1.0 / scale) * lat_span,
    )


def score_bits(score: float) -> int:
    """A score as C's (uint64_t) cast turns it into bits on x86-64, for sorted sets whose
    scores did not come from GEOADD (negative, huge or infinite ones)."""
    top = float(1 << 63)
    if score != score:
        return 1 << 63
    if score >= top:
        rest = score - top
        return 0 if rest >= top else int(rest) ^ (1 << 63)
    if score < -top:
        return 1 << 63
    return int(score) & _M64


def position_of(score: float) -> tuple[float, float]:
    """(longitude, latitude) of a stored score: the centre of its cell, clamped."""
    area = decode(Bits(score_bits(score), STEP_MAX))
    longitude = min(max((area.lon_min + area.lon_max) / 2, LONG_MIN), LONG_MAX)
    latitude = min(max((area.lat_min + area.lat_max) / 2, LAT_MIN), LAT_MAX)
    return longitude, latitude


def standard_geohash(score: float) -> bytes:
    """The 11-character geohash string GEOHASH answers (standard +-90 latitude range)."""
    longitude, latitude = position_of(score)
    hashed = encode(longitude, latitude, STEP_MAX, (-90.0, 90.0))
    bits = 0 if hashed is None else hashed.bits
    chars = [ALPHABET[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10)]
    return bytes(chars) + b"0"


def align52(hashed: Bits) -> int:
    return (hashed.bits << (52 - hashed.step * 2)) & _M64


def _move_x(hashed: Bits, direction: int) -> Bits:
    x = hashed.bits & _ODD
    y = hashed.bits & _EVEN
    zz = _EVEN >> (64 - hashed.step * 2)
    x = (x + zz + 1) & _M64 if direction > 0 else ((x | zz) - (zz + 1)) & _M64
    x &= _ODD >> (64 - hashed.step * 2)
    return Bits(x | y, hashed.step)


def _move_y(hashed: Bits, direction: int) -> Bits:
    x = hashed.bits & _ODD
    y = hashed.bits & _EVEN
    zz = _ODD >> (64 - hashed.step * 2)
    y = (y + zz + 1) & _M64 if direction > 0 else ((y | zz) - (zz + 1)) & _M64
    y &= _EVEN >> (64 - hashed.step * 2)
    return Bits(x | y, hashed.step)


def neighbours(hashed: Bits) -> dict[str, Bits]:
    """The eight cells around `hashed`, keyed by compass direction."""

    def moved(dx: int, dy: int) -> Bits:
        cell = hashed
        if dx:
            cell = _move_x(cell, dx)
        if dy:
            cell = _move_y(cell, dy)
        return cell

    return {
        "north": moved(0, 1),
        "south": moved(0, -1),
        "east": moved(1, 0),
        "west": moved(-1, 0),
        "north_east": moved(1, 1),
        "north_west": moved(-1, 1),
        "south_east": moved(1, -1),
        "south_west": moved(-1, -1),
    }
