"""CONFIG GET, SET, RESETSTAT, REWRITE and HELP: the settings plus module parameters."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ferrite_host.commands.access import AccessControl
from ferrite_host.commands.arguments import arg, block
from ferrite_host.commands.help import help_reply
from ferrite_host.core import errors
from ferrite_host.core.config import (
    UNLISTED,
    ConfigSetError,
    parameters,
    rewrite_config_file,
    set_parameters,
)
from ferrite_host.core.errors import CommandError
from ferrite_host.core.loglevels import LOG_LEVELS
from ferrite_host.core.parameters import Parameter
from ferrite_host.core.spec import Family
from ferrite_host.keyspace import glob_match
from ferrite_host.protocol.replies import OK

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

family = Family("server")
command = family.command


# -- CONFIG ----------------------------------------------------------------------------------

config = family.container(
    "config", summary="A container for server configuration commands.", since="2.0.0"
)
_CONFIG_FLAGS = "admin noscript loading stale"


def _is_glob(pattern: bytes) -> bool:
    return any(c in pattern for c in b"*?[")


@command(
    "get",
    -3,
    _CONFIG_FLAGS,
    parent=config,
    summary="Returns the effective values of configuration parameters.",
    since="2.0.0",
    complexity="O(N) when N is the number of configuration parameters provided",
    arguments=[arg("parameter", multiple=True)],
)
def config_get(session: Session, argv: list[bytes]) -> Any:
    values = parameters(session.state.settings)
    values.update((extra.name, extra.render()) for extra in session.state.parameters)
    values = {name.lower(): value for name, value in values.items()}
    found: dict[str, tuple[bytes, bytes]] = {}  # lower-case name -> (name as answered, value)
    for pattern in argv[2:]:
        if not _is_glob(pattern):
            name = pattern.decode("utf-8", "replace")
            if name.lower() in values and name.lower() not in found:
                found[name.lower()] = (pattern, values[name.lower()].encode())  # as typed
            continue
        for name, value in values.items():
            if (
                name not in found
                and name not in UNLISTED
                and glob_match(pattern, name.encode(), nocase=True)
            ):
                found[name] = (name.encode(), value.encode())
    return dict(found.values())


@command(
    "set",
    -4,
    _CONFIG_FLAGS,
    parent=config,
    summary="Sets configuration parameters in-flight.",
    since="2.0.0",
    complexity="O(N) when N is the number of configuration parameters provided",
    arguments=[block("data", arg("parameter"), arg("value"), multiple=True)],
)
def config_set(session: Session, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise CommandError(errors.wrong_arity("config|set"))
    pairs = [
        (argv[i].decode("utf-8", "replace"), argv[i + 1].decode("utf-8", "surrogateescape"))
        for i in range(2, len(argv), 2)
    ]
    state = session.state
    extra = _parse_extra_parameters(state, pairs)
    try:
        changed = set_parameters(state.settings, [p for p in pairs if p[0] not in state.parameters])
    except ConfigSetError as exc:
        raise CommandError(exc.reply) from None
    for parameter, value in extra:
        parameter.assign(value)
        changed.add(parameter.name)  # the Config server event names module configs too
    _apply_side_effects(state, changed)
    return OK


def _parse_extra_parameters(
    state: ServerState, pairs: list[tuple[str, str]]
) -> list[tuple[Parameter, object]]:
    """Check every module parameter of a CONFIG SET before anything is applied."""
    parsed: list[tuple[Parameter, object]] = []
    for name, text in pairs:
        parameter = state.parameters.get(name)
        if parameter is None:
            continue
        if not parameter.mutable:
            raise CommandError(
                f"ERR CONFIG SET failed (possibly related to argument '{name}') - "
                "can't set immutable config"
            )
        try:
            parsed.append((parameter, parameter.parse(text)))
        except ValueError as exc:
            raise CommandError(
                f"ERR CONFIG SET failed (possibly related to argument '{name}') - {exc}"
            ) from None
    return parsed


def _apply_side_effects(state: ServerState, changed: set[str]) -> None:
    """What a new value must change beyond the settings object itself."""
    settings = state.settings
    if "requirepass" in changed:
        AccessControl.of(state).use_requirepass()  # the default user's password
    if "loglevel" in changed:
        logging.getLogger("ferrite").setLevel(LOG_LEVELS[settings.loglevel])
    state.hooks.hook.ferrite_config_changed(state=state, changed=changed)


@command(
    "resetstat",
    2,
    _CONFIG_FLAGS,
    parent=config,
    summary="Resets the server's statistics.",
    since="2.0.0",
    arguments=[],
)
def config_resetstat(session: Session, argv: list[bytes]) -> Any:
    state = session.state
    state.stats.reset()
    state.keyspace.hits = state.keyspace.misses = 0
    state.commands.stats.reset()
    for db in state.keyspace.dbs:
        db.expired_count = 0
    state.used_memory_peak = 0
    return OK


@command(
    "rewrite",
    2,
    _CONFIG_FLAGS,
    parent=config,
    summary="Persists the effective configuration to file.",
    since="2.8.0",
    arguments=[],
)
def config_rewrite(session: Session, argv: list[bytes]) -> Any:
    settings = session.state.settings
    if not settings.config_file:
        raise CommandError("ERR The server is running without a config file")
    try:
        rewrite_config_file(settings, _user_lines(session.state))
    except OSError as exc:
        log.warning("CONFIG REWRITE failed: %s", exc)
        raise CommandError(f"ERR Rewriting config file: {exc.strerror or exc}") from None
    log.info("CONFIG REWRITE executed with success.")
    return OK


def _user_lines(state: ServerState) -> list[str]:
    """The `user` lines CONFIG REWRITE writes: every ACL user, unless an aclfile keeps them."""
    if state.settings.aclfile:
        return []
    control = AccessControl.of(state)
    return [control.describe(control.users[name]) for name in sorted(control.users)]


@command(
    "help",
    2,
    "loading stale",
    parent=config,
    summary="Returns helpful text about the different subcommands.",
    since="5.0.0",
    arguments=[],
)
def config_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "CONFIG",
        [
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
