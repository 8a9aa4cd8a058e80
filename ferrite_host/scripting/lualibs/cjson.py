"""`cjson`: JSON encode/decode with lua-cjson 2.1's behaviour (as Redis bundles it).

Numbers are written with `%.14g`, `/` is escaped, tables become arrays only when every key
is a positive integer and the array is not excessively sparse, and errors use lua-cjson's
wording ("Expected comma or array end but found T_END at character 5").
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ferrite_host.scripting.conversion import is_table, lua_number_text

if TYPE_CHECKING:
    from ferrite_host.scripting.sandbox import LuaSandbox

NAME = "cjson"
MAX_DEPTH = 1000
SPARSE_RATIO, SPARSE_SAFE = 2, 10

_ESCAPES = {
    0x22: b'\\"',
    0x5C: b"\\\\",
    0x2F: b"\\/",
    0x08: b"\\b",
    0x0C: b"\\f",
    0x0A: b"\\n",
    0x0D: b"\\r",
    0x09: b"\\t",
}
_NEEDS_ESCAPE = re.compile(rb'["\\/\x00-\x1f\x7f]')


class JsonError(Exception):
    pass


def _lua_type(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, bytes):
        return "string"
    if is_table(value):
        return "table"
    name = type(value).__name__
    if name == "_LuaFunction":
        return "function"
    if name == "_LuaThread":
        return "thread"
    return "userdata"


def _escape_char(match: re.Match[bytes]) -> bytes:
    code = match.group()[0]
    return _ESCAPES.get(code) or b"\\u%04x" % code


class Encoder:
    def __init__(self, is_null: Any) -> None:
        self.is_null = is_null

    def encode(self, value: Any) -> bytes:
        out: list[bytes] = []
        self._value(value, out, 0)
        return b"".join(out)

    def _value(self, value: Any, out: list[bytes], depth: int) -> None:
        if value is None or (_is_userdata(value) and self.is_null(value)):
            out.append(b"null")
        elif isinstance(value, bool):
            out.append(b"true" if value else b"false")
        elif isinstance(value, (int, float)):
            out.append(self._number(value))
        elif isinstance(value, bytes):
            out.append(b'"' + _NEEDS_ESCAPE.sub(_escape_char, value) + b'"')
        elif is_table(value):
            self._table(value, out, depth + 1)
        else:
            raise JsonError(f"Cannot serialise {_lua_type(value)}: type not supported")

    @staticmethod
    def _number(value: float) -> bytes:
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise JsonError("Cannot serialise number: must not be NaN or Inf")
        return lua_number_text(value)

    def _table(self, table: Any, out: list[bytes], depth: int) -> None:
        if depth > MAX_DEPTH:
            raise JsonError(f"Cannot serialise, excessive nesting ({depth})")
        items = list(table.items())
        length = _array_length(items)
        if length > 0:
            out.append(b"[")
            for index in range(1, length + 1):
                if index > 1:
                    out.append(b",")
                self._value(table[index], out, depth)
            out.append(b"]")
            return
        out.append(b"{")
        first = True
        for key, item in items:
            if not first:
                out.append(b",")
            first = False
            if isinstance(key, bytes):
                out.append(b'"' + _NEEDS_ESCAPE.sub(_escape_char, key) + b'":')
            elif isinstance(key, (int, float)) and not isinstance(key, bool):
                out.append(b'"' + self._number(key) + b'":')
            else:
                raise JsonError(
                    f"Cannot serialise {_lua_type(key)}: table key must be a number or string"
                )
            self._value(item, out, depth)
        out.append(b"}")


def _is_userdata(value: Any) -> bool:
    return _lua_type(value) == "userdata"


def _array_length(items: list[tuple[Any, Any]]) -> int:
    """lua-cjson's test: the array length, or -1 for an object (0 = empty table)."""
    largest = 0
    for key, _ in items:
        if isinstance(key, bool) or not isinstance(key, (int, float)):
            return -1
        if key < 1 or key != math.floor(key):
            return -1
        largest = max(largest, int(key))
    if largest > SPARSE_SAFE and largest > len(items) * SPARSE_RATIO:
        raise JsonError("Cannot serialise table: excessively sparse array")
    return largest


# -- decoding --------------------------------------------------------------------------------

_WHITESPACE = b" \t\r\n"
_NUMBER = re.compile(
    rb"[-+]?(?:0[xX][0-9a-fA-F]+|inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)",
    re.IGNORECASE,
)


class Decoder:
    def __init__(self, sandbox: LuaSandbox, null: Any) -> None:
        self.sandbox = sandbox
        self.null = null
        self.text = b""
        self.pos = 0

    def decode(self, text: bytes) -> Any:
        self.text, self.pos = text, 0
        kind, value, start = self._token()
        result = self._value(kind, value, start, 1)
        kind, _, start = self._token()
        if kind != "T_END":
            raise self._expected("the end", kind, start)
        return result

    def _expected(self, what: str, kind: str, start: int) -> JsonError:
        found = "invalid token" if kind == "T_ERROR" else kind
        return JsonError(f"Expected {what} but found {found} at character {start + 1}")

    def _value(self, kind: str, value: Any, start: int, depth: int) -> Any:
        if kind in ("T_STRING", "T_NUMBER", "T_BOOLEAN"):
            return value
        if kind == "T_NULL":
            return self.null
        if kind == "T_OBJ_BEGIN":
            return self._object(start, depth)
        if kind == "T_ARR_BEGIN":
            return self._array(start, depth)
        raise self._expected("value", kind, start)

    def _nest(self, depth: int, start: int) -> None:
        if depth > MAX_DEPTH:
            raise JsonError(
                f"Found too many nested data structures ({depth}) at character {start + 1}"
            )

    def _array(self, start: int, depth: int) -> Any:
        self._nest(depth, start)
        items: list[Any] = []
        kind, value, start = self._token()
        if kind == "T_ARR_END":
            return self.sandbox.table()
        while True:
            items.append(self._value(kind, value, start, depth + 1))
            kind, _, start = self._token()
            if kind == "T_ARR_END":
                return self.sandbox.runtime.table_from(items)
            if kind != "T_COMMA":
                raise self._expected("comma or array end", kind, start)
            kind, value, start = self._token()

    def _object(self, start: int, depth: int) -> Any:
        self._nest(depth, start)
        table = self.sandbox.table()
        kind, value, start = self._token()
        if kind == "T_OBJ_END":
            return table
        while True:
            if kind != "T_STRING":
                raise self._expected("object key string", kind, start)
            key = value
            kind, _, start = self._token()
            if kind != "T_COLON":
                raise self._expected("colon", kind, start)
            kind, value, start = self._token()
            table[key] = self._value(kind, value, start, depth + 1)
            kind, _, start = self._token()
            if kind == "T_OBJ_END":
                return table
            if kind != "T_COMMA":
                raise self._expected("comma or object end", kind, start)
            kind, value, start = self._token()

    def _token(self) -> tuple[str, Any, int]:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        self.pos = pos
        if pos >= len(text):
            return "T_END", None, pos
        char = text[pos : pos + 1]
        simple = {
            b"{": "T_OBJ_BEGIN",
            b"}": "T_OBJ_END",
            b"[": "T_ARR_BEGIN",
            b"]": "T_ARR_END",
            b",": "T_COMMA",
            b":": "T_COLON",
        }.get(char)
        if simple is not None:
            self.pos = pos + 1
            return simple, None, pos
        if char == b'"':
            return "T_STRING", self._string(pos), pos
        for word, kind, value in (
            (b"true", "T_BOOLEAN", True),
            (b"false", "T_BOOLEAN", False),
            (b"null", "T_NULL", None),
        ):
            if text.startswith(word, pos):
                self.pos = pos + len(word)
                return kind, value, pos
        if char in b"-0123456789iInN":
            match = _NUMBER.match(text, pos)
            if match is not None:
                self.pos = match.end()
                return "T_NUMBER", _number(match.group()), pos
        return "T_ERROR", None, pos

    def _string(self, start: int) -> bytes:
        text = self.text
        pos = start + 1
        out = bytearray()
        while True:
            if pos >= len(text):
                raise JsonError(
                    f"Expected value but found unexpected end of string at character {pos + 1}"
                )
            byte = text[pos]
            if byte == 0x22:
                self.pos = pos + 1
                return bytes(out)
            if byte != 0x5C:
                out.append(byte)
                pos += 1
                continue
            escape = text[pos + 1 : pos + 2]
            simple = {
                b'"': b'"',
                b"\\": b"\\",
                b"/": b"/",
                b"b": b"\b",
                b"f": b"\f",
                b"n": b"\n",
                b"r": b"\r",
                b"t": b"\t",
            }.get(escape)
            if simple is not None:
                out += simple
                pos += 2
                continue
            if escape == b"u":
                code, pos = self._unicode(pos, start)
                out += chr(code).encode("utf-8", "surrogatepass")
                continue
            raise JsonError(f"Expected value but found invalid escape code at character {pos + 1}")

    def _unicode(self, pos: int, start: int) -> tuple[int, int]:
        text = self.text
        bad = JsonError(
            f"Expected value but found invalid unicode escape code at character {pos + 1}"
        )
        digits = text[pos + 2 : pos + 6]
        if len(digits) != 4 or not re.fullmatch(rb"[0-9a-fA-F]{4}", digits):
            raise bad
        code = int(digits, 16)
        pos += 6
        if 0xD800 <= code <= 0xDBFF:
            low = text[pos + 2 : pos + 6]
            if text[pos : pos + 2] != b"\\u" or not re.fullmatch(rb"[0-9a-fA-F]{4}", low):
                raise bad
            second = int(low, 16)
            if not 0xDC00 <= second <= 0xDFFF:
                raise bad
            code = 0x10000 + ((code - 0xD800) << 10) + (second - 0xDC00)
            pos += 6
        elif 0xDC00 <= code <= 0xDFFF:
            raise bad
        return code, pos


def _number(text: bytes) -> float:
    lowered = text.lower().lstrip(b"+")
    sign = -1.0 if lowered.startswith(b"-") else 1.0
    body = lowered.lstrip(b"-")
    if body.startswith(b"0x"):
        return sign * int(body[2:], 16)
    if body.startswith(b"inf"):
        return sign * math.inf
    if body.startswith(b"nan"):
        return math.nan
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


# -- the Lua table -----------------------------------------------------------------------------


@contextlib.contextmanager
def _deep_recursion() -> Iterator[None]:
    """Room for MAX_DEPTH nested tables (a few Python frames each)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, MAX_DEPTH * 4 + 200))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def build(sandbox: LuaSandbox) -> Any:
    null = sandbox.runtime.eval("newproxy()")
    is_null = sandbox.runtime.eval("function(null) return function(v) return v == null end end")
    encoder = Encoder(is_null(null))
    decoder = Decoder(sandbox, null)

    def encode(*args: Any) -> tuple[bool, Any]:
        if len(args) != 1:
            return False, b"bad argument #1 to 'encode' (expected 1 argument)"
        try:
            with _deep_recursion():
                return True, encoder.encode(args[0])
        except JsonError as exc:
            return False, str(exc).encode()

    def decode(*args: Any) -> tuple[bool, Any]:
        if len(args) != 1:
            return False, b"bad argument #1 to 'decode' (expected 1 argument)"
        text = args[0]
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = lua_number_text(text)
        if not isinstance(text, bytes):
            got = _lua_type(text)
            return False, f"bad argument #1 to 'decode' (string expected, got {got})".encode()
        try:
            with _deep_recursion():
                return True, decoder.decode(text)
        except JsonError as exc:
            return False, str(exc).encode()

    def setting(value: Any) -> Any:
        return lambda *args: (True, value)

    table = sandbox.table()
    table[b"encode"] = sandbox.lua_error_function(encode)
    table[b"decode"] = sandbox.lua_error_function(decode)
    table[b"null"] = null
    table[b"_NAME"] = b"cjson"
    table[b"_VERSION"] = b"2.1.0"
    for name, value in (
        ("encode_keep_buffer", True),
        ("encode_max_depth", MAX_DEPTH),
        ("decode_max_depth", MAX_DEPTH),
        ("encode_number_precision", 14),
        ("encode_invalid_numbers", False),
        ("decode_invalid_numbers", True),
    ):
        table[name.encode()] = sandbox.lua_error_function(setting(value))
    table[b"encode_sparse_array"] = sandbox.lua_error_function(
        lambda *args: (True, False, SPARSE_RATIO, SPARSE_SAFE)
    )
    table[b"new"] = sandbox.lua_error_function(lambda *args: (True, table))
    return table
