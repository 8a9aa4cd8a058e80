"""The asyncio server: listening sockets, the periodic tasks, start-up and clean shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import ssl
import sys
import time
from collections.abc import Callable

from ferrite_host import __version__
from ferrite_host.core.config import Settings
from ferrite_host.core.errors import StartupError
from ferrite_host.core.loglevels import LOG_LEVELS, level_char
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.parser import HIREDIS_AVAILABLE
from ferrite_host.server.busy import BusyPump, listening_copies
from ferrite_host.server.connection import Connection
from ferrite_host.server.tls import TlsConfigError, TlsReload, server_context

log = logging.getLogger("ferrite")


def configure_logging(settings: Settings) -> None:
    handler: logging.Handler = (
        logging.FileHandler(settings.logfile)
        if settings.logfile
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(
        logging.Formatter(
            f"{os.getpid()}:M %(asctime)s.%(msecs)03d %(levelname_char)s %(message)s",
            "%d %b %Y %H:%M:%S",
        )
    )
    handler.addFilter(_level_char)
    root = logging.getLogger("ferrite")
    root.handlers[:] = [handler]
    root.setLevel(LOG_LEVELS[settings.loglevel])
    root.propagate = False


def _level_char(record: logging.LogRecord) -> bool:
    record.levelname_char = level_char(record.levelno)
    return True


def choose_event_loop(settings: Settings) -> tuple[Callable[[], asyncio.AbstractEventLoop], str]:
    if settings.event_loop in ("auto", "uvloop"):
        try:
            import uvloop

            return uvloop.new_event_loop, "uvloop"
        except ImportError:
            if settings.event_loop == "uvloop":
                raise StartupError(
                    "event-loop uvloop requested but uvloop is not installed; pip install uvloop"
                ) from None
    return asyncio.new_event_loop, "asyncio"


class FerriteServer:
    """Owns the listening sockets and background tasks around one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.servers: list[asyncio.base_events.Server] = []
        self._stop: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.shutdown_save: bool | None = None
        #: Live connections, which the busy pump serves during one long call.
        self.connections: set[Connection] = set()
        #: The unix socket's path while it is listened on (removed at shutdown).
        self.unix_path = ""
        #: The TLS listener's context, reconfigured in place by CONFIG SET tls-*.
        self.tls_context: ssl.SSLContext | None = None

    async def start(self) -> None:
        state = self.state
        settings = state.settings
        self._stop = asyncio.Event()
        state.event_loop = asyncio.get_running_loop()
        state.request_shutdown = self.request_stop
        plain: list[asyncio.base_events.Server] = []
        if settings.port:
            plain += await self._listen_tcp(settings.port, None)
        if settings.unixsocket:
            plain.append(await self._listen_unix(settings.unixsocket, settings.unixsocketperm))
        if settings.tls_port:
            try:
                self.tls_context = server_context(settings)
            except TlsConfigError as exc:
                raise StartupError(f"Failed to configure TLS: {exc}") from None
            await self._listen_tcp(settings.tls_port, self.tls_context)
        if not self.servers:
            raise StartupError("Configured to not listen anywhere, exiting.")
        listeners = listening_copies([s for server in plain for s in server.sockets])
        state.event_pump = BusyPump(
            self.connections, listeners, lambda: Connection(state, self.connections)
        ).pump
        state.hooks.register(TlsReload(lambda: self.tls_context), name="tls-reload")
        self._tasks.append(asyncio.ensure_future(self._cron()))

    async def _listen_tcp(
        self, port: int, context: ssl.SSLContext | None
    ) -> list[asyncio.base_events.Server]:
        """One listener per `bind` address on `port` (TLS when `context` is given)."""
        state = self.state
        settings = state.settings
        loop = asyncio.get_running_loop()
        made = []
        for host in settings.bind:
            host = host.lstrip("-")
            try:
                server = await loop.create_server(
                    lambda: Connection(state, self.connections),
                    host,
                    port,
                    reuse_address=True,
                    backlog=511,
                    ssl=context,
                )
            except OSError as exc:
                if host == "::1" and len(settings.bind) > 1:
                    log.warning(
                        "Could not bind %s:%d (%s); continuing without it",
                        host,
                        port,
                        exc.strerror,
                    )
                    continue
                raise StartupError(
                    f"Could not create server TCP listening socket {host}:{port}: {exc.strerror}"
                ) from None
            made.append(server)
        self.servers += made
        return made

    async def _listen_unix(self, path: str, permissions: int) -> asyncio.base_events.Server:
        """The unix socket: a stale file from an earlier run is replaced, as Redis does."""
        state = self.state
        loop = asyncio.get_running_loop()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        try:
            server = await loop.create_unix_server(
                lambda: Connection(state, self.connections), path, backlog=511
            )
        except OSError as exc:
            raise StartupError(f"Failed opening Unix socket: {exc.strerror}") from None
        if permissions:
            os.chmod(path, permissions)
        self.unix_path = path
        self.servers.append(server)
        return server

    def request_stop(self, save: bool | None = None) -> None:
        self.shutdown_save = save
        if self._stop is not None:
            self._stop.set()

    async def wait_stopped(self) -> None:
        assert self._stop is not None
        await self._stop.wait()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for server in self.servers:
            server.close()
        for session in list(self.state.clients.values()):
            if session.closer is not None:
                session.closer()
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        if self.unix_path:
            log.info("Removing the unix socket file.")
            with contextlib.suppress(OSError):
                os.unlink(self.unix_path)
            self.unix_path = ""

    async def _cron(self) -> None:
        """Redis's serverCron: active expiry, idle clients, persistence timers."""
        state = self.state
        while True:
            hz = state.settings.hz
            await asyncio.sleep(1.0 / hz)
            try:
                state.keyspace.active_expire_cycle(0.25 / hz)
                state.stats.sample(time.monotonic())
                self._close_idle_clients()
                state.hooks.hook.ferrite_cron(state=state)
            except Exception:  # the cron must survive any single failure
                log.exception("periodic task failed")

    def _close_idle_clients(self) -> None:
        timeout = self.state.settings.timeout
        if not timeout:
            return
        now = time.time()
        for session in list(self.state.clients.values()):
            if now - session.last_interaction > timeout and session.closer:
                log.info("Closing idle client id=%d", session.id)
                session.closer()


def run(state: ServerState, on_ready: Callable[[ServerState], None] | None = None) -> int:
    """Run the server until SIGTERM/SIGINT or SHUTDOWN; return the exit code."""
    factory, loop_name = choose_event_loop(state.settings)
    state.event_loop_name = loop_name
    if state.settings.parser == "python" or not HIREDIS_AVAILABLE:
        state.parser_name = "python"
    loop = factory()
    asyncio.set_event_loop(loop)
    server = FerriteServer(state)
    try:
        loop.run_until_complete(server.start())
    except StartupError as exc:
        log.error("%s", exc)
        loop.close()
        return 1
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, _on_signal, server, sig)
    state.oversight.shutdown_guard.install((signal.SIGTERM, signal.SIGINT))
    log.info(
        "Ferrite %s started: port=%d pid=%d event-loop=%s parser=%s",
        __version__,
        state.tcp_port,
        os.getpid(),
        loop_name,
        state.parser_name,
    )
    settings = state.settings
    if settings.port:
        log.info("Ready to accept connections tcp")
    if settings.unixsocket:
        log.info("The server is now ready to accept connections at %s", settings.unixsocket)
    if settings.tls_port:
        log.info("Ready to accept connections tls on port %d", settings.tls_port)
    if on_ready is not None:
        on_ready(state)
    try:
        loop.run_until_complete(server.wait_stopped())
    finally:
        code = 0
        try:
            state.hooks.hook.ferrite_shutdown(state=state, save=server.shutdown_save)
        except Exception as exc:
            log.error("Error during shutdown: %s", exc)
            code = 1
        loop.run_until_complete(server.close())
        loop.close()
    log.info("Ferrite is now ready to exit, bye bye...")
    return code


def _on_signal(server: FerriteServer, sig: signal.Signals) -> None:
    log.info("Received %s scheduling shutdown...", sig.name)
    server.request_stop()
