"""CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO.

Subcommands of the CLIENT container that `connection` declares; this family is listed
before `connection` in FAMILIES so they are attached before the container is registered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, integer, oneof, token
from ferrite_host.commands.connection import client
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import OK, SetReply
from ferrite_host.pubsub import Tracking
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("connection")
command = family.command

_SWITCH_MODE = (
    "ERR You can't switch {} before disabling tracking for this client, and then "
    "re-enabling it with a different mode."
)
_OVERLAP = (
    "ERR Prefix '{}' overlaps with {} prefix '{}'. Prefixes for a single client must not overlap."
)


class _TrackingRequest:
    """CLIENT TRACKING's options, parsed and checked as Redis checks them."""

    def __init__(self, session: Session, argv: list[bytes]) -> None:
        self.redirect = 0
        self.bcast = self.optin = self.optout = self.noloop = False
        self.prefixes: list[bytes] = []
        pos = 3
        while pos < len(argv):
            option = argv[pos].lower()
            more = pos + 1 < len(argv)
            if option == b"redirect" and more:
                pos += 1
                self._redirect_to(session, argv[pos])
            elif option in (b"bcast", b"optin", b"optout", b"noloop"):
                setattr(self, option.decode(), True)
            elif option == b"prefix" and more:
                pos += 1
                self.prefixes.append(argv[pos])
            else:
                raise CommandError(errors.SYNTAX)
            pos += 1

    def _redirect_to(self, session: Session, raw: bytes) -> None:
        if self.redirect:
            raise CommandError("ERR A client can only redirect to a single other client")
        target = parse_int(raw)
        if target is None:
            raise CommandError(errors.NOT_INTEGER)
        if target not in session.state.clients:
            raise CommandError("ERR The client ID you want redirect to does not exist")
        self.redirect = target

    def check(self, session: Session) -> None:
        current = Tracking.of(session.state).options_of(session)
        if self.prefixes and not self.bcast:
            raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
        if current is not None and current.bcast != self.bcast:
            raise CommandError(_SWITCH_MODE.format("BCAST mode on/off"))
        if self.bcast and (self.optin or self.optout):
            raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
        if self.optin and self.optout:
            raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
        if current is not None and (
            (self.optin and current.optout) or (self.optout and current.optin)
        ):
            raise CommandError(_SWITCH_MODE.format("OPTIN/OPTOUT mode"))
        if self.bcast:
            self._check_overlaps(current.prefixes if current is not None else [])

    def _check_overlaps(self, existing: list[bytes]) -> None:
        def overlap(a: bytes, b: bytes) -> bool:
            return a.startswith(b) or b.startswith(a)

        for i, prefix in enumerate(self.prefixes):
            for other in existing:
                if overlap(prefix, other):
                    raise CommandError(_OVERLAP.format(_text(prefix), "an existing", _text(other)))
            for j, other in enumerate(self.prefixes):
                if i != j and overlap(prefix, other):
                    raise CommandError(
                        _OVERLAP.format(_text(prefix), "another provided", _text(other))
                    )


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


@command(
    "tracking",
    -3,
    "noscript loading stale",
    parent=client,
    summary="Enable or disable server assisted client side caching support",
    since="6.0.0",
    complexity="O(1). Some options may introduce additional complexity.",
    arguments=[
        oneof("status", token("on", "ON"), token("off", "OFF")),
        integer("client-id", token="REDIRECT", optional=True),
        arg("prefix", token="PREFIX", optional=True, multiple=True, multiple_token=True),
        token("bcast", "BCAST", optional=True),
        token("optin", "OPTIN", optional=True),
        token("optout", "OPTOUT", optional=True),
        token("noloop", "NOLOOP", optional=True),
    ],
)
def client_tracking(session: Session, argv: list[bytes]) -> Any:
    request = _TrackingRequest(session, argv)
    state = argv[2].lower()
    tracking = Tracking.of(session.state)
    if state == b"on":
        request.check(session)
        tracking.enable(
            session,
            request.redirect,
            request.bcast,
            request.optin,
            request.optout,
            request.noloop,
            request.prefixes,
        )
    elif state == b"off":
        tracking.disable(session)
    else:
        raise CommandError(errors.SYNTAX)
    return OK


@command(
    "caching",
    3,
    "noscript loading stale",
    parent=client,
    summary="Instruct the server about tracking or not keys in the next request",
    since="6.0.0",
    arguments=[oneof("mode", token("yes", "YES"), token("no", "NO"))],
)
def client_caching(session: Session, argv: list[bytes]) -> Any:
    options = Tracking.of(session.state).options_of(session)
    if options is None:  # Redis's wording, though any tracking mode gets past this
        raise CommandError(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
            "OPTIN or OPTOUT mode enabled"
        )
    answer = argv[2].lower()
    if answer == b"yes":
        if not options.optin:
            raise CommandError(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
            )
    elif answer == b"no":
        if not options.optout:
            raise CommandError(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
            )
    else:
        raise CommandError(errors.SYNTAX)
    options.caching = True
    return OK


@command(
    "getredir",
    2,
    "noscript loading stale",
    parent=client,
    summary="Get tracking notifications redirection client ID if any",
    since="6.0.0",
    arguments=[],
)
def client_getredir(session: Session, argv: list[bytes]) -> Any:
    options = Tracking.of(session.state).options_of(session)
    return -1 if options is None else options.redirect


@command(
    "trackinginfo",
    2,
    "noscript loading stale",
    parent=client,
    summary=(
        "Return information about server assisted client side caching for the current connection"
    ),
    since="6.2.0",
    arguments=[],
)
def client_trackinginfo(session: Session, argv: list[bytes]) -> Any:
    options = Tracking.of(session.state).options_of(session)
    if options is None:
        return {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}
    return {
        b"flags": SetReply(options.flags()),
        b"redirect": options.redirect,
        b"prefixes": list(options.prefixes),
    }
