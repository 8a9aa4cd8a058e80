"""Strict number parsing and formatting, as Redis's string2ll / string2ld / d2string do it.

Kept apart from everything else because the protocol parser, the built-in commands and the
module API all need the exact same rules.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

LLONG_MIN = -(2**63)
LLONG_MAX = 2**63 - 1


def parse_int(data: bytes | bytearray | str) -> int | None:
    """Parse a signed 64-bit integer the way Redis does, or return None.

    No sign but `-`, no spaces, no leading zeros, no overflow: `+1`, ` 1`, `01` and `-0` all fail.
    """
    if isinstance(data, str):
        data = data.encode("latin-1", "replace")
    size = len(data)
    if size == 0 or size > 20:
        return None
    start = 1 if data[0] == 0x2D else 0
    if start == size:
        return None
    first = data[start]
    if first == 0x30:
        return 0 if size == 1 else None
    if not 0x31 <= first <= 0x39 or not data[start:].isdigit():
        return None
    value = int(data)
    if value < LLONG_MIN or value > LLONG_MAX:
        return None
    return value


def parse_float(data: bytes | bytearray | str, allow_inf: bool = True) -> float | None:
    """Parse a double as Redis's strtold-based helpers do: no spaces, no NaN, no hex."""
    if isinstance(data, (bytes, bytearray)):
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            return None
    else:
        text = data
    if (
        not text
        or text != text.strip()
        or "_" in text
        or text.lower().startswith(("0x", "-0x", "+0x"))
    ):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if math.isnan(value) or (not allow_inf and math.isinf(value)):
        return None
    return value


def format_float(value: float) -> bytes:
    """Human-friendly double text, as INCRBYFLOAT and module doubles print them."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if value.is_integer() and abs(value) < 1e17:
        return b"%d" % int(value)
    text = f"{value:.17g}"
    shortest = repr(value)
    if "e" not in shortest and "e" not in text:
        return shortest.encode()
    return text.encode()


def to_bytes(value: object) -> bytes:
    """A value as Redis would send it: text as UTF-8, numbers in Redis's spelling."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool):
        return b"1" if value else b"0"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        return format_float(value)
    raise TypeError(f"expected str, bytes, int or float, got {type(value).__name__}")


# -- long doubles ---------------------------------------------------------------------

# INCRBYFLOAT computes in x87 80-bit long double and prints with "%.17Lf" (then trims
# zeros), so results are emulated exactly with Fractions: parse as strtold does, round each
# value to a 64-bit significand, format with 17 decimals. Plain doubles would answer
# 0.30000000000000004 where Redis answers 0.3.

_LD_SIGNIFICAND = 64
_LD_MIN_SHIFT = -16382 - (_LD_SIGNIFICAND - 1)  # weight of the smallest subnormal's bit
_LD_MAX_BITS = 16384  # values at or above 2**16384 overflow to infinity
_LD_MAX_CHARS = 5 * 1024  # Redis's MAX_LONG_DOUBLE_CHARS input limit
_C_SPACE = b" \t\n\v\f\r"
_DECIMAL_RE = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_HEX_RE = re.compile(
    rb"([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?"
)
_INF_RE = re.compile(rb"[+-]?inf(?:inity)?", re.IGNORECASE)


class LongDoubleOverflow(Exception):
    """The value is (or rounded to) an infinity."""


def round_long_double(exact: Fraction) -> Fraction:
    """Round to the nearest long double (ties to even); raises LongDoubleOverflow on overflow."""
    if exact == 0:
        return exact
    num, den = abs(exact.numerator), exact.denominator
    exponent = num.bit_length() - den.bit_length()
    if (num << max(-exponent, 0)) < (den << max(exponent, 0)):
        exponent -= 1
    shift = max(exponent - (_LD_SIGNIFICAND - 1), _LD_MIN_SHIFT)
    if shift >= 0:
        quotient, rest = divmod(num, den << shift)
        half = den << shift
    else:
        quotient, rest = divmod(num << -shift, den)
        half = den
    if 2 * rest > half or (2 * rest == half and quotient & 1):
        quotient += 1
    if quotient.bit_length() + shift > _LD_MAX_BITS:
        raise LongDoubleOverflow
    magnitude = Fraction(quotient << shift) if shift >= 0 else Fraction(quotient, 1 << -shift)
    return -magnitude if exact < 0 else magnitude


def _exact_decimal(text: bytes) -> Fraction | None:
    """The exact value of a decimal literal, or None when strtold would report a range error."""
    mantissa = text.lower().partition(b"e")[0]
    if not mantissa.strip(b"+-.0"):
        return Fraction(0)  # zero with any exponent is plain zero, not a range error
    try:
        number = Decimal(text.decode("ascii"))
    except ArithmeticError:  # an exponent too large even for Decimal: out of range anyway
        return None
    if number.adjusted() > 4940 or number.adjusted() < -4960:
        return None  # far outside long double's range: overflow or underflow to zero
    return Fraction(number)


def _exact_hex(match: re.Match[bytes]) -> Fraction | None:
    sign, whole, frac, only_frac, power = match.groups()
    digits = (whole or b"") + (frac or only_frac or b"")
    mantissa = int(digits, 16)
    if not mantissa:
        return Fraction(0)
    power = power or b"0"
    exponent = int(power) if len(power) < 9 else (-(10**9) if power.startswith(b"-") else 10**9)
    exponent -= 4 * len(frac or only_frac or b"")
    if not -20000 < exponent + mantissa.bit_length() < 20000:
        return None
    value = Fraction(mantissa << exponent) if exponent >= 0 else Fraction(mantissa, 1 << -exponent)
    return -value if sign == b"-" else value


def parse_long_double(data: bytes | bytearray) -> Fraction | float | None:
    """A string read as Redis's string2ld reads it: a long double, +-inf (float), or None.

    Leading space, trailing garbage, NaN and range errors (overflow, underflow to zero) are
    refused; hex floats and "inf" are accepted, as strtold accepts them.
    """
    if not data or len(data) >= _LD_MAX_CHARS or data[0] in _C_SPACE:
        return None
    text = bytes(data)  # an embedded NUL is trailing garbage: no pattern below accepts it
    if _INF_RE.fullmatch(text):
        return float("-inf") if text.startswith(b"-") else float("inf")
    hex_match = _HEX_RE.fullmatch(text)
    if hex_match:
        exact = _exact_hex(hex_match)
    elif _DECIMAL_RE.fullmatch(text):
        exact = _exact_decimal(text)
    else:
        return None
    if exact is None:
        return None
    try:
        value = round_long_double(exact)
    except LongDoubleOverflow:
        return None
    if value == 0 and exact != 0:
        return None
    return value


def format_long_double(value: Fraction) -> bytes:
    """printf("%.17Lf") with trailing zeros (and a bare point) removed; "-0" becomes "0"."""
    scaled = value * 10**17
    quotient, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and quotient & 1):
        quotient += 1
    negative = quotient < 0
    whole, frac = divmod(abs(quotient), 10**17)
    text = f"{Decimal(whole)}.{frac:017d}".rstrip("0").rstrip(".")
    if negative and text != "0":
        text = "-" + text
    return text.encode()
