"""Redis Functions: Lua libraries loaded with FUNCTION LOAD, their functions run by FCALL.

All libraries share one Lua engine (its own state, apart from EVAL's). A library's code
runs once at load time with only `redis.register_function`, `redis.log` and the version
constants visible, as in Redis; the functions it registered later see the full globals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ferrite_host.core.errors import CommandError
from ferrite_host.scripting.conversion import is_table, lua_number_text
from ferrite_host.scripting.engine import LuaEngine
from ferrite_host.scripting.flags import KNOWN_FLAGS, ScriptFlags
from ferrite_host.scripting.sandbox import CompileError

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.scripting.scripting import Scripting

_NAME = re.compile(rb"^[A-Za-z0-9_]+$")
BAD_NAME = (
    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
    "least one character long"
)
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"


@dataclass
class LuaFunction:
    name: str
    callback: Any
    flags: ScriptFlags
    description: bytes | None
    library: Library


@dataclass
class Library:
    name: str
    code: bytes
    functions: dict[str, LuaFunction] = field(default_factory=dict)


class RegistrationError(Exception):
    pass


class FunctionLibraries:
    def __init__(self, scripting: Scripting) -> None:
        self.scripting = scripting
        self.libraries: dict[str, Library] = {}
        #: Every function by lower-cased name (Redis looks them up case-insensitively).
        self.functions: dict[str, LuaFunction] = {}
        self._engine: LuaEngine | None = None
        #: The library whose FUNCTION LOAD is running (register_function works only then).
        self._loading: Library | None = None

    @property
    def engine(self) -> LuaEngine:
        if self._engine is None:
            self._engine = LuaEngine(self.scripting.state, "user_function", self.scripting.running)
        return self._engine

    # -- loading ---------------------------------------------------------------------------

    def load(self, code: bytes, replace: bool) -> str:
        """FUNCTION LOAD: compile and run the library code, register what it declared."""
        name, body = parse_metadata(code)
        old = self.libraries.get(name)
        if old is not None and not replace:
            raise CommandError(f"ERR Library '{name}' already exists")
        library = self._build(name, code, body)
        for fname in library.functions:
            owner = self.functions.get(fname.lower())
            if owner is not None and owner.library.name != name:
                raise CommandError(f"ERR Function {fname} already exists")
        self._install(library)
        return name

    def _build(self, name: str, code: bytes, body: bytes) -> Library:
        engine = self.engine
        sandbox = engine.sandbox
        library = Library(name, code)
        backing = sandbox.table()
        load_redis = sandbox.table()
        load_redis[b"register_function"] = sandbox.raising_function(
            lambda *args: self._register(library, *args)
        )
        load_redis[b"log"] = engine.redis_table[b"log"]
        engine.api.add_constants(load_redis)
        for constant in (b"REPL_NONE", b"REPL_AOF", b"REPL_SLAVE", b"REPL_REPLICA", b"REPL_ALL"):
            load_redis[constant] = None
        missing = sandbox.runtime.eval(
            'function(key) error("Script attempted to access nonexistent global variable \'"'
            ' .. tostring(key) .. "\'", 3) end'
        )
        backing[b"redis"] = sandbox.toolkit.readonly(load_redis, missing)
        env = sandbox.toolkit.readonly(backing, missing)
        try:
            chunk = sandbox.compile(body, env=env)
        except CompileError as exc:
            raise CommandError(f"ERR Error compiling function: {exc}") from None
        self._loading = library
        try:
            ok, error = sandbox.run(chunk)
        finally:
            self._loading = None
        if not ok:
            raise CommandError(f"ERR Error registering functions: {_error_text(error)}")
        if not library.functions:
            raise CommandError("ERR No functions registered")
        # From now on the library's code sees the full globals (and the full `redis`).
        backing[b"redis"] = None
        sandbox.runtime.eval("setmetatable")(backing, sandbox.table(__index=sandbox.env))
        return library

    def _register(self, library: Library, *args: Any) -> tuple[bool, Any]:
        if self._loading is not library:
            # A function that kept a reference to the load-time `redis` (Redis's own text,
            # without an ERR code).
            return False, self.engine.api.to_lua.error(
                "redis.register_function can only be called on FUNCTION LOAD command"
            )
        try:
            function = self._parse_registration(library, args)
        except RegistrationError as exc:
            return False, self.engine.api.to_lua.error(str(exc))
        if function.name in library.functions:
            return False, self.engine.api.to_lua.error("ERR Function already exists in the library")
        library.functions[function.name] = function
        return True, None

    def _parse_registration(self, library: Library, args: tuple[Any, ...]) -> LuaFunction:
        flags: frozenset[str] = frozenset()
        description: bytes | None = None
        if len(args) == 1:
            table = args[0]
            if not is_table(table):
                raise RegistrationError(
                    "ERR calling redis.register_function with a single argument is only "
                    "applicable to Lua table (representing named arguments)."
                )
            name = callback = None
            for key, value in table.items():
                if key == b"function_name":
                    name = value
                elif key == b"callback":
                    callback = value
                elif key == b"flags":
                    flags = _parse_flags(value)
                elif key == b"description":
                    description = value if isinstance(value, bytes) else None
                else:
                    raise RegistrationError("ERR unknown argument given to redis.register_function")
            if name is None:
                raise RegistrationError(
                    "ERR redis.register_function must get a function name argument"
                )
            if callback is None:
                raise RegistrationError("ERR redis.register_function must get a callback argument")
        elif len(args) == 2:
            name, callback = args
            if isinstance(name, (int, float)) and not isinstance(name, bool):
                name = lua_number_text(name)  # Lua turns a number into its text
            if not isinstance(name, bytes):
                raise RegistrationError(
                    "ERR first argument to redis.register_function must be a string"
                )
        else:
            raise RegistrationError("ERR wrong number of arguments to redis.register_function")
        if type(callback).__name__ != "_LuaFunction":
            raise RegistrationError(
                "ERR second argument to redis.register_function must be a function"
            )
        if not isinstance(name, bytes) or not _NAME.match(name):
            raise RegistrationError(BAD_NAME)
        text = name.decode()
        return LuaFunction(text, callback, ScriptFlags(flags, shebang=True), description, library)

    def _install(self, library: Library) -> None:
        self.delete(library.name, missing_ok=True)
        self.libraries[library.name] = library
        for function in library.functions.values():
            self.functions[function.name.lower()] = function

    def delete(self, name: str, missing_ok: bool = False) -> None:
        library = self.libraries.pop(name, None)
        if library is None:
            if missing_ok:
                return
            raise CommandError("ERR Library not found")
        for fname in library.functions:
            self.functions.pop(fname.lower(), None)

    def flush(self) -> None:
        self.libraries.clear()
        self.functions.clear()
        self._engine = None

    # -- calling ---------------------------------------------------------------------------

    def exists(self, name: bytes) -> bool:
        return name.decode("utf-8", "replace").lower() in self.functions

    def call(
        self,
        caller: Session,
        name: bytes,
        keys: list[bytes],
        args: list[bytes],
        read_only: bool,
        command: list[bytes],
    ) -> Any:
        function = self.functions.get(name.decode("utf-8", "replace").lower())
        if function is None:
            raise CommandError("ERR Function not found")
        engine = self.engine
        table_from = engine.sandbox.runtime.table_from
        return self.scripting.execute(
            caller,
            engine,
            function.callback,
            (table_from(keys), table_from(args)),
            function.name,
            function.flags,
            read_only,
            True,
            command,
        )

    # -- dump / restore --------------------------------------------------------------------

    def dump(self) -> bytes:
        """FUNCTION DUMP in Redis's format (FUNCTION2 records, RDB version, CRC64), so
        payloads cross between Ferrite and Redis."""
        from ferrite_host.persistence.rdb import constants as c
        from ferrite_host.persistence.rdb.crc64 import crc64
        from ferrite_host.persistence.rdb.writer import encode_string

        body = b"".join(
            bytes((c.OP_FUNCTION2,)) + encode_string(library.code)
            for library in self.libraries.values()
        )
        data = body + c.RDB_VERSION.to_bytes(2, "little")
        return data + crc64(data).to_bytes(8, "little")

    def restore(self, payload: bytes, policy: str) -> None:
        codes = parse_dump(payload)
        if policy == "flush":
            saved_libraries, saved_functions = dict(self.libraries), dict(self.functions)
            self.libraries.clear()
            self.functions.clear()
            try:
                self._restore_all(codes, replace=False)
            except CommandError:
                self.libraries, self.functions = saved_libraries, saved_functions
                raise
            return
        if policy == "append":
            for code in codes:
                name, _ = parse_metadata(code)
                if name in self.libraries:
                    raise CommandError(f"ERR Library {name} already exists")
        self._restore_all(codes, replace=True)

    def load_all(self, codes: list[bytes]) -> None:
        """Load several libraries (a snapshot's), replacing same-named ones; all or none."""
        self._restore_all(codes, replace=True)

    def _restore_all(self, codes: list[bytes], replace: bool) -> None:
        built = [self._build(*_named(code)) for code in codes]
        for library in built:
            for fname in library.functions:
                owner = self.functions.get(fname.lower())
                if owner is not None and owner.library.name != library.name:
                    raise CommandError(f"ERR Function {fname} already exists")
        for library in built:
            self._install(library)

    def function_count(self) -> int:
        return len(self.functions)


def _named(code: bytes) -> tuple[str, bytes, bytes]:
    name, body = parse_metadata(code)
    return name, code, body


def parse_dump(payload: bytes) -> list[bytes]:
    """The library codes of a FUNCTION DUMP payload, with Redis's errors."""
    from ferrite_host.persistence.rdb import constants as c
    from ferrite_host.persistence.rdb.dump import PayloadError, verify_payload
    from ferrite_host.persistence.rdb.reader import RdbCursor
    from ferrite_host.persistence.snapshot import SnapshotError

    try:
        verify_payload(payload)
    except PayloadError:
        raise CommandError(BAD_PAYLOAD) from None
    cursor = RdbCursor(payload, 0, len(payload) - 10)
    codes: list[bytes] = []
    try:
        while cursor.pos < cursor.end:
            if cursor.byte("a function record") != c.OP_FUNCTION2:
                raise CommandError("ERR given type is not a function")
            codes.append(cursor.string("a function library"))
    except SnapshotError:
        raise CommandError(BAD_PAYLOAD) from None
    return codes


def parse_metadata(code: bytes) -> tuple[str, bytes]:
    """The library name from `#!lua name=<name>`, and the code Lua compiles (the first
    line left blank so that line numbers count it)."""
    if not code.startswith(b"#!"):
        raise CommandError("ERR Missing library metadata")
    end = code.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid library metadata")
    words = code[2:end].split()
    if not words:
        raise CommandError("ERR Invalid library metadata")
    engine = words[0].decode("utf-8", "replace")
    if engine.lower() != "lua":
        raise CommandError(f"ERR Engine '{engine}' not found")
    name: bytes | None = None
    for word in words[1:]:
        if not word.startswith(b"name="):
            raise CommandError("ERR Invalid library metadata")
        if name is not None:
            raise CommandError("ERR Invalid metadata value, name argument was given multiple times")
        name = word[len(b"name=") :]
    if name is None:
        raise CommandError("ERR Library name was not given")
    if not _NAME.match(name):
        raise CommandError(BAD_NAME)
    return name.decode(), code[end:]


def _parse_flags(value: Any) -> frozenset[str]:
    if not is_table(value):
        raise RegistrationError(
            "ERR flags argument to redis.register_function must be a table representing "
            "function flags"
        )
    names: list[str] = []
    for item in value.values():
        text = item.decode("utf-8", "replace") if isinstance(item, bytes) else ""
        if text not in KNOWN_FLAGS:
            raise RegistrationError("ERR unknown flag given")
        names.append(text)
    return frozenset(names)


def _error_text(error: Any) -> str:
    if is_table(error):
        err = error[b"err"]
        if isinstance(err, bytes):
            return err.decode("utf-8", "replace")
    if isinstance(error, bytes):
        return error.decode("utf-8", "replace")
    return str(error)
