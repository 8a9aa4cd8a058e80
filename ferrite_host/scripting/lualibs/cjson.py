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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


_INT_MAX = 2**31 - 1


@dataclass
class CjsonSettings:
    """What `cjson.encode_max_depth(...)` and friends set. As lua-cjson's, they live with the
    Lua state: a script's change holds for the scripts after it (until SCRIPT FLUSH)."""

    encode_max_depth: int = MAX_DEPTH
    decode_max_depth: int = MAX_DEPTH
    encode_number_precision: int = 14
    #: "off", "on" (write inf/nan as they print) or "null".
    encode_invalid_numbers: str = "off"
    decode_invalid_numbers: str = "on"
    encode_keep_buffer: str = "on"
    sparse: list[Any] = field(default_factory=lambda: ["off", SPARSE_RATIO, SPARSE_SAFE])


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
    def __init__(self, is_null: Any, settings: CjsonSettings) -> None:
        self.is_null = is_null
        self.settings = settings

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

    def _number(self, value: float) -> bytes:
        settings = self.settings
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            if settings.encode_invalid_numbers == "null":
                return b"null"
            if settings.encode_invalid_numbers == "off":
                raise JsonError("Cannot serialise number: must not be NaN or Inf")
            return b"nan" if math.isnan(value) else b"inf" if value > 0 else b"-inf"
        if settings.encode_number_precision != 14:
            return b"%.*g" % (settings.encode_number_precision, value)
        return lua_number_text(value)

    def _table(self, table: Any, out: list[bytes], depth: int) -> None:
        if depth > self.settings.encode_max_depth:
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
    def __init__(self, sandbox: LuaSandbox, null: Any, settings: CjsonSettings) -> None:
        self.sandbox = sandbox
        self.null = null
        self.settings = settings
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
        if depth > self.settings.decode_max_depth:
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
            if match is not None and not self._refused_number(match.group()):
                self.pos = match.end()
                return "T_NUMBER", _number(match.group()), pos
        return "T_ERROR", None, pos

    def _refused_number(self, token: bytes) -> bool:
        """With decode_invalid_numbers off, inf, nan and hexadecimal are invalid tokens."""
        if self.settings.decode_invalid_numbers == "on":
            return False
        body = token.lstrip(b"-+").lower()
        return body.startswith((b"inf", b"nan", b"0x"))

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
    settings = CjsonSettings()
    encoder = Encoder(is_null(null), settings)
    decoder = Decoder(sandbox, null, settings)

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

    table = sandbox.table()
    table[b"encode"] = sandbox.lua_error_function(encode)
    table[b"decode"] = sandbox.lua_error_function(decode)
    table[b"null"] = null
    table[b"_NAME"] = b"cjson"
    table[b"_VERSION"] = b"2.1.0"
    for name, low, high in (
        ("encode_max_depth", 1, _INT_MAX),
        ("decode_max_depth", 1, _INT_MAX),
        ("encode_number_precision", 1, 14),
    ):
        table[name.encode()] = sandbox.lua_error_function(
            _integer_option(settings, name, low, high)
        )
    for name, choices in (
        ("encode_invalid_numbers", ("off", "on", "null")),
        ("decode_invalid_numbers", ("off", "on")),
        ("encode_keep_buffer", ("off", "on")),
    ):
        table[name.encode()] = sandbox.lua_error_function(_enum_option(settings, name, choices))
    table[b"encode_sparse_array"] = sandbox.lua_error_function(_sparse_option(settings))
    table[b"new"] = sandbox.lua_error_function(lambda *args: (True, table))
    return table


# -- the settings functions (lua-cjson's json_integer_option / json_enum_option) ---------------

Option = Callable[..., tuple[Any, ...]]


def _bad(position: int, name: str, why: str) -> tuple[bool, bytes]:
    return False, f"bad argument #{position} to '{name}' ({why})".encode()


def _check_integer(value: Any, position: int, name: str, low: int, high: int) -> tuple[bool, Any]:
    if isinstance(value, bytes):
        try:
            value = float(value)
        except ValueError:
            return _bad(position, name, "number expected, got string")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _bad(position, name, f"number expected, got {_lua_type(value)}")
    number = int(value)
    if not low <= number <= high:
        return _bad(position, name, f"expected integer between {low} and {high}")
    return True, number


def _check_choice(
    value: Any, position: int, name: str, choices: tuple[str, ...]
) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return True, "on" if value else "off"
    if isinstance(value, (int, float)):
        value = lua_number_text(value)
    if not isinstance(value, bytes):
        return _bad(position, name, f"string expected, got {_lua_type(value)}")
    text = value.decode("utf-8", "replace")
    if text not in choices:
        return _bad(position, name, f"invalid option '{text}'")
    return True, text


def _choice_reply(choice: str) -> Any:
    return choice == "on" if choice in ("on", "off") else choice.encode()


def _integer_option(settings: CjsonSettings, name: str, low: int, high: int) -> Option:
    def option(*args: Any) -> tuple[Any, ...]:
        if len(args) > 1:
            return _bad(2, name, "found too many arguments")
        if args and args[0] is not None:
            ok, number = _check_integer(args[0], 1, name, low, high)
            if not ok:
                return ok, number
            setattr(settings, name, number)
        return True, getattr(settings, name)

    return option


def _enum_option(settings: CjsonSettings, name: str, choices: tuple[str, ...]) -> Option:
    def option(*args: Any) -> tuple[Any, ...]:
        if len(args) > 1:
            return _bad(2, name, "found too many arguments")
        if args and args[0] is not None:
            ok, choice = _check_choice(args[0], 1, name, choices)
            if not ok:
                return ok, choice
            setattr(settings, name, choice)
        return True, _choice_reply(getattr(settings, name))

    return option


def _sparse_option(settings: CjsonSettings) -> Option:
    name = "encode_sparse_array"

    def option(*args: Any) -> tuple[Any, ...]:
        if len(args) > 3:
            return _bad(4, name, "found too many arguments")
        checks = (
            lambda v: _check_choice(v, 1, name, ("off", "on")),
            lambda v: _check_integer(v, 2, name, 0, _INT_MAX),
            lambda v: _check_integer(v, 3, name, 0, _INT_MAX),
        )
        for index, value in enumerate(args):
            if value is None:
                continue
            ok, checked = checks[index](value)
            if not ok:
                return ok, checked
            settings.sparse[index] = checked
        convert, ratio, safe = settings.sparse
        return True, _choice_reply(convert), ratio, safe

    return option
