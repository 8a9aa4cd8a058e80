"""Module data types: declarations, the handle's callbacks, and when the keyspace frees values."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from ferrite_host.core.session import Session
from ferrite_host.core.state import ServerState
from ferrite_host.keyspace import TypedValue, ValueType
from ferrite_host.redis_module import ModuleTypeError
from ferrite_host.redis_module.types import (
    ModuleTypeRegistry,
    ModuleTypeValue,
    RedisModuleType,
    RedisModuleTypeDef,
    TypeMethods,
)
from ferrite_host.testing import run_command


class Blob(ModuleTypeValue):
    freed: list[bytes] = []

    def __init__(self, data: bytes) -> None:
        self.data = data

    def rdb_save(self) -> bytes:
        return self.data

    @classmethod
    def rdb_load(cls, data: bytes, encver: int) -> Blob:
        return cls(data + b"@%d" % encver)

    def aof_rewrite(self, key: bytes) -> list[list[bytes]]:
        return [[b"BLOB.SET", key, self.data]]

    def mem_usage(self) -> int:
        return len(self.data)

    def digest(self) -> bytes:
        return b"d:" + self.data

    def free(self) -> None:
        Blob.freed.append(self.data)

    def copy(self) -> Blob:
        return Blob(self.data)


@pytest.fixture(autouse=True)
def _reset_blob() -> None:
    Blob.freed = []


def test_type_methods_defaults_and_repr() -> None:
    methods = TypeMethods()
    assert all(
        getattr(methods, f) is None
        for f in ("rdb_save", "rdb_load", "aof_rewrite", "mem_usage", "digest", "free", "copy")
    )
    assert repr(methods) == "TypeMethods(none)"
    assert repr(TypeMethods(rdb_save=bytes, free=print)) == "TypeMethods(rdb_save, free)"


def test_typedef_builders_are_copies() -> None:
    base = RedisModuleTypeDef("mytype", 1)
    with_methods = base.with_methods(TypeMethods(rdb_save=lambda v: v.rdb_save()))
    assert base.methods.rdb_save is None and with_methods.methods.rdb_save is not None
    assert with_methods.encoding_version == 1
    assert base.with_value_class(Blob).value_class is Blob and base.value_class is None


@pytest.mark.parametrize(
    "name,encver,reason",
    [
        ("", 0, "invalid module type name"),
        ("toolongname", 0, "invalid module type name"),
        ("bad name", 0, "invalid module type name"),
        ("bad.name", 0, "invalid module type name"),
        ("ok", -1, "invalid encoding version"),
        ("ok", 1024, "invalid encoding version"),
        ("AAAAAAAAA", 0, "reserved"),
    ],
)
def test_validation(name: str, encver: int, reason: str) -> None:
    with pytest.raises(ModuleTypeError, match=reason):
        RedisModuleTypeDef(name, encver).validate()


def test_valid_names() -> None:
    for name in ("mytype", "hellotype", "a", "A-z_09"):
        RedisModuleTypeDef(name, 1023).validate()
    RedisModuleTypeDef("AAAAAAAAA", 1).validate()
    with pytest.raises(ModuleTypeError, match="TypeMethods"):
        RedisModuleTypeDef("x", 0, methods={"free": print}).validate()  # type: ignore[arg-type]


def test_handle_implements_value_type_with_explicit_methods() -> None:
    calls: list[Any] = []
    methods = TypeMethods(
        rdb_save=lambda v: b"s" + v,
        rdb_load=lambda data, encver: (data, encver),
        aof_rewrite=lambda v, key: [["SET", key, v], [b"EXPIRE", key, 10]],
        mem_usage=lambda v: 99,
        digest=lambda v: "text-digest",
        free=lambda v: calls.append(("free", v)),
        copy=lambda v: v + b"-copy",
    )
    handle = RedisModuleType(RedisModuleTypeDef("full", 3, methods), "fullmod")
    assert isinstance(handle, ValueType)
    assert (handle.name, handle.encver, handle.module_name) == ("full", 3, "fullmod")
    assert handle.save(b"v") == b"sv"
    assert handle.can_save()
    assert handle.load(b"d", 2) == (b"d", 2)
    assert handle.aof_rewrite(b"v", b"k") == [[b"SET", b"k", b"v"], [b"EXPIRE", b"k", b"10"]]
    assert handle.mem_usage(b"v") == 99
    assert handle.digest(b"v") == b"text-digest"
    assert handle.copy(b"v") == b"v-copy" and handle.has_copy()
    handle.release(b"v")
    assert calls == [("free", b"v")]
    assert "full" in repr(handle)


def test_handle_falls_back_to_module_type_value_methods() -> None:
    handle = RedisModuleType(RedisModuleTypeDef("blob", 4).with_value_class(Blob), "blobmod")
    value = Blob(b"xyz")
    assert handle.can_save() and handle.has_copy()
    assert handle.save(value) == b"xyz"
    assert handle.load(b"abc", 2).data == b"abc@2"
    assert handle.aof_rewrite(value, b"k") == [[b"BLOB.SET", b"k", b"xyz"]]
    assert handle.mem_usage(value) == 3
    assert handle.digest(value) == b"d:xyz"
    assert handle.copy(value).data == b"xyz"
    handle.release(value)
    assert Blob.freed == [b"xyz"]


def test_handle_without_callbacks() -> None:
    handle = RedisModuleType(RedisModuleTypeDef("bare", 0), "baremod")
    assert not handle.can_save() and not handle.has_copy()
    assert handle.mem_usage(object()) == 0
    assert handle.digest(object()) == b""
    assert handle.aof_rewrite(object(), b"k") is None
    handle.release(object())  # no free: nothing happens
    with pytest.raises(NotImplementedError, match="not supported for this module key"):
        handle.copy(object())
    with pytest.raises(ModuleTypeError, match="has no rdb_save"):
        handle.save(object())
    with pytest.raises(ModuleTypeError, match="has no rdb_load"):
        handle.load(b"", 0)


def test_seed_style_rdb_save_through_the_value() -> None:
    typedef = RedisModuleTypeDef("mytype", 1).with_methods(
        TypeMethods(rdb_save=lambda val: val.rdb_save())
    )
    handle = RedisModuleType(typedef, "mymodule")
    assert handle.save(Blob(b"\x04\x05")) == b"\x04\x05"
    assert not handle.has_copy()


def test_callback_results_are_checked() -> None:
    handle = RedisModuleType(
        RedisModuleTypeDef(
            "bad", 0, TypeMethods(rdb_save=lambda v: 123.5, rdb_load=lambda d, e: None)
        ),
        "m",
    )
    assert handle.save(object()) == b"123.5"
    with pytest.raises(ModuleTypeError, match="returned None"):
        handle.load(b"x", 0)
    broken = RedisModuleType(
        RedisModuleTypeDef("bad2", 0, TypeMethods(rdb_save=lambda v: object())), "m"
    )
    with pytest.raises(ModuleTypeError, match="must produce bytes"):
        broken.save(1)
    negative = RedisModuleType(
        RedisModuleTypeDef("neg", 0, TypeMethods(mem_usage=lambda v: -5)), "m"
    )
    assert negative.mem_usage(1) == 0


def test_failing_free_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def free(value: Any) -> None:
        raise RuntimeError("cannot free")

    handle = RedisModuleType(RedisModuleTypeDef("oops", 0, TypeMethods(free=free)), "oopsmod")
    with caplog.at_level(logging.ERROR, logger="ferrite"):
        handle.release(1)
    assert "free callback of module type 'oops' (module oopsmod) failed" in caplog.text


def test_registry() -> None:
    registry = ModuleTypeRegistry("mymodule")
    handle = registry.register(RedisModuleTypeDef("mytype", 1))
    assert handle.module_name == "mymodule"
    assert len(registry) == 1 and "mytype" in registry and registry.get("mytype") is handle
    with pytest.raises(ModuleTypeError, match="already registered: mytype"):
        registry.register(RedisModuleTypeDef("mytype", 2))
    registry.register(RedisModuleTypeDef("type_a", 0))
    assert registry.type_names() == ["mytype", "type_a"]
    assert [h.name for h in registry] == ["mytype", "type_a"]
    registry.unregister("mytype")
    with pytest.raises(ModuleTypeError, match="not found: mytype"):
        registry.unregister("mytype")
    with pytest.raises(ModuleTypeError, match="invalid module type name"):
        registry.register(RedisModuleTypeDef("way_too_long", 0))


# -- free runs whenever a value leaves the keyspace ---------------------------------------


@pytest.fixture
def blob_type() -> RedisModuleType:
    return RedisModuleType(RedisModuleTypeDef("blob", 0).with_value_class(Blob), "blobmod")


run = run_command


def test_free_on_overwrite_by_set(
    state: ServerState, session: Session, blob_type: RedisModuleType
) -> None:
    session.db.set(b"k", TypedValue(blob_type, Blob(b"one")))
    assert run(state, session, "SET", "k", "str") == "OK"
    assert Blob.freed == [b"one"]


def test_free_on_flush(state: ServerState, session: Session, blob_type: RedisModuleType) -> None:
    session.db.set(b"a", TypedValue(blob_type, Blob(b"a")))
    state.keyspace[1].set(b"b", TypedValue(blob_type, Blob(b"b")))
    run(state, session, "FLUSHDB")
    assert Blob.freed == [b"a"]
    run(state, session, "FLUSHALL")
    assert Blob.freed == [b"a", b"b"]


def test_free_on_expiry(session: Session, blob_type: RedisModuleType) -> None:
    session.db.put(b"k", TypedValue(blob_type, Blob(b"old")), int(time.time() * 1000) - 1)
    assert session.db.get(b"k") is None
    assert Blob.freed == [b"old"]


def test_free_on_delete(state: ServerState, session: Session, blob_type: RedisModuleType) -> None:
    session.db.set(b"k", TypedValue(blob_type, Blob(b"gone")))
    if state.commands.lookup("del") is not None:
        assert run(state, session, "DEL", "k") == 1
    else:
        session.db.delete(b"k")
    assert Blob.freed == [b"gone"]


def test_builtin_string_commands_answer_wrongtype(
    state: ServerState, session: Session, blob_type: RedisModuleType
) -> None:
    session.db.set(b"k", TypedValue(blob_type, Blob(b"x")))
    assert (
        run(state, session, "GET", "k")
        == "WRONGTYPE Operation against a key holding the wrong kind of value"
    )


def test_type_answers_the_type_name(
    state: ServerState, session: Session, blob_type: RedisModuleType
) -> None:
    if state.commands.lookup("type") is None:
        pytest.skip("TYPE is not implemented yet")
    session.db.set(b"k", TypedValue(blob_type, Blob(b"x")))
    assert run(state, session, "TYPE", "k") == "blob"
