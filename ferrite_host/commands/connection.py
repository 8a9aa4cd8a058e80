"""Connection commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, RESET, CLIENT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host import REDIS_COMPAT_VERSION
from ferrite_host.commands.access import AccessControl
from ferrite_host.commands.access.control import DEFAULT
from ferrite_host.commands.arguments import arg, block, integer, on_off, oneof, token
from ferrite_host.commands.clientinfo import client_line
from ferrite_host.commands.help import help_reply
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.session import REPLIES_OFF, REPLIES_ON, SKIP_THIS_AND_NEXT
from ferrite_host.core.spec import Family
from ferrite_host.keyspace import glob_match
from ferrite_host.protocol.replies import NO_REPLY, OK, PONG, SimpleString, Verbatim
from ferrite_host.pubsub import PubSub
from ferrite_host.redis_module.manager import RedisModuleManager
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("connection")
command = family.command


@command(
    "ping",
    -1,
    "fast",
    summary="Returns the server's liveliness response.",
    arguments=[arg("message", optional=True)],
    tips="request_policy:all_shards response_policy:all_succeeded",
)
def ping(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    # A subscribed client always has a command gate: the cheap test first.
    gated = session.command_gate is not None and session.protocol == 2
    if gated and PubSub.of(session.state).subscribed(session):
        return [b"pong", argv[1] if len(argv) == 2 else b""]  # subscribed mode's shape
    return PONG if len(argv) == 1 else argv[1]


@command(
    "echo", 2, "fast loading stale", summary="Returns the given string.", arguments=[arg("message")]
)
def echo(session: Session, argv: list[bytes]) -> Any:
    return argv[1]


@command(
    "quit",
    -1,
    "allow_busy fast no_auth noscript loading stale",
    summary="Closes the connection.",
    arguments=[],
)
def quit_(session: Session, argv: list[bytes]) -> Any:
    session.close_after_reply = True
    return OK


@command(
    "auth",
    -2,
    "noscript loading stale fast no_auth allow_busy",
    summary="Authenticates the connection.",
    arguments=[arg("username", optional=True, since="6.0.0"), arg("password")],
)
def auth(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    control = AccessControl.of(session.state)
    if len(argv) == 2 and control.users[DEFAULT].nopass:
        raise CommandError(
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?"
        )
    user = argv[1] if len(argv) == 3 else DEFAULT.encode()
    log_in(session, user, argv[-1], argv[0])
    return OK


def log_in(session: Session, name: bytes, password: bytes, command: bytes) -> None:
    """Authenticate as an ACL user (AUTH, HELLO AUTH); WRONGPASS for an unknown or disabled
    user or a wrong password, logged in ACL LOG. A failure logs nobody out, as in Redis."""
    control = AccessControl.of(session.state)
    user_name = name.decode("utf-8", "surrogateescape")
    if control.authenticate(user_name, password) is None:
        typed = command.decode("utf-8", "surrogateescape")  # ACL LOG's object, as typed
        control.record(session, "auth", typed, typed.lower(), username=user_name)
        raise CommandError(errors.WRONGPASS)
    session.authenticated = True
    session.user = user_name


def server_info_map(session: Session) -> dict[bytes, Any]:
    state = session.state
    manager = RedisModuleManager.of(state)
    modules = manager.hello_modules() if manager is not None else []
    return {
        b"server": b"redis",
        b"version": REDIS_COMPAT_VERSION.encode(),
        b"proto": session.protocol,
        b"id": session.id,
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": modules,
    }


@command(
    "hello",
    -1,
    "noscript loading stale fast no_auth allow_busy",
    summary="Handshakes with the server.",
    since="6.0.0",
    arguments=[
        block(
            "arguments",
            integer("protover"),
            block(
                "auth",
                arg("username"),
                arg("password"),
                token="AUTH",
                optional=True,
            ),
            arg("clientname", token="SETNAME", optional=True),
            optional=True,
        )
    ],
)
def hello(session: Session, argv: list[bytes]) -> Any:
    version = session.protocol
    pos = 1
    if len(argv) > 1:
        parsed = parse_int(argv[1])
        if parsed is None:
            raise CommandError("ERR Protocol version is not an integer or out of range")
        if parsed not in (2, 3):
            raise CommandError("NOPROTO unsupported protocol version")
        version = parsed
        pos = 2
    name: bytes | None = None
    while pos < len(argv):
        option = argv[pos].lower()
        remaining = len(argv) - pos - 1
        if option == b"auth" and remaining >= 2:
            log_in(session, argv[pos + 1], argv[pos + 2], argv[0])
            pos += 3
        elif option == b"setname" and remaining >= 1:
            name = argv[pos + 1]
            pos += 2
        else:
            raise CommandError(
                f"ERR Syntax error in HELLO option '{argv[pos].decode('utf-8', 'replace')}'"
            )
    if session.must_authenticate:
        raise CommandError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
            "the RESP protocol version at the same time"
        )
    if name is not None:
        check_client_name(name)
        session.name = name.decode("utf-8", "replace")
    session.protocol = version
    return server_info_map(session)


@command(
    "select",
    2,
    "loading stale fast",
    summary="Changes the selected database.",
    arguments=[integer("index")],
)
def select(session: Session, argv: list[bytes]) -> Any:
    index = parse_int(argv[1])
    if index is None:
        raise CommandError(errors.NOT_INTEGER)
    if not 0 <= index < len(session.state.keyspace):
        raise CommandError(errors.DB_INDEX)
    session.select(index)
    return OK


@command(
    "reset",
    1,
    "noscript loading stale fast no_auth allow_busy",
    summary="Resets the connection.",
    since="6.2.0",
    arguments=[],
)
def reset(session: Session, argv: list[bytes]) -> Any:
    session.reset()
    return SimpleString("RESET")


# -- CLIENT ----------------------------------------------------------------------------------

client = family.container(
    "client", summary="A container for client connection commands.", since="2.4.0"
)


def check_client_name(name: bytes) -> None:
    if any(c <= 32 or c > 126 for c in name):
        raise CommandError(
            "ERR Client names cannot contain spaces, newlines or special characters."
        )


@command(
    "id",
    2,
    "noscript loading stale",
    parent=client,
    summary="Returns the unique client ID of the connection.",
    since="5.0.0",
    arguments=[],
)
def client_id(session: Session, argv: list[bytes]) -> Any:
    return session.id


@command(
    "setname",
    3,
    "noscript loading stale",
    parent=client,
    summary="Sets the connection name.",
    since="2.6.9",
    arguments=[arg("connection-name")],
)
def client_setname(session: Session, argv: list[bytes]) -> Any:
    check_client_name(argv[2])
    session.name = argv[2].decode()
    return OK


@command(
    "reply",
    3,
    "noscript loading stale",
    parent=client,
    summary="Instruct the server whether to reply to commands",
    since="3.2.0",
    arguments=[oneof("on_off_skip", token("on", "ON"), token("off", "OFF"), token("skip", "SKIP"))],
)
def client_reply(session: Session, argv: list[bytes]) -> Any:
    """ON answers OK; OFF and SKIP answer nothing (SKIP drops the next reply too)."""
    mode = argv[2].lower()
    if mode == b"on":
        session.reply_mode = REPLIES_ON
        return OK
    if mode == b"off":
        session.reply_mode = REPLIES_OFF
    elif mode == b"skip":
        if session.reply_mode != REPLIES_OFF:
            session.reply_mode = SKIP_THIS_AND_NEXT
    else:
        raise CommandError(errors.SYNTAX)
    return NO_REPLY


@command(
    "getname",
    2,
    "noscript loading stale",
    parent=client,
    summary="Returns the name of the connection.",
    since="2.6.9",
    arguments=[],
)
def client_getname(session: Session, argv: list[bytes]) -> Any:
    return session.name.encode() if session.name else None


@command(
    "setinfo",
    4,
    "noscript loading stale",
    parent=client,
    summary="Sets information specific to the client or connection.",
    since="7.2.0",
    arguments=[oneof("attr", arg("libname", token="LIB-NAME"), arg("libver", token="LIB-VER"))],
)
def client_setinfo(session: Session, argv: list[bytes]) -> Any:
    attr = argv[2].lower()
    value = argv[3]
    if attr not in (b"lib-name", b"lib-ver"):
        raise CommandError(f"ERR Unrecognized option '{argv[2].decode('utf-8', 'replace')}'")
    if any(c < 33 or c > 126 for c in value):
        raise CommandError(
            f"ERR {attr.decode()} cannot contain spaces, newlines or special characters."
        )
    if attr == b"lib-name":
        session.lib_name = value.decode()
    else:
        session.lib_ver = value.decode()
    return OK


@command(
    "info",
    2,
    "noscript loading stale",
    parent=client,
    summary="Returns information about the connection.",
    since="6.2.0",
    arguments=[],
    tips="nondeterministic_output",
)
def client_info(session: Session, argv: list[bytes]) -> Any:
    return Verbatim((client_line(session) + "\n").encode())


@command(
    "list",
    -2,
    "admin noscript loading stale",
    parent=client,
    summary="Lists open connections.",
    since="2.4.0",
    arguments=[
        oneof(
            "client-type",
            token("normal", "normal"),
            token("master", "master"),
            token("replica", "replica"),
            token("pubsub", "pubsub"),
            token="TYPE",
            optional=True,
            since="5.0.0",
        ),
        integer("client-id", token="ID", optional=True, multiple=True, since="6.2.0"),
    ],
    tips="nondeterministic_output",
)
def client_list(session: Session, argv: list[bytes]) -> Any:
    sessions = list(session.state.clients.values())
    if len(argv) > 2:
        option = argv[2].lower()
        if option == b"type" and len(argv) == 4:
            kind = argv[3].lower()
            if kind not in CLIENT_TYPES:
                raise CommandError(
                    f"ERR Unknown client type '{argv[3].decode('utf-8', 'replace')}'"
                )
            pubsub = kind == b"pubsub"
            subscribed = PubSub.of(session.state).subscribed
            sessions = [s for s in sessions if pubsub == subscribed(s)]
            if kind not in (b"normal", b"pubsub"):
                sessions = []
        elif option == b"id" and len(argv) >= 4:
            wanted = set()
            for raw in argv[3:]:
                value = parse_int(raw)
                if value is None or value <= 0:
                    raise CommandError("ERR Invalid client ID")
                wanted.add(value)
            sessions = [s for s in sessions if s.id in wanted]
        else:
            raise CommandError(errors.SYNTAX)
    text = "".join(client_line(s) + "\n" for s in sessions)
    return Verbatim(text.encode())


@command(
    "kill",
    -3,
    "admin noscript loading stale",
    parent=client,
    summary="Terminates open connections.",
    since="2.4.0",
    arguments=[
        oneof(
            "filter",
            arg("old-format", display="ip:port", deprecated_since="2.8.12"),
            oneof(
                "new-format",
                integer("client-id", token="ID", optional=True, since="2.8.12"),
                oneof(
                    "client-type",
                    token("normal", "normal"),
                    token("master", "master", since="3.2.0"),
                    token("slave", "slave"),
                    token("replica", "replica", since="5.0.0"),
                    token("pubsub", "pubsub"),
                    token="TYPE",
                    optional=True,
                    since="2.8.12",
                ),
                arg("username", token="USER", optional=True),
                arg("addr", token="ADDR", display="ip:port", optional=True),
                arg("laddr", token="LADDR", display="ip:port", optional=True, since="6.2.0"),
                oneof(
                    "skipme",
                    token("yes", "YES"),
                    token("no", "NO"),
                    token="SKIPME",
                    optional=True,
                ),
                multiple=True,
            ),
        )
    ],
)
def client_kill(session: Session, argv: list[bytes]) -> Any:
    clients = session.state.clients
    if len(argv) == 3:  # old form: CLIENT KILL addr:port
        target = argv[2].decode("utf-8", "replace")
        for other in list(clients.values()):
            if other.addr == target:
                _kill(session, other)
                return OK
        raise CommandError("ERR No such client")
    if len(argv) % 2:
        raise CommandError(errors.SYNTAX)
    filters: list[tuple[bytes, bytes]] = []
    skipme = True
    for i in range(2, len(argv), 2):
        name, value = argv[i].lower(), argv[i + 1]
        if name == b"skipme":
            if value.lower() not in (b"yes", b"no"):
                raise CommandError(errors.SYNTAX)
            skipme = value.lower() == b"yes"
        elif name in (b"id", b"addr", b"laddr", b"type", b"user"):
            _check_kill_filter(session, name, value)
            filters.append((name, value))
        else:
            raise CommandError(errors.SYNTAX)
    killed = 0
    for other in list(clients.values()):
        if skipme and other is session:
            continue
        if all(_kill_filter(other, name, value) for name, value in filters):
            _kill(session, other)
            killed += 1
    return killed


CLIENT_TYPES = (b"normal", b"master", b"replica", b"slave", b"pubsub")


def _check_kill_filter(session: Session, name: bytes, value: bytes) -> None:
    """Refuse a filter value as Redis 7.0 does, before anything is killed."""
    text = value.decode("utf-8", "replace")
    if name == b"id" and (parse_int(value) or 0) <= 0:
        raise CommandError("ERR client-id should be greater than 0")
    if name == b"type" and value.lower() not in CLIENT_TYPES:
        raise CommandError(f"ERR Unknown client type '{text}'")
    if name == b"user" and text not in AccessControl.of(session.state).users:
        raise CommandError(f"ERR No such user '{text}'")


def _kill_filter(other: Session, name: bytes, value: bytes) -> bool:
    text = value.decode("utf-8", "replace")
    if name == b"id":
        return other.id == parse_int(value)
    if name == b"addr":
        return other.addr == text
    if name == b"laddr":
        return other.laddr == text
    if name == b"type":
        kind = text.lower()
        subscribed = PubSub.of(other.state).subscribed(other)
        return (kind == "pubsub") == subscribed and kind in (
            "normal",
            "pubsub",
        )
    if name == b"user":
        return other.user == text
    return False


def _kill(session: Session, other: Session) -> None:
    if other is session:
        session.close_after_reply = True
    elif other.closer is not None:
        other.closer()


@command(
    "no-evict",
    3,
    "admin noscript loading stale",
    parent=client,
    summary="Sets the client eviction mode of the connection.",
    since="7.0.0",
    arguments=on_off(),
)
def client_no_evict(session: Session, argv: list[bytes]) -> Any:
    if argv[2].lower() not in (b"on", b"off"):
        raise CommandError(errors.SYNTAX)
    return OK


@command(
    "no-touch",
    3,
    "noscript loading stale",
    parent=client,
    summary="Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
    since="7.2.0",
    arguments=on_off(),
)
def client_no_touch(session: Session, argv: list[bytes]) -> Any:
    if argv[2].lower() not in (b"on", b"off"):
        raise CommandError(errors.SYNTAX)
    return OK


@command(
    "help",
    2,
    "loading stale",
    parent=client,
    summary="Returns helpful text about the different subcommands.",
    since="5.0.0",
    arguments=[],
)
def client_help(session: Session, argv: list[bytes]) -> Any:
    lines = [
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
    ]
    return help_reply("CLIENT", lines)


__all__ = ["family", "glob_match"]
