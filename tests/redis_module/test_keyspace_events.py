"""Module keyspace events: subscribe_to_keyspace_events with Redis's type bits (from
on_load or a context), notify_keyspace_event reaching modules and pub/sub clients, and
publish_message. In process, through the real dispatcher and a real Session's push seam."""

from __future__ import annotations

from typing import Any

from redis_module_helpers import add_module

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.protocol.replies import Push
from ferrite_host.redis_module import RedisModule
from ferrite_host.redis_module.api import NotifyFlag, RedisModuleCtx, Status
from ferrite_host.redis_module.notifications import ModuleKeyspaceEvents

Seen = list[tuple[int, int, str, bytes]]


def run(state: ServerState, session: Session, *argv: str) -> Any:
    return state.dispatcher.execute(session, [a.encode() for a in argv])


def _listener(seen: Seen) -> Any:
    def callback(ctx: RedisModuleCtx, kind: int, event: str, key: bytes) -> None:
        seen.append((ctx.db, kind, event, key))

    return callback


def _subscribed_module(state: ServerState, name: str, types: int, seen: Seen) -> RedisModule:
    return add_module(state, name, lambda m: m.subscribe_to_keyspace_events(types, _listener(seen)))


def test_subscription_from_on_load_hears_builtin_commands(
    state: ServerState, session: Session
) -> None:
    seen: Seen = []
    _subscribed_module(state, "ev", NotifyFlag.STRING | NotifyFlag.GENERIC, seen)
    session.select(3)
    run(state, session, "SET", "k", "v")
    run(state, session, "APPEND", "k", "w")
    run(state, session, "EXPIRE", "k", "100")
    run(state, session, "RENAME", "k", "k2")
    run(state, session, "DEL", "k2")
    assert seen == [
        (3, NotifyFlag.STRING, "set", b"k"),
        (3, NotifyFlag.STRING, "append", b"k"),
        (3, NotifyFlag.GENERIC, "expire", b"k"),
        (3, NotifyFlag.GENERIC, "rename_from", b"k"),
        (3, NotifyFlag.GENERIC, "rename_to", b"k2"),
        (3, NotifyFlag.GENERIC, "del", b"k2"),
    ]


def test_new_is_only_heard_when_asked_for_and_all_excludes_it(
    state: ServerState, session: Session
) -> None:
    everything: Seen = []
    new_only: Seen = []
    _subscribed_module(state, "all", NotifyFlag.ALL, everything)
    _subscribed_module(state, "new", NotifyFlag.NEW, new_only)
    run(state, session, "SET", "fresh", "1")
    assert [event for _, _, event, _ in everything] == ["set"]
    assert new_only == [(0, NotifyFlag.NEW, "new", b"fresh")]


def test_expired_keys_are_announced(state: ServerState, session: Session) -> None:
    seen: Seen = []
    _subscribed_module(state, "exp", NotifyFlag.EXPIRED, seen)
    run(state, session, "SET", "gone", "1", "PXAT", "1")
    assert run(state, session, "GET", "gone") is None
    assert seen == [(0, NotifyFlag.EXPIRED, "expired", b"gone")]


def test_callback_may_use_its_context_and_is_not_reentered(
    state: ServerState, session: Session
) -> None:
    calls: list[tuple[bytes, Any]] = []

    def callback(ctx: RedisModuleCtx, kind: int, event: str, key: bytes) -> None:
        calls.append((key, ctx.call("GET", key)))
        ctx.call("SET", b"shadow:" + key, "x")  # its own write does not call it again

    add_module(
        state, "shadow", lambda m: m.subscribe_to_keyspace_events(NotifyFlag.STRING, callback)
    )
    run(state, session, "SET", "a", "1")
    assert calls == [(b"a", b"1")]
    assert run(state, session, "GET", "shadow:a") == b"x"


def test_a_failing_callback_does_not_fail_the_command(state: ServerState, session: Session) -> None:
    def callback(ctx: RedisModuleCtx, kind: int, event: str, key: bytes) -> None:
        raise RuntimeError("module bug")

    add_module(state, "buggy", lambda m: m.subscribe_to_keyspace_events(NotifyFlag.ALL, callback))
    assert run(state, session, "SET", "a", "1") == "OK"


def test_notify_keyspace_event_reaches_modules_and_subscribed_clients(
    state: ServerState, session: Session
) -> None:
    seen: Seen = []
    _subscribed_module(state, "mod", NotifyFlag.MODULE, seen)
    listener = state.new_session()
    pushes: list[Any] = []
    listener.push_writer = pushes.append
    run(state, listener, "SUBSCRIBE", "__keyspace@0__:k", "__keyevent@0__:my.event")
    ctx = RedisModuleCtx(session, "x")
    assert ctx.notify_keyspace_event(NotifyFlag.MODULE, "my.event", "k") == Status.OK
    assert seen == [(0, NotifyFlag.MODULE, "my.event", b"k")]
    assert pushes == []  # `d` is not enabled yet
    run(state, session, "CONFIG", "SET", "notify-keyspace-events", "KEd")
    ctx.notify_keyspace_event(NotifyFlag.MODULE, "my.event", "k")
    assert pushes == [
        Push([b"message", b"__keyspace@0__:k", b"my.event"]),
        Push([b"message", b"__keyevent@0__:my.event", b"k"]),
    ]
    assert ctx.notify_keyspace_event(NotifyFlag.KEYSPACE, "x", "k") == Status.ERR
    assert state.dirty == 0  # an announcement changes nothing


def test_subscribe_from_a_context_and_forget_on_unload(
    state: ServerState, session: Session
) -> None:
    seen: Seen = []
    module = add_module(state, "late", lambda m: None)
    ctx = RedisModuleCtx(session, "x", module=module)
    assert ctx.subscribe_to_keyspace_events(NotifyFlag.GENERIC, _listener(seen)) == Status.OK
    run(state, session, "SET", "a", "1")
    run(state, session, "DEL", "a")
    assert seen == [(0, NotifyFlag.GENERIC, "del", b"a")]
    ModuleKeyspaceEvents.of(state).forget(module)
    run(state, session, "SET", "a", "1")
    run(state, session, "DEL", "a")
    assert len(seen) == 1


def test_publish_message(state: ServerState, session: Session) -> None:
    listener = state.new_session()
    pushes: list[Any] = []
    listener.push_writer = pushes.append
    run(state, listener, "PSUBSCRIBE", "news.*")
    ctx = RedisModuleCtx(session, "x")
    assert ctx.publish_message("news.today", b"hello") == 1
    assert ctx.publish_message("other", "nobody") == 0
    assert pushes == [Push([b"pmessage", b"news.*", b"news.today", b"hello"])]
