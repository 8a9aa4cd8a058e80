"""Strict number parsing and formatting, as Redis's string2ll / string2ld / d2string do it.

Kept apart from everything else because the protocol parser, the built-in commands and the
module API all need the exact same rules.
"""

from __future__ import annotations

import math

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
