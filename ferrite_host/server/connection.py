"""One client connection: bytes in, commands through the dispatcher, one write per batch."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import TYPE_CHECKING, Any, cast

from ferrite_host.blocking import Blocking
from ferrite_host.core.loglevels import VERBOSE
from ferrite_host.core.peers import format_peer, is_local
from ferrite_host.core.session import REPLIES_ON, SKIP_NEXT, SKIP_THIS_AND_NEXT
from ferrite_host.protocol.encoder import encode_into
from ferrite_host.protocol.parser import RequestParser
from ferrite_host.protocol.replies import NO_REPLY, Error, Push, Replies
from ferrite_host.pubsub import Tracking
from ferrite_host.server.busy import exit_now
from ferrite_host.server.output_guard import OutputGuard

if TYPE_CHECKING:
    from ferrite_host.core.session import Session
    from ferrite_host.core.state import ServerState

log = logging.getLogger("ferrite")

DENIED = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    "Alternatively you can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    "If you started the server manually just for testing, restart it with the "
    "'--protected-mode no' option. 4) Setup a an authentication password for the default "
    "user. NOTE: You only need to do one of the above things in order for the server to start "
    "accepting connections from the outside."
)
NESTING_ERROR = "ERR reply nested too deeply to be sent"


class Connection(asyncio.Protocol):
    def __init__(self, state: ServerState, registry: set[Connection] | None = None) -> None:
        self.state = state
        #: The server's live connections (the busy pump serves them during a long call).
        self._registry = registry if registry is not None else set()
        #: True while this connection's own commands run (the pump leaves it alone).
        self._running = False
        self.transport: asyncio.Transport | None = None
        self.session: Session | None = None
        self.parser: RequestParser | None = None
        self._execute = state.dispatcher.execute
        #: Out-of-band bytes produced while this connection's own batch is being built: they
        #: go after the reply of the command that produced them, as in Redis.
        self._pushed: list[bytes] | None = None
        self._tracking = Tracking.of(state)
        #: The replies of the batch being answered; pushes made meanwhile join it, in order.
        self._out: list[bytes] | None = None
        self._blocking = Blocking.of(state)
        #: While the client is blocked (BLPOP...): the commands it sent after the blocking
        #: one, answered once it is served, as Redis stops reading a blocked client.
        self._deferred: list[list[bytes]] | None = None
        #: Disconnects this client when its unsent replies pass its class's limits.
        self._guard = OutputGuard(state)

    # -- asyncio callbacks -------------------------------------------------------------------

    def connection_made(self, base_transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, so cast rather than check.
        if self.session is not None:  # accepted while busy: the loop now adopts the socket
            self.transport = cast(asyncio.Transport, base_transport)
            self._guard.watch(self.session, self.transport)
            return
        self.transport = transport = cast(asyncio.Transport, base_transport)
        state = self.state
        peer = transport.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else ""
        state.stats.total_connections += 1
        if len(state.clients) >= state.settings.maxclients:
            state.stats.rejected_connections += 1
            transport.write(b"-ERR max number of clients reached\r\n")
            transport.close()
            return
        settings = state.settings
        if settings.protected_mode and not state.auth_required and host and not is_local(host):
            transport.write(b"-" + DENIED.encode() + b"\r\n")
            transport.close()
            return
        sockname = transport.get_extra_info("sockname")
        if isinstance(sockname, str) and sockname:  # a unix socket: Redis writes `path:0`
            session = state.new_session(f"{sockname}:0", f"{sockname}:0")
            session.conn_type = "unix"
        else:
            session = state.new_session(format_peer(peer), format_peer(sockname))
            if transport.get_extra_info("sslcontext") is not None:
                session.conn_type = "tls"
        session.closer = self.close
        session.push_writer = self.push
        session.output_pending = self._guard.pending
        self._guard.watch(session, transport)
        self._registry.add(self)
        self.session = session
        state.out_of_band.register(session.id, self._push)
        self.parser = RequestParser(
            settings.proto_max_bulk_len,
            settings.client_query_buffer_limit,
            use_hiredis=state.parser_name == "hiredis",
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._registry.discard(self)
        if self.session is not None:
            self.state.drop_session(self.session)
            self.session = None

    def data_received(self, data: bytes) -> None:
        session, parser, transport = self.session, self.parser, self.transport
        if session is None or parser is None or transport is None:
            return
        session.last_interaction = time.time()
        settings = self.state.settings
        parser.require_auth = session.must_authenticate
        parser.max_bulk_len = settings.proto_max_bulk_len  # CONFIG SET applies to everyone
        parser.max_query_buffer = settings.client_query_buffer_limit
        commands = parser.feed(data)
        if self._deferred is not None:  # blocked: keep them for after the reply
            self._deferred.extend(commands)
            self.state.stats.net_input_bytes += len(data)
            return
        self._running = True
        try:
            self._answer(session, parser, transport, commands, len(data))
        finally:
            self._running = False

    def _answer(
        self,
        session: Session,
        parser: RequestParser,
        transport: asyncio.Transport,
        commands: list[list[bytes]],
        received: int,
    ) -> None:
        out: list[bytes] = []
        self._out = out
        execute = self._execute
        pushed: list[bytes] = []
        self._pushed = pushed
        tracking = self._tracking
        tracking.current = session
        blocking = self._blocking
        blocked = False
        try:
            while True:
                for index, argv in enumerate(commands):
                    reply = execute(session, argv)
                    if reply is NO_REPLY and blocking.is_blocked(session):
                        out += pushed
                        pushed.clear()
                        self._park(session, commands[index + 1 :])
                        blocked = True
                        break
                    if blocking.ready:
                        blocking.serve_ready()
                    if session.reply_mode:  # CLIENT REPLY OFF or SKIP
                        reply = _muted(session, reply)
                    mark = len(out)
                    try:
                        encode_into(out, reply, session.protocol)
                    except RecursionError:  # a module reply nested deeper than Python recurses
                        del out[mark:]
                        encode_into(out, Error(NESTING_ERROR), session.protocol)
                    if pushed:
                        out += pushed
                        pushed.clear()
                    if tracking.pending:
                        tracking.after_reply()  # a client's own changes: after its reply
                    if session.close_after_reply:
                        break
                if blocked or not parser.auth_pending or session.close_after_reply:
                    break
                parser.require_auth = session.must_authenticate  # an AUTH in this read may count
                commands = parser.feed(b"")
            tracking.send_broadcasts()
        finally:
            self._pushed = None
            self._out = None
            tracking.current = None
        if parser.error is not None and not session.close_after_reply:
            log.log(
                VERBOSE,
                "Protocol error (%s) from client: id=%d addr=%s",
                parser.error,
                session.id,
                session.addr,
            )
            encode_into(out, Error("ERR " + parser.error), session.protocol)
            session.close_after_reply = True
        if parser.overflow:
            log.warning(
                "Closing client that reached max query buffer length: id=%d addr=%s",
                session.id,
                session.addr,
            )
            session.close_after_reply = True
        if out:
            payload = b"".join(out)
            self.state.stats.net_output_bytes += len(payload)
            transport.write(payload)
            if transport.get_write_buffer_size():  # not all sent at once: a slow reader
                self._guard.check()
        self.state.stats.net_input_bytes += received
        if session.close_after_reply:
            transport.close()

    def _park(self, session: Session, rest: list[list[bytes]]) -> None:
        """The client is blocked: hold its next commands until it is served. Reading goes on,
        as in Redis, so that a client leaving while blocked is noticed."""
        self._deferred = rest
        waiter = self._blocking.waiter_of(session)
        if waiter is not None:
            waiter.resume = self._schedule_resume

    def _schedule_resume(self) -> None:
        asyncio.get_running_loop().call_soon(self._resume)

    def _resume(self) -> None:
        """The client was served: answer what it sent meanwhile, then read again."""
        session, parser, transport = self.session, self.parser, self.transport
        deferred, self._deferred = self._deferred, None
        if session is None or parser is None or transport is None or transport.is_closing():
            return
        if deferred:
            self._running = True
            try:
                self._answer(session, parser, transport, deferred, 0)
            finally:
                self._running = False

    def push(self, reply: Any) -> None:
        """Write an out-of-band reply (a pub/sub message, an invalidation): after the
        replies of the batch being answered, or at once when the client is idle."""
        session, transport = self.session, self.transport
        if session is None or transport is None or transport.is_closing():
            return
        if self._out is not None:
            encode_into(self._out, reply, session.protocol)
            return
        out: list[bytes] = []
        encode_into(out, reply, session.protocol)
        payload = b"".join(out)
        self.state.stats.net_output_bytes += len(payload)
        transport.write(payload)
        if transport.get_write_buffer_size():
            self._guard.check()

    def _push(self, data: bytes) -> None:
        transport = self.transport
        if self._pushed is not None:
            self._pushed.append(data)
        elif transport is not None and not transport.is_closing():
            self.state.stats.net_output_bytes += len(data)
            transport.write(data)
            if transport.get_write_buffer_size():
                self._guard.check()

    # -- serving while another call is busy ----------------------------------------------

    def fileno(self) -> int:
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        return int(sock.fileno()) if sock is not None else -1

    def can_pump(self) -> bool:
        transport = self.transport
        return (
            not self._running
            and self._deferred is None
            and self.session is not None
            and self.session.conn_type != "tls"  # its bytes are for the ssl layer to read
            and transport is not None
            and not transport.is_closing()
        )

    def serve_while_busy(self, busy_error: str) -> None:
        """Read what arrived and answer it while another call keeps the loop busy."""
        session, parser, transport = self.session, self.parser, self.transport
        if session is None or parser is None or transport is None:
            return
        try:
            data = os.read(self.fileno(), 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            transport.close()
            return
        if not data:
            transport.close()
            return
        self.state.stats.net_input_bytes += len(data)
        out: list[bytes] = []
        self._running = True
        try:
            for argv in parser.feed(data):
                encode_into(out, self._busy_reply(session, argv, busy_error), session.protocol)
        finally:
            self._running = False
        if out:
            transport.write(b"".join(out))

    def _busy_reply(self, session: Session, argv: list[bytes], busy_error: str) -> object:
        resolved = self.state.dispatcher.resolve(argv)
        if type(resolved) is Error:
            return resolved
        spec = resolved
        name = spec.full_name  # type: ignore[union-attr]
        if name == "shutdown" and any(arg.lower() == b"nosave" for arg in argv[1:]):
            exit_now("SHUTDOWN NOSAVE received while busy")
        if name != "shutdown" and "allow_busy" in spec.flags:  # type: ignore[union-attr]
            return self._execute(session, argv)
        return self.state.dispatcher.refuse(session, spec, busy_error)  # type: ignore[arg-type]

    def close(self) -> None:
        """Disconnect (CLIENT KILL, idle timeout, output limits, shutdown). The client leaves
        the server's lists at once, as Redis frees a killed client before it answers the
        killer, so a CLIENT LIST right after no longer shows it; the socket closes after."""
        if self.transport is not None:
            self.transport.close()
        if self.session is not None and not self._running:
            self._registry.discard(self)
            self.state.drop_session(self.session)
            self.session = None


def _muted(session: Session, reply: Any) -> Any:
    """CLIENT REPLY: nothing while OFF; with SKIP, nothing for it and the next command.
    Push frames (SUBSCRIBE's confirmations, in RESP2 too) are sent anyway, as Redis 7.0
    does for what it sends while "pushing"."""
    mode = session.reply_mode
    if mode == SKIP_THIS_AND_NEXT:
        session.reply_mode = SKIP_NEXT
    elif mode == SKIP_NEXT:
        session.reply_mode = REPLIES_ON
    if type(reply) is Push:
        return reply
    if type(reply) is Replies:
        pushes = [frame for frame in reply if type(frame) is Push]
        if pushes:
            return Replies(pushes)
    return NO_REPLY
