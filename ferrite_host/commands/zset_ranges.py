"""How sorted-set commands read numbers and ranges: scores, `(`-exclusive score bounds,
`[`/`(`/`-`/`+` lex bounds, ranks. Kept apart so ZRANGE's family, SORT, GEO and the module
API read them with the same (Redis's strtod-based) rules."""

from __future__ import annotations

import math
import re

from ferrite_host.core.errors import CommandError
from ferrite_host.keyspace.zsets import LexRange, ScoreRange
from ferrite_host.keyspace.zsets import parse_lex_range as lex_range

SCORE_RANGE_ERROR = "ERR min or max is not a float"
LEX_RANGE_ERROR = "ERR min or max not valid string range item"

_DECIMAL = re.compile(rb"[+-]?(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE][+-]?\d+)?")
_HEX = re.compile(
    rb"[+-]?0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP][+-]?\d+)?"
)
_INFINITY = re.compile(rb"[+-]?(?:inf|infinity)", re.IGNORECASE)
_NAN = re.compile(rb"[+-]?nan(?:\([0-9A-Za-z_]*\))?", re.IGNORECASE)
_C_SPACE = b" \t\n\v\f\r"


def strtod(text: bytes) -> tuple[float, bool] | None:
    """`text` read whole by C's strtod: (value, out_of_range), or None when strtod would
    stop early. NaN spellings read as NaN; out_of_range is strtod's ERANGE (an overflow to
    infinity or an underflow to zero)."""
    if _INFINITY.fullmatch(text):
        return (-math.inf if text[:1] == b"-" else math.inf), False
    if _NAN.fullmatch(text):
        return math.nan, False
    match = _DECIMAL.fullmatch(text)
    if match is not None:
        value = float(text)
    else:
        match = _HEX.fullmatch(text)
        if match is None:
            return None
        value = float.fromhex(text.decode("ascii"))
    digits = b"".join(part for part in match.groups() if part)
    nonzero = digits.strip(b"0") != b""
    return value, math.isinf(value) or (value == 0.0 and nonzero)


def parse_score(raw: bytes) -> float | None:
    """A score argument as Redis's getDoubleFromObject reads it: no spaces, no NaN, no
    overflow or underflow; hex floats and inf are fine. None when invalid."""
    if not raw or raw[0] in _C_SPACE:
        return None
    parsed = strtod(raw)
    if parsed is None or parsed[1] or math.isnan(parsed[0]):
        return None
    return parsed[0]


def parse_score_or_error(raw: bytes, message: str = "ERR value is not a valid float") -> float:
    value = parse_score(raw)
    if value is None:
        raise CommandError(message)
    return value


def _range_bound(raw: bytes) -> tuple[float, bool] | None:
    exclusive = raw[:1] == b"("
    text = raw[1:] if exclusive else raw
    if not text:
        return 0.0, exclusive  # strtod reads nothing, and nothing is left: Redis takes 0
    stripped = text.lstrip(_C_SPACE)
    parsed = strtod(stripped) if stripped else None
    if parsed is None or math.isnan(parsed[0]):
        return None
    return parsed[0], exclusive


def parse_score_range(low: bytes, high: bytes) -> ScoreRange:
    """ZRANGEBYSCORE's min and max (`(` exclusive, `-inf`/`+inf`)."""
    first, last = _range_bound(low), _range_bound(high)
    if first is None or last is None:
        raise CommandError(SCORE_RANGE_ERROR)
    return ScoreRange(first[0], last[0], first[1], last[1])


def parse_lex_range(low: bytes, high: bytes) -> LexRange:
    """ZRANGEBYLEX's min and max (`[x` inclusive, `(x` exclusive, `-`, `+`)."""
    span = lex_range(low, high)
    if span is None:
        raise CommandError(LEX_RANGE_ERROR)
    return span


def rank_span(start: int, stop: int, size: int) -> tuple[int, int]:
    """Redis's rank range (negative counts from the end, clamped) as [lo, hi)."""
    if start < 0:
        start += size
    if stop < 0:
        stop += size
    start = max(start, 0)
    if start > stop or start >= size:
        return 0, 0
    return start, min(stop, size - 1) + 1
