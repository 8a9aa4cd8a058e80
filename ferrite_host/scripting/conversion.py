"""Redis's conversion rules between command replies and Lua values, both ways.

Reply -> Lua depends on the script's protocol (`redis.setresp`): under RESP2 a map arrives as
a flat array, a double as a string, a null as `false`; under RESP3 they become
`{map=...}`, `{double=...}`, `nil` and so on. Lua -> reply is the same in both, and the
encoder then renders the value tree for the caller's own protocol.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ferrite_host.protocol.encoder import format_double
from ferrite_host.protocol.replies import (
    BigNumber,
    Error,
    NoReply,
    NullArray,
    Push,
    SetReply,
    SimpleString,
    Verbatim,
)

if TYPE_CHECKING:
    from ferrite_host.scripting.sandbox import LuaSandbox

_LUA_TABLE = "_LuaTable"
_INT64_MIN = -(2**63)


def is_table(value: Any) -> bool:
    return type(value).__name__ == _LUA_TABLE


class ReplyToLua:
    """Turns one command's reply tree into Lua values for the script's protocol."""

    def __init__(self, sandbox: LuaSandbox) -> None:
        self.sandbox = sandbox
        self.table_from = sandbox.runtime.table_from
        self.new_table = sandbox.runtime.table

    def convert(self, reply: Any, resp: int) -> Any:
        kind = type(reply)
        if kind is bytes:
            return reply
        if kind is int:
            return reply
        if kind is SimpleString:
            return self._field(b"ok", reply.encode())
        if kind is list or kind is tuple or kind is Push:
            return self.table_from([self.convert(item, resp) for item in reply])
        if reply is None or kind is NullArray:
            return None if resp == 3 else False
        if kind is Error:
            return self.error(reply)
        if kind is bool:
            return reply if resp == 3 else int(reply)
        if kind is float:
            if resp == 3:
                return self._field(b"double", reply)
            return format_double(reply)
        if isinstance(reply, dict):
            return self._map(reply, resp)
        if isinstance(reply, (set, frozenset, SetReply)):
            return self._set(reply, resp)
        if isinstance(reply, BigNumber):
            text = str(reply).encode()
            return self._field(b"big_number", text) if resp == 3 else text
        if isinstance(reply, Verbatim):
            if resp != 3:
                return reply.data
            inner = self.new_table()
            inner[b"format"] = reply.fmt.encode()
            inner[b"string"] = reply.data
            return self._field(b"verbatim_string", inner)
        if isinstance(reply, (bytearray, memoryview)):
            return bytes(reply)
        if isinstance(reply, int):
            return int(reply)
        if isinstance(reply, str):
            return reply.encode()
        if isinstance(reply, NoReply):
            return None if resp == 3 else False
        return self.convert(list(reply), resp)

    def error(self, message: str) -> Any:
        return self._field(b"err", message.encode())

    def _field(self, name: bytes, value: Any) -> Any:
        table = self.new_table()
        table[name] = value
        return table

    def _map(self, reply: dict[Any, Any], resp: int) -> Any:
        if resp != 3:
            flat: list[Any] = []
            for key, value in reply.items():
                flat.append(self.convert(key, resp))
                flat.append(self.convert(value, resp))
            return self.table_from(flat)
        inner = self.new_table()
        for key, value in reply.items():
            inner[self.convert(key, resp)] = self.convert(value, resp)
        return self._field(b"map", inner)

    def _set(self, reply: Any, resp: int) -> Any:
        if resp != 3:
            return self.table_from([self.convert(item, resp) for item in reply])
        inner = self.new_table()
        for item in reply:
            inner[self.convert(item, resp)] = True
        return self._field(b"set", inner)


class LuaTableReader:
    """Reads a script's returned tables as Redis does (lua_rawget): a metatable is never
    consulted, so an `__index` can neither run code (a `redis.call`) nor fail the
    conversion (a read-only proxy such as `_G` refusing unknown names)."""

    def __init__(self, runtime: Any) -> None:
        real = runtime.globals()
        self._rawget = real[b"rawget"]
        self._getmetatable = real[b"getmetatable"]

    def getter(self, table: Any) -> Callable[[Any], Any]:
        if self._getmetatable(table) is None:
            return table.__getitem__  # type: ignore[no-any-return]
        rawget = self._rawget
        return lambda key: rawget(table, key)


def lua_to_reply(value: Any, resp: int, reader: LuaTableReader) -> Any:
    """A script's return value as a reply tree (`resp` is the script's `setresp`)."""
    if value is None:
        return None
    kind = type(value)
    if kind is bytes:
        return value
    if kind is bool:
        if resp == 3:
            return value
        return 1 if value else None
    if kind is int:
        return _clamp(value)
    if kind is float:
        return _number_to_int(value)
    if is_table(value):
        return _table_to_reply(value, resp, reader)
    return None  # functions, userdata, threads: Redis answers a null


def _table_to_reply(table: Any, resp: int, reader: LuaTableReader) -> Any:
    get = reader.getter(table)
    err = get(b"err")
    if isinstance(err, bytes):
        return Error(_one_line(err))
    ok = get(b"ok")
    if isinstance(ok, bytes):
        return SimpleString(_one_line(ok))
    double = get(b"double")
    if isinstance(double, (int, float)) and not isinstance(double, bool):
        return float(double)
    big = get(b"big_number")
    if isinstance(big, bytes):
        return BigNumber(_one_line(big).replace(" ", ""))
    mapping = get(b"map")
    if is_table(mapping):
        return {
            lua_to_reply(key, resp, reader): lua_to_reply(item, resp, reader)
            for key, item in mapping.items()
        }
    members = get(b"set")
    if is_table(members):
        return SetReply([lua_to_reply(key, resp, reader) for key, _ in members.items()])
    verbatim = get(b"verbatim_string")
    if is_table(verbatim):
        text, fmt = verbatim[b"string"], verbatim[b"format"]
        if isinstance(text, bytes) and isinstance(fmt, bytes):
            return Verbatim(text, fmt.decode("utf-8", "replace"))
    items: list[Any] = []
    index = 1
    while True:
        item = get(index)
        if item is None:
            return items
        items.append(lua_to_reply(item, resp, reader))
        index += 1


def _one_line(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape").replace("\r", " ").replace("\n", " ")


def _number_to_int(value: float) -> int:
    """C's (long long) cast as Redis's x86 build does it: NaN and overflow give INT64_MIN."""
    if math.isnan(value) or math.isinf(value) or not -(2.0**63) <= value < 2.0**63:
        return _INT64_MIN
    return int(value)


def _clamp(value: int) -> int:
    if -(2**63) <= value < 2**63:
        return value
    return _INT64_MIN


def lua_to_argument(value: Any) -> bytes | None:
    """A `redis.call` argument as bytes (numbers as Lua prints them), None if not allowed."""
    kind = type(value)
    if kind is bytes:
        return value  # type: ignore[no-any-return]
    if kind is int or kind is float:
        return lua_number_text(value)
    return None


def lua_number_text(value: float) -> bytes:
    """How Lua 5.1 turns a number into a string (`%.14g`)."""
    if isinstance(value, float):
        if math.isnan(value):
            return b"nan" if math.copysign(1, value) > 0 else b"-nan"
        if math.isinf(value):
            return b"inf" if value > 0 else b"-inf"
    return b"%.14g" % value
