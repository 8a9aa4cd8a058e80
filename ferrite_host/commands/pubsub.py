"""Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, block
from ferrite_host.commands.help import help_reply
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.protocol.replies import Replies
from ferrite_host.pubsub import PubSub

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("pubsub")
command = family.command

_SUBSCRIBE_FLAGS = "pubsub noscript loading stale"


@command(
    "subscribe",
    -2,
    _SUBSCRIBE_FLAGS,
    summary="Listen for messages published to the given channels",
    since="2.0.0",
    complexity="O(N) where N is the number of channels to subscribe to.",
    arguments=[arg("channel", multiple=True)],
)
def subscribe(session: Session, argv: list[bytes]) -> Any:
    return Replies(PubSub.of(session.state).subscribe(session, argv[1:]))


@command(
    "psubscribe",
    -2,
    _SUBSCRIBE_FLAGS,
    summary="Listen for messages published to channels matching the given patterns",
    since="2.0.0",
    complexity="O(N) where N is the number of patterns the client is already subscribed to.",
    arguments=[block("pattern", arg("pattern", "pattern"), multiple=True)],
)
def psubscribe(session: Session, argv: list[bytes]) -> Any:
    return Replies(PubSub.of(session.state).psubscribe(session, argv[1:]))


@command(
    "ssubscribe",
    -2,
    _SUBSCRIBE_FLAGS,
    keys=(1, -1, 1),
    summary="Listen for messages published to the given shard channels",
    since="7.0.0",
    complexity="O(N) where N is the number of shard channels to subscribe to.",
    key_specs=[key_spec("NOT_KEY", last=-1)],
    arguments=[arg("shardchannel", multiple=True)],
)
def ssubscribe(session: Session, argv: list[bytes]) -> Any:
    return Replies(PubSub.of(session.state).ssubscribe(session, argv[1:]))


@command(
    "unsubscribe",
    -1,
    _SUBSCRIBE_FLAGS,
    summary="Stop listening for messages posted to the given channels",
    since="2.0.0",
    complexity="O(N) where N is the number of clients already subscribed to a channel.",
    arguments=[arg("channel", optional=True, multiple=True)],
)
def unsubscribe(session: Session, argv: list[bytes]) -> Any:
    return Replies(PubSub.of(session.state).unsubscribe(session, argv[1:]))


@command(
    "punsubscribe",
    -1,
    _SUBSCRIBE_FLAGS,
    summary="Stop listening for messages posted to channels matching the given patterns",
    since="2.0.0",
    complexity=(
        "O(N+M) where N is the number of patterns the client is already subscribed and M is "
        "the number of total patterns subscribed in the system (by any client)."
    ),
    arguments=[arg("pattern", "pattern", optional=True, multiple=True)],
)
def punsubscribe(session: Session, argv: list[bytes]) -> Any:
    return Replies(PubSub.of(session.state).punsubscribe(session, argv[1:]))


@command(
    "sunsubscribe",
    -1,
    _SUBSCRIBE_FLAGS,
    keys=(1, -1, 1),
    summary="Stop listening for messages posted to the given shard channels",
    since="7.0.0",
    complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
    key_specs=[key_spec("NOT_KEY", last=-1)],
    arguments=[arg("shardchannel", optional=True, multiple=True)],
)
def sunsubscribe(session: Session, argv: list[bytes]) -> Any:
    return Replies(PubSub.of(session.state).sunsubscribe(session, argv[1:]))


@command(
    "publish",
    3,
    "pubsub loading stale fast",
    summary="Post a message to a channel",
    since="2.0.0",
    complexity=(
        "O(N+M) where N is the number of clients subscribed to the receiving channel and M is "
        "the total number of subscribed patterns (by any client)."
    ),
    arguments=[arg("channel"), arg("message")],
)
def publish(session: Session, argv: list[bytes]) -> Any:
    return PubSub.of(session.state).publish(argv[1], argv[2])


@command(
    "spublish",
    3,
    "pubsub loading stale fast",
    keys=(1, 1, 1),
    summary="Post a message to a shard channel",
    since="7.0.0",
    complexity=("O(N) where N is the number of clients subscribed to the receiving shard channel."),
    key_specs=[key_spec("NOT_KEY")],
    arguments=[arg("shardchannel"), arg("message")],
)
def spublish(session: Session, argv: list[bytes]) -> Any:
    return PubSub.of(session.state).spublish(argv[1], argv[2])


# -- PUBSUB ----------------------------------------------------------------------------------

pubsub = family.container("pubsub", summary="A container for Pub/Sub commands", since="2.8.0")
_INTROSPECTION_FLAGS = "pubsub loading stale"


def _optional_pattern(argv: list[bytes]) -> bytes | None:
    if len(argv) > 3:
        sub = argv[1].decode("utf-8", "replace")
        raise CommandError(
            f"ERR unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP."
        )
    return argv[2] if len(argv) == 3 else None


@command(
    "channels",
    -2,
    _INTROSPECTION_FLAGS,
    parent=pubsub,
    summary="List active channels",
    since="2.8.0",
    complexity=(
        "O(N) where N is the number of active channels, and assuming constant time pattern "
        "matching (relatively short channels and patterns)"
    ),
    arguments=[arg("pattern", "pattern", optional=True)],
)
def pubsub_channels(session: Session, argv: list[bytes]) -> Any:
    return PubSub.of(session.state).channels(_optional_pattern(argv))


@command(
    "shardchannels",
    -2,
    _INTROSPECTION_FLAGS,
    parent=pubsub,
    summary="List active shard channels",
    since="7.0.0",
    complexity=(
        "O(N) where N is the number of active shard channels, and assuming constant time "
        "pattern matching (relatively short shard channels)."
    ),
    arguments=[arg("pattern", "pattern", optional=True)],
)
def pubsub_shardchannels(session: Session, argv: list[bytes]) -> Any:
    return PubSub.of(session.state).shard_channels(_optional_pattern(argv))


@command(
    "numsub",
    -2,
    _INTROSPECTION_FLAGS,
    parent=pubsub,
    summary="Get the count of subscribers for channels",
    since="2.8.0",
    complexity="O(N) for the NUMSUB subcommand, where N is the number of requested channels",
    arguments=[arg("channel", optional=True, multiple=True)],
)
def pubsub_numsub(session: Session, argv: list[bytes]) -> Any:
    state = PubSub.of(session.state)
    reply: list[Any] = []
    for channel in argv[2:]:
        reply += [channel, state.numsub(channel)]
    return reply


@command(
    "shardnumsub",
    -2,
    _INTROSPECTION_FLAGS,
    parent=pubsub,
    summary="Get the count of subscribers for shard channels",
    since="7.0.0",
    complexity=(
        "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"
    ),
    arguments=[arg("shardchannel", optional=True, multiple=True)],
)
def pubsub_shardnumsub(session: Session, argv: list[bytes]) -> Any:
    state = PubSub.of(session.state)
    reply: list[Any] = []
    for channel in argv[2:]:
        reply += [channel, state.shard_numsub(channel)]
    return reply


@command(
    "numpat",
    2,
    _INTROSPECTION_FLAGS,
    parent=pubsub,
    summary="Get the count of unique patterns pattern subscriptions",
    since="2.8.0",
    arguments=[],
)
def pubsub_numpat(session: Session, argv: list[bytes]) -> Any:
    return PubSub.of(session.state).numpat()


@command(
    "help",
    2,
    "loading stale",
    parent=pubsub,
    summary="Show helpful text about the different subcommands",
    since="6.2.0",
    arguments=[],
)
def pubsub_help(session: Session, argv: list[bytes]) -> Any:
    lines = [
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
    ]
    return help_reply("PUBSUB", lines)
