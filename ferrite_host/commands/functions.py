"""Redis Functions commands: FUNCTION (LOAD, DELETE, LIST, DUMP, RESTORE, FLUSH, STATS,
KILL, HELP), FCALL and FCALL_RO. The libraries live in Scripting.of(state).functions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, flush_type, oneof, script_call, token
from ferrite_host.commands.help import help_reply, subcommand_syntax_error
from ferrite_host.commands.scripting import EVAL_KEY_SPECS, EVAL_RO_KEY_SPECS, split_keys
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.keyspace import glob_match
from ferrite_host.protocol.replies import OK, SetReply, SimpleString
from ferrite_host.scripting.scripting import Scripting

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.scripting.functions import Library

family = Family("scripting")
command = family.command


def _changed_libraries(session: Session, argv: list[bytes]) -> None:
    """Libraries are data: the change counts as a write and reaches the append-only file
    as the command itself (the keyspace did not change, so the dispatcher would not)."""
    session.state.dirty += 1
    session.replace_propagation(list(argv))


def _fcall(session: Session, argv: list[bytes], read_only: bool) -> Any:
    functions = Scripting.of(session.state).functions
    if not functions.exists(argv[1]):
        raise CommandError("ERR Function not found")  # before numkeys, as in Redis
    keys, args = split_keys(argv, bad_number="ERR Bad number of keys provided")
    return functions.call(session, argv[1], keys, args, read_only, argv)


@command(
    "fcall",
    -3,
    "noscript stale skip_monitor no_mandatory_keys movablekeys",
    summary="Invokes a function.",
    since="7.0.0",
    complexity="Depends on the function that is executed.",
    key_specs=EVAL_KEY_SPECS,
    arguments=script_call("function"),
)
def fcall(session: Session, argv: list[bytes]) -> Any:
    return _fcall(session, argv, read_only=False)


@command(
    "fcall_ro",
    -3,
    "readonly noscript stale skip_monitor no_mandatory_keys movablekeys",
    summary="Invokes a read-only function.",
    since="7.0.0",
    complexity="Depends on the function that is executed.",
    key_specs=EVAL_RO_KEY_SPECS,
    arguments=script_call("function"),
)
def fcall_ro(session: Session, argv: list[bytes]) -> Any:
    return _fcall(session, argv, read_only=True)


#: Redis's tips for the FUNCTION subcommands that every shard must run.
_ALL_SHARDS_SUCCEEDED = "request_policy:all_shards response_policy:all_succeeded"

function = family.container("function", summary="A container for function commands.", since="7.0.0")


@command(
    "load",
    -3,
    "write denyoom noscript",
    parent=function,
    tips=_ALL_SHARDS_SUCCEEDED,
    summary="Creates a library.",
    since="7.0.0",
    complexity="O(1) (considering compilation time is redundant)",
    arguments=[token("replace", "REPLACE", optional=True), arg("function-code")],
)
def function_load(session: Session, argv: list[bytes]) -> Any:
    replace = False
    for option in argv[2:-1]:
        if option.lower() == b"replace":
            replace = True
        else:
            raise CommandError(f"ERR Unknown option given: {option.decode('utf-8', 'replace')}")
    name = Scripting.of(session.state).functions.load(argv[-1], replace)
    _changed_libraries(session, argv)
    return name.encode()


@command(
    "delete",
    3,
    "write noscript",
    parent=function,
    tips=_ALL_SHARDS_SUCCEEDED,
    summary="Deletes a library and its functions.",
    since="7.0.0",
    arguments=[arg("library-name")],
)
def function_delete(session: Session, argv: list[bytes]) -> Any:
    Scripting.of(session.state).functions.delete(argv[2].decode("utf-8", "replace"))
    _changed_libraries(session, argv)
    return OK


def _library_entry(library: Library, with_code: bool) -> dict[bytes, Any]:
    functions = [
        {
            b"name": fn.name.encode(),
            b"description": fn.description,
            b"flags": SetReply(SimpleString(flag) for flag in fn.flags.ordered()),
        }
        for fn in library.functions.values()
    ]
    entry: dict[bytes, Any] = {
        b"library_name": library.name.encode(),
        b"engine": b"LUA",
        b"functions": functions,
    }
    if with_code:
        entry[b"library_code"] = library.code
    return entry


@command(
    "list",
    -2,
    "noscript",
    parent=function,
    tips="nondeterministic_output_order",
    summary="Returns information about all libraries.",
    since="7.0.0",
    complexity="O(N) where N is the number of functions",
    arguments=[
        arg("library-name-pattern", token="LIBRARYNAME", optional=True),
        token("withcode", "WITHCODE", optional=True),
    ],
)
def function_list(session: Session, argv: list[bytes]) -> Any:
    with_code = False
    pattern: bytes | None = None
    pos = 2
    while pos < len(argv):
        option = argv[pos].lower()
        if option == b"withcode" and not with_code:
            with_code = True
            pos += 1
        elif option == b"libraryname" and pattern is None:
            if pos + 1 >= len(argv):
                raise CommandError("ERR library name argument was not given")
            pattern = argv[pos + 1]
            pos += 2
        else:
            raise CommandError(f"ERR Unknown argument {argv[pos].decode('utf-8', 'replace')}")
    libraries = Scripting.of(session.state).functions.libraries.values()
    return [
        _library_entry(library, with_code)
        for library in libraries
        if pattern is None or glob_match(pattern, library.name.encode())
    ]


@command(
    "dump",
    2,
    "noscript",
    parent=function,
    summary="Dumps all libraries into a serialized binary payload.",
    since="7.0.0",
    complexity="O(N) where N is the number of functions",
    arguments=[],
)
def function_dump(session: Session, argv: list[bytes]) -> Any:
    return Scripting.of(session.state).functions.dump()


@command(
    "restore",
    -3,
    "write denyoom noscript",
    parent=function,
    tips=_ALL_SHARDS_SUCCEEDED,
    summary="Restores all libraries from a payload.",
    since="7.0.0",
    complexity="O(N) where N is the number of functions on the payload",
    arguments=[
        arg("serialized-value"),
        oneof(
            "policy",
            token("flush", "FLUSH"),
            token("append", "APPEND"),
            token("replace", "REPLACE"),
            optional=True,
        ),
    ],
)
def function_restore(session: Session, argv: list[bytes]) -> Any:
    policy = "append"
    if len(argv) > 4:
        raise subcommand_syntax_error(argv)
    if len(argv) == 4:
        policy = argv[3].decode("utf-8", "replace").lower()
        if policy not in ("flush", "append", "replace"):
            raise CommandError(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
            )
    Scripting.of(session.state).functions.restore(argv[2], policy)
    _changed_libraries(session, argv)
    return OK


@command(
    "flush",
    -2,
    "write noscript",
    parent=function,
    tips=_ALL_SHARDS_SUCCEEDED,
    summary="Deletes all libraries and functions.",
    since="7.0.0",
    complexity="O(N) where N is the number of functions deleted",
    arguments=[flush_type()],
)
def function_flush(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    if len(argv) == 3 and argv[2].lower() not in (b"async", b"sync"):
        raise CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    Scripting.of(session.state).functions.flush()
    _changed_libraries(session, argv)
    return OK


@command(
    "stats",
    2,
    "noscript allow_busy",
    parent=function,
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
    summary="Returns information about a function during execution.",
    since="7.0.0",
    arguments=[],
)
def function_stats(session: Session, argv: list[bytes]) -> Any:
    scripting = Scripting.of(session.state)
    run = scripting.current
    running: Any = None
    if run is not None and not run.is_function:
        raise CommandError(run.busy_error())  # as Redis: FUNCTION STATS is for functions
    if run is not None:
        running = {
            b"name": run.name.encode(),
            b"command": run.command,
            b"duration_ms": run.elapsed_ms(),
        }
    functions = scripting.functions
    return {
        b"running_script": running,
        b"engines": {
            b"LUA": {
                b"libraries_count": len(functions.libraries),
                b"functions_count": functions.function_count(),
            }
        },
    }


@command(
    "kill",
    2,
    "noscript allow_busy",
    parent=function,
    tips="request_policy:all_shards response_policy:one_succeeded",
    summary="Terminates a function during execution.",
    since="7.0.0",
    arguments=[],
)
def function_kill(session: Session, argv: list[bytes]) -> Any:
    Scripting.of(session.state).kill(functions=True)
    return OK


@command(
    "help",
    2,
    "loading stale",
    parent=function,
    summary="Returns helpful text about the different subcommands.",
    since="7.0.0",
    arguments=[],
)
def function_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "FUNCTION",
        [
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using "
            "LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be "
            "restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to "
            "give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On "
            "collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On "
            "collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is "
            "a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    )
