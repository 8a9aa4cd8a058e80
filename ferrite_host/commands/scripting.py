"""Lua scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.

The work happens in `ferrite_host.scripting` (Scripting.of(state)); these handlers parse the
arguments and answer with Redis's replies and errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, flush_type, oneof, script_call, token
from ferrite_host.commands.help import help_reply
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK
from ferrite_host.scripting.scripting import NOSCRIPT, Scripting
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("scripting")
command = family.command


def _keynum_spec(flags: str, notes: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "flags": flags.split(),
        "begin_search": {"type": "index", "spec": {"index": 2}},
        "find_keys": {"type": "keynum", "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}},
    }
    if notes:
        spec["notes"] = notes
    return spec


_EVAL_FLAGS = "noscript stale skip_monitor no_mandatory_keys movablekeys"
_RW_NOTES = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
_RO_NOTES = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"

#: EVAL's and EVAL_RO's key specs; FCALL and FCALL_RO declare the same ones.
EVAL_KEY_SPECS = [_keynum_spec("RW ACCESS UPDATE", _RW_NOTES)]
EVAL_RO_KEY_SPECS = [_keynum_spec("RO ACCESS", _RO_NOTES)]


def split_keys(argv: list[bytes], bad_number: str = errors.NOT_INTEGER) -> tuple[list[bytes], ...]:
    """(keys, args) from `<cmd> <script> numkeys key... arg...`, with Redis's errors."""
    numkeys = parse_int(argv[2])
    if numkeys is None:
        raise CommandError(bad_number)
    if numkeys < 0:
        raise CommandError("ERR Number of keys can't be negative")
    if numkeys > len(argv) - 3:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    return argv[3 : 3 + numkeys], argv[3 + numkeys :]


def _eval(session: Session, argv: list[bytes], read_only: bool) -> Any:
    keys, args = split_keys(argv)
    scripting = Scripting.of(session.state)
    script = scripting.load_script(argv[1])
    return scripting.eval(session, script, keys, args, read_only, argv)


def _evalsha(session: Session, argv: list[bytes], read_only: bool) -> Any:
    scripting = Scripting.of(session.state)
    sha = argv[1].decode("utf-8", "replace")
    script = scripting.cache.get(sha) if len(sha) == 40 else None
    if script is None:
        raise CommandError(NOSCRIPT)  # before numkeys is looked at, as in Redis
    keys, args = split_keys(argv)
    return scripting.eval(session, script, keys, args, read_only, argv)


@command(
    "eval",
    -3,
    _EVAL_FLAGS,
    summary="Executes a server-side Lua script.",
    since="2.6.0",
    complexity="Depends on the script that is executed.",
    key_specs=EVAL_KEY_SPECS,
    arguments=script_call("script"),
)
def eval_(session: Session, argv: list[bytes]) -> Any:
    return _eval(session, argv, read_only=False)


@command(
    "evalsha",
    -3,
    _EVAL_FLAGS,
    summary="Executes a server-side Lua script by SHA1 digest.",
    since="2.6.0",
    complexity="Depends on the script that is executed.",
    key_specs=[_keynum_spec("RW ACCESS UPDATE", "")],
    arguments=script_call("sha1"),
)
def evalsha(session: Session, argv: list[bytes]) -> Any:
    return _evalsha(session, argv, read_only=False)


@command(
    "eval_ro",
    -3,
    "readonly " + _EVAL_FLAGS,
    summary="Executes a read-only server-side Lua script.",
    since="7.0.0",
    complexity="Depends on the script that is executed.",
    key_specs=EVAL_RO_KEY_SPECS,
    arguments=script_call("script"),
)
def eval_ro(session: Session, argv: list[bytes]) -> Any:
    return _eval(session, argv, read_only=True)


@command(
    "evalsha_ro",
    -3,
    "readonly " + _EVAL_FLAGS,
    summary="Executes a read-only server-side Lua script by SHA1 digest.",
    since="7.0.0",
    complexity="Depends on the script that is executed.",
    key_specs=[_keynum_spec("RO ACCESS", "")],
    arguments=script_call("sha1"),
)
def evalsha_ro(session: Session, argv: list[bytes]) -> Any:
    return _evalsha(session, argv, read_only=True)


# -- SCRIPT ----------------------------------------------------------------------------------

script = family.container(
    "script", summary="A container for Lua scripts management commands.", since="2.6.0"
)


@command(
    "load",
    3,
    "noscript stale",
    parent=script,
    summary="Loads a server-side Lua script to the script cache.",
    since="2.6.0",
    complexity="O(N) with N being the length in bytes of the script body.",
    tips="request_policy:all_nodes response_policy:all_succeeded",
    arguments=[arg("script")],
)
def script_load(session: Session, argv: list[bytes]) -> Any:
    return Scripting.of(session.state).load_script(argv[2]).sha.encode()


@command(
    "exists",
    -3,
    "noscript",
    parent=script,
    summary="Determines whether server-side Lua scripts exist in the script cache.",
    since="2.6.0",
    complexity="O(N) with N being the number of scripts to check (so checking a single "
    "script is an O(1) operation).",
    tips="request_policy:all_shards response_policy:agg_logical_and",
    arguments=[arg("sha1", multiple=True)],
)
def script_exists(session: Session, argv: list[bytes]) -> Any:
    cache = Scripting.of(session.state).cache
    return [int(sha.decode("utf-8", "replace") in cache) for sha in argv[2:]]


@command(
    "flush",
    -2,
    "noscript",
    parent=script,
    summary="Removes all server-side Lua scripts from the script cache.",
    since="2.6.0",
    complexity="O(N) with N being the number of scripts in cache",
    tips="request_policy:all_nodes response_policy:all_succeeded",
    arguments=[flush_type(since="6.2.0")],
)
def script_flush(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"async", b"sync")):
        raise CommandError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    Scripting.of(session.state).flush_scripts()
    return OK


@command(
    "kill",
    2,
    "noscript allow_busy",
    parent=script,
    summary="Terminates a server-side Lua script during execution.",
    since="2.6.0",
    tips="request_policy:all_shards response_policy:one_succeeded",
    arguments=[],
)
def script_kill(session: Session, argv: list[bytes]) -> Any:
    Scripting.of(session.state).kill(functions=False)
    return OK


@command(
    "help",
    2,
    "loading stale",
    parent=script,
    summary="Returns helpful text about the different subcommands.",
    since="5.0.0",
    arguments=[],
)
def script_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "SCRIPT",
        [
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    )


@command(
    "debug",
    3,
    "noscript",
    parent=script,
    summary="Sets the debug mode of server-side Lua scripts.",
    since="3.2.0",
    arguments=[oneof("mode", token("yes", "YES"), token("sync", "SYNC"), token("no", "NO"))],
)
def script_debug(session: Session, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"no":
        return OK
    if mode in (b"yes", b"sync"):
        raise CommandError("ERR Ferrite has no Lua debugger (SCRIPT DEBUG NO is accepted)")
    raise CommandError("ERR Use SCRIPT DEBUG YES/SYNC/NO")
