"""LATENCY: the latency monitor's events (spikes over `latency-monitor-threshold` ms)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg
from ferrite_host.commands.help import help_reply
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family
from ferrite_host.protocol.replies import Verbatim

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("server")
command = family.command

latency = family.container(
    "latency", summary="A container for latency diagnostics commands", since="2.8.13"
)
_FLAGS = "admin noscript loading stale"


@command(
    "latest",
    2,
    _FLAGS,
    parent=latency,
    since="2.8.13",
    summary="Return the latest latency samples for all events.",
    complexity="O(1)",
    arguments=[],
)
def latency_latest(session: Session, argv: list[bytes]) -> Any:
    events = session.state.oversight.latency.events
    return [
        [name.encode(), series.samples[-1][0], series.samples[-1][1], series.max_ms]
        for name, series in events.items()
    ]


@command(
    "history",
    3,
    _FLAGS,
    parent=latency,
    since="2.8.13",
    summary="Return timestamp-latency samples for the event.",
    complexity="O(1)",
    arguments=[arg("event")],
)
def latency_history(session: Session, argv: list[bytes]) -> Any:
    name = argv[2].decode("utf-8", "replace")
    series = session.state.oversight.latency.events.get(name)
    return [] if series is None else [[when, ms] for when, ms in series.samples]


@command(
    "reset",
    -2,
    _FLAGS,
    parent=latency,
    since="2.8.13",
    summary="Reset latency data for one or more events.",
    complexity="O(1)",
    arguments=[arg("event", optional=True, multiple=True)],
)
def latency_reset(session: Session, argv: list[bytes]) -> Any:
    names = [arg.decode("utf-8", "replace") for arg in argv[2:]] or None
    return session.state.oversight.latency.reset(names)


@command(
    "doctor",
    2,
    _FLAGS,
    parent=latency,
    since="2.8.13",
    summary="Return a human readable latency analysis report.",
    complexity="O(1)",
    arguments=[],
)
def latency_doctor(session: Session, argv: list[bytes]) -> Any:
    state = session.state
    enabled = state.settings.latency_monitor_threshold > 0
    return Verbatim(state.oversight.latency.doctor(enabled).encode())


@command(
    "graph",
    3,
    _FLAGS,
    parent=latency,
    since="2.8.13",
    summary="Return a latency graph for the event.",
    complexity="O(1)",
    arguments=[arg("event")],
)
def latency_graph(session: Session, argv: list[bytes]) -> Any:
    name = argv[2].decode("utf-8", "replace")
    series = session.state.oversight.latency.events.get(name)
    if series is None:
        raise CommandError(f"ERR No samples available for event '{name}'")
    values = [ms for _, ms in series.samples]
    header = (
        f"{name} - high {max(values)} ms, low {min(values)} ms "
        f"(all time high {series.max_ms} ms)\n" + "-" * 80 + "\n"
    )
    rows = "\n".join(f"{when} {ms} ms" for when, ms in series.samples)
    return Verbatim((header + rows + "\n").encode())


@command(
    "help",
    2,
    "loading stale",
    parent=latency,
    since="2.8.13",
    summary="Show helpful text about the different subcommands.",
    arguments=[],
)
def latency_help(session: Session, argv: list[bytes]) -> Any:
    return help_reply(
        "LATENCY",
        [
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
        ],
    )
