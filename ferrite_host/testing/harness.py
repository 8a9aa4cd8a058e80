"""`Harness`: a real server state and dispatcher in process, for module authors' tests.

    harness = Harness(module)                 # a Module object, or an installed entry point
    assert harness.call("ACME.TALLY", "k", 5) == 5
    harness.restart()                          # SAVE, then a fresh server on the same files

Nothing is installed and no socket is opened, yet commands run through the same loader,
command table, dispatcher, keyspace and persistence as under `ferrite serve`; replies are
encoded in the session's RESP version and parsed back, so `call` returns what a client
would see (error replies raise ReplyError, as redis-py raises ResponseError).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import hiredis

from ferrite_host.assembly import build_state
from ferrite_host.core.config import Settings
from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.module.errors import ReplyError
from ferrite_host.persistence.manager import Persistence
from ferrite_host.protocol.encoder import encode
from ferrite_host.redis_module.manager import RedisModuleManager

#: A module given to the harness: an object (e.g. a `Module`), an installed entry point
#: name, or either followed by its load arguments in a tuple.
ModuleSpec = object


class Harness:
    def __init__(
        self,
        *modules: ModuleSpec,
        protocol: int = 2,
        directory: str | Path | None = None,
        **settings: Any,
    ) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="ferrite-harness-")
            directory = self._tmp.name
        self.directory = Path(directory)
        self.protocol = protocol
        self._modules = modules
        self._settings = {"save": "", **settings}
        self.state, self.session = self._start()

    def _start(self) -> tuple[ServerState, Session]:
        settings = Settings(dir=str(self.directory), autoload_modules=False, **self._settings)
        state = build_state(settings)
        manager = RedisModuleManager.install(state)
        for spec in self._modules:
            target, *args = spec if isinstance(spec, tuple) else (spec,)
            if isinstance(target, str):
                manager.load(target, [str(a) for a in args])
            else:
                name = str(getattr(target, "name", None) or type(target).__name__)
                manager.load_object(target, name, [str(a) for a in args])
        Persistence.attach(state)
        session = state.new_session(kind="normal")
        session.protocol = self.protocol
        return state, session

    def execute(self, *args: str | bytes | int | float) -> Any:
        """The reply value tree, before encoding (what the encoder gets)."""
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        return self.state.dispatcher.execute(self.session, argv)

    def raw(self, *args: str | bytes | int | float) -> bytes:
        """The reply's bytes on the wire in the session's RESP version."""
        return encode(self.execute(*args), self.session.protocol)

    def call(self, *args: str | bytes | int | float) -> Any:
        """The reply as a client sees it (bytes, int, list, dict in RESP3...); an error
        reply raises ReplyError carrying its text."""
        reader = hiredis.Reader()
        reader.feed(self.raw(*args))
        reply = reader.gets()
        if isinstance(reply, hiredis.ReplyError):
            raise ReplyError(str(reply))
        return reply

    def save(self) -> None:
        """SAVE: write the snapshot in the harness's directory."""
        self.call("SAVE")

    def restart(self, save: bool = True) -> None:
        """Stop this server (after a SAVE unless `save` is False) and start a new one on
        the same directory, with the same modules: module data must come back."""
        if save:
            self.save()
        self._stop()
        self.state, self.session = self._start()

    def _stop(self) -> None:
        persistence = Persistence.of(self.state)
        if persistence is not None:
            persistence.close()
        self.state.drop_session(self.session)

    def close(self) -> None:
        self._stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
