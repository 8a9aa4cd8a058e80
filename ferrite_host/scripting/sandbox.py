"""The Lua 5.1 state scripts run in, sandboxed the way Redis 7.0 sandboxes it.

Redis patches Lua with read-only tables; stock Lua 5.1 (lupa's) has none, so every table a
script can reach through a global (`_G` itself, `redis`, `string`, `math`, the libraries)
is an empty proxy whose metatable reads through to the real table and refuses writes.
The few functions that bypass metatables (`rawset`, `rawget`, `next`, `pairs`, `ipairs`,
`setmetatable`, `loadstring`, `load`) are replaced by versions that know the proxies, so a
script sees the same globals and the same errors as under Redis, and cannot leave state
behind for the next script.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import lupa.lua51 as lua51

#: Globals a script may read, as in Redis 7.0 (the libraries are added by the owner).
SAFE_GLOBALS = (
    "_VERSION",
    "assert",
    "collectgarbage",
    "coroutine",
    "error",
    "gcinfo",
    "getmetatable",
    "ipairs",
    "load",
    "loadstring",
    "math",
    "next",
    "pairs",
    "pcall",
    "rawequal",
    "rawget",
    "rawset",
    "select",
    "setmetatable",
    "string",
    "table",
    "tonumber",
    "tostring",
    "type",
    "unpack",
    "xpcall",
)

#: Our own Lua, run once per state with privileged access; it returns the toolkit below.
_BOOTSTRAP = r"""
local real_next, real_rawget, real_rawset = next, rawget, rawset
local real_setmetatable, real_loadstring, real_load = setmetatable, loadstring, load
local real_getinfo, real_sethook, real_type = debug.getinfo, debug.sethook, type
local READONLY = "Attempt to modify a readonly table"
local OWN_SOURCE = real_getinfo(1, "S").source
-- The frame errors are blamed on: the first Lua frame that is not ours (as Redis's handler
-- blames the first Lua frame; our wrappers are C functions in Redis).
local function user_frame(level)
  while true do
    local info = real_getinfo(level, "Sl")
    if not info then return nil end
    if info.what ~= "C" and info.source ~= OWN_SOURCE then return info end
    level = level + 1
  end
end
local real_of = real_setmetatable({}, {__mode = "k"})
local M = {}

-- A read-only view of `real`; `missing` (optional) is called for absent keys.
function M.readonly(real, missing)
  local proxy = {}
  local mt = {__metatable = {}}
  if missing then
    mt.__index = function(_, key)
      local value = real[key]
      if value == nil then
        local result = missing(key)  -- not a tail call: `missing` blames level 3
        return result
      end
      return value
    end
  else
    mt.__index = real
  end
  mt.__newindex = function() error(READONLY, 2) end
  real_setmetatable(proxy, mt)
  real_of[proxy] = real
  return proxy
end

local function unwrap(t) return real_of[t] or t end

function M.safe_functions(env)
  local function safe_next(t, k) return real_next(unwrap(t), k) end
  env.next = safe_next
  env.pairs = function(t) return safe_next, t, nil end
  env.ipairs = function(t)
    local real = unwrap(t)
    return function(_, i)
      i = i + 1
      local v = real[i]
      if v ~= nil then return i, v end
    end, t, 0
  end
  env.rawget = function(t, k) return real_rawget(unwrap(t), k) end
  env.rawset = function(t, k, v)
    if real_of[t] then error(READONLY, 0) end
    return real_rawset(t, k, v)
  end
  env.setmetatable = function(t, mt)
    if real_of[t] then error(READONLY, 0) end
    return real_setmetatable(t, mt)
  end
end

-- Chunks loaded by a script run in the script's own (read-only) globals.
function M.loaders(env, globals)
  env.loadstring = function(code, name)
    local f, err = real_loadstring(code, name)
    if f then setfenv(f, globals) end
    return f, err
  end
  env.load = function(reader, name)
    local f, err = real_load(reader, name)
    if f then setfenv(f, globals) end
    return f, err
  end
end

function M.compile(code, chunkname, globals)
  local f, err = real_loadstring(code, chunkname)
  if not f then return nil, err end
  setfenv(f, globals)
  return f
end

-- Redis's error shape: a table with `err`, plus where in the user's code it was raised.
local function where(err)
  if real_type(err) == "userdata" then err = M.unwrap(err) end
  if real_type(err) ~= "table" then
    err = {err = "ERR " .. tostring(err)}
  end
  local info = user_frame(1)
  if info then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end

M.error_handler = where

function M.run(f, ...)
  local args = {...}
  local n = select("#", ...)
  return xpcall(function() return f(unpack(args, 1, n)) end, where)
end

-- The instruction-count hook that lets the server regain control of a long script.
function M.set_hook(check, every)
  local hook
  hook = function()
    local running = real_getinfo(2, "S")
    if running and running.source == OWN_SOURCE then return end  -- never inside our own code
    local err = check()
    if err then
      -- From now on stop at every instruction, so a pcall cannot swallow the kill for long.
      real_sethook(hook, "", 1)
      error(err, 0)
    end
  end
  real_sethook(hook, "", every)
end

function M.clear_hook() real_sethook() end

function M.wrap(py)
  return function(...) return py(...) end
end

-- Where the user's code is now, as Lua prefixes error messages ("user_script:3:").
function M.position()
  local info = user_frame(1)
  if not info then return "" end
  return info.short_src .. ":" .. info.currentline .. ":"
end

-- pcall/xpcall as scripts see them: errors raised by our Python functions arrive as the
-- Lua value they stand for (a Redis error table, or a message), not as Python objects.
function M.protected_calls(env, unwrap)
  local real_pcall, real_xpcall = pcall, xpcall
  local function fix(n, ok, ...)
    if not ok then
      local err = ...
      if real_type(err) == "userdata" then return false, unwrap(err) end
    end
    return ok, ...
  end
  env.pcall = function(f, ...) return fix(select("#", ...), real_pcall(f, ...)) end
  env.xpcall = function(f, handler)
    return real_xpcall(f, function(err)
      if real_type(err) == "userdata" then err = unwrap(err) end
      return handler(err)
    end)
  end
end

return M
"""


class LuaSandbox:
    """One Lua state plus the environment scripts see (`globals`, read-only)."""

    def __init__(self, chunkname: str) -> None:
        self.runtime = lua51.LuaRuntime(
            encoding=None,
            register_eval=False,
            register_builtins=False,
            unpack_returned_tuples=True,
            attribute_filter=_no_attributes,
        )
        self.chunkname = chunkname
        self.toolkit: Any = self.runtime.execute(_BOOTSTRAP)
        self.toolkit[b"unwrap"] = _unwrap_error
        real = self.runtime.globals()
        #: The table behind the read-only `_G` scripts see (writable from Python only).
        self.env: Any = self.runtime.table()
        for name in SAFE_GLOBALS:
            self.env[name.encode()] = real[name.encode()]
        self.toolkit.safe_functions(self.env)
        self.toolkit.protected_calls(self.env, _unwrap_error)
        for name in ("math", "string", "table", "coroutine"):
            self.env[name.encode()] = self.readonly(real[name.encode()])
        missing = self.runtime.eval(
            'function(key) error("Script attempted to access nonexistent global variable \'"'
            ' .. tostring(key) .. "\'", 3) end'
        )
        self.globals: Any = self.toolkit.readonly(self.env, missing)
        self.env[b"_G"] = self.globals
        self.env[b"__redis__err__handler"] = self.toolkit.error_handler
        self.toolkit.loaders(self.env, self.globals)
        # Strings' methods (`("x"):upper()`) read the same read-only `string`.
        string_mt = self.runtime.eval('getmetatable("")')
        string_mt[b"__index"] = self.env[b"string"]

    def readonly(self, table: Any) -> Any:
        return self.toolkit.readonly(table)

    def table(self, items: Iterable[Any] = (), **fields: Any) -> Any:
        """A new Lua table: `items` at 1..n, then the named fields."""
        result = self.runtime.table_from(list(items))
        for key, value in fields.items():
            result[key.encode()] = value
        return result

    def function(self, py: Callable[..., Any]) -> Any:
        """A Lua function calling `py` (so `type()` says function, as for Redis's C API)."""
        return self.toolkit.wrap(py)

    def raising_function(self, py: Callable[..., tuple[bool, Any]]) -> Any:
        """A function for the `redis` table: `py` answers (True, value) or (False, Redis
        error table), which is raised. It is handed to Lua as the Python callable itself:
        a C-level call keeps the script's frame even in `return redis.call(...)`, so the
        error still says on which line of the script it happened."""

        def call(*args: Any) -> Any:
            ok, value = py(*args)
            if not ok:
                raise ScriptError(value)
            return value

        return PythonFunction(call)

    def lua_error_function(self, py: Callable[..., tuple[Any, ...]]) -> Any:
        """A library function: `py` answers (True, value) or (False, message); the message
        is raised with the script's position, as C libraries' errors are."""
        position = self.toolkit.position

        def call(*args: Any) -> Any:
            result = py(*args)
            if not result[0]:
                where = position()
                raise LibraryError(where + b" " + result[1] if where else result[1])
            return result[1] if len(result) == 2 else tuple(result[1:])

        return PythonFunction(call)

    def compile(self, code: bytes, chunkname: str | None = None, env: Any = None) -> Any:
        """The compiled chunk, or raise `CompileError` with Lua's message."""
        name = ("@" + (chunkname or self.chunkname)).encode()
        result = self.toolkit.compile(code, name, self.globals if env is None else env)
        if isinstance(result, tuple):
            raise CompileError(_text(result[1]))
        return result

    def run(self, function: Any, *args: Any) -> tuple[bool, Any]:
        """Call `function` protected: (True, return value) or (False, Redis error table)."""
        result = self.toolkit.run(function, *args)
        if not isinstance(result, tuple):
            return bool(result), None
        return bool(result[0]), result[1] if len(result) > 1 else None

    def set_hook(self, check: Callable[[], bytes | None], every: int) -> None:
        self.toolkit.set_hook(check, every)

    def clear_hook(self) -> None:
        self.toolkit.clear_hook()


class PythonFunction:
    """A Python callable as Lua sees it: `tostring` prints like a Lua function's."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)

    def __repr__(self) -> str:
        return f"function: 0x{id(self):012x}"

    __str__ = __repr__


class ScriptError(Exception):
    """Raised inside a Python function called from Lua: Lua sees `table` as the error."""

    def __init__(self, table: Any) -> None:
        super().__init__("script error")
        self.table = table


class LibraryError(Exception):
    """Raised inside a library function: Lua sees `message` (bytes) as the error."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message.decode("utf-8", "replace"))
        self.message = message


def _unwrap_error(error: Any) -> Any:
    """The Lua value a Python exception raised through Lua stands for."""
    if isinstance(error, ScriptError):
        return error.table
    if isinstance(error, LibraryError):
        return error.message
    return f"internal error: {type(error).__name__}: {error}".encode()


def _no_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    """Scripts get no access to Python attributes (they would escape the sandbox)."""
    raise AttributeError("access denied")


class CompileError(Exception):
    """Lua refused the code; the message is Lua's (`user_script:1: ...`)."""


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
