"""The names module authors import are exactly the documented ones."""

from __future__ import annotations

import ferrite_host.redis_module as pkg
from ferrite_host.redis_module import api, commands, errors, types


def test_package_exports_exactly_the_documented_names() -> None:
    assert sorted(pkg.__all__) == sorted(
        [
            "RedisModule",
            "ModuleInfo",
            "ModuleState",
            "RedisModuleManager",
            "RedisModuleError",
            "ModuleLoadError",
            "ModuleAlreadyLoadedError",
            "NoSuchModuleError",
            "ModuleUnloadError",
            "ModuleExportsTypesError",
            "ModuleHasBlockedClientsError",
            "ModuleHoldsTimersError",
            "ModuleUnloadRefusedError",
            "ModuleCommandError",
            "ModuleTypeError",
            "hookimpl",
            "hookspec",
        ]
    )
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None


def test_every_exported_error_is_a_redis_module_error() -> None:
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), pkg.RedisModuleError)
        assert getattr(pkg, name) is getattr(errors, name)


def test_api_module_names() -> None:
    required = {
        "RedisModuleCtx",
        "RedisModuleString",
        "RedisModuleKey",
        "KeyMode",
        "KeyType",
        "Status",
        "REDISMODULE_API_VERSION",
        "POSTPONED_LEN",
        "NO_EXPIRE",
        "ERRORMSG_WRONGTYPE",
    }
    assert required <= set(api.__all__)
    assert sorted(api.__all__) == sorted(
        required
        | {
            "ErrorReply",
            "NotifyFlag",
            "SimpleStringReply",
            "STRING_MAX_SIZE",
            "SUPPORTED_API_VERSIONS",
        }
        | {"YIELD_FLAG_CLIENTS", "YIELD_FLAG_NONE", "ServerEvent"}
        | {"ContextFlag"}
        | {"ListWhere", "HashFlag", "HASH_DELETE"}
        | {"ModuleOption"}
        | {"FILTER_NOSELF", "AuxWhen", "ClientInfoFlag", "CommandFilterCtx", "RedisModuleIO"}
        | {"ScanCursor", "KeySpecFlag", "BlockedClient"}
        | {"ConfigFlag"}
    )
    for name in api.__all__:
        assert hasattr(api, name)


def test_commands_and_types_module_names() -> None:
    assert {"ModuleCommand", "CommandFlag", "ModuleCommandRegistry"} <= set(commands.__all__)
    assert {
        "RedisModuleTypeDef",
        "TypeMethods",
        "ModuleTypeValue",
        "ModuleTypeError",
        "ModuleTypeRegistry",
    } <= set(types.__all__)
    for module in (commands, types):
        for name in module.__all__:
            assert hasattr(module, name)


def test_constants_have_redis_values() -> None:
    assert api.REDISMODULE_API_VERSION == 1
    assert api.POSTPONED_LEN == -1
    assert api.NO_EXPIRE == -1
    assert (
        api.ERRORMSG_WRONGTYPE
        == "WRONGTYPE Operation against a key holding the wrong kind of value"
    )
    assert (api.Status.OK, api.Status.ERR) == (0, 1)
    assert [k.name for k in api.KeyType] == [
        "EMPTY",
        "STRING",
        "LIST",
        "HASH",
        "SET",
        "ZSET",
        "MODULE",
        "STREAM",
    ]
    assert [int(k) for k in api.KeyType] == list(range(8))
    assert api.KeyMode.READ | api.KeyMode.WRITE == 3


def test_module_state_words() -> None:
    assert str(pkg.ModuleState.LOADED) == "loaded"
    assert [str(s) for s in pkg.ModuleState] == [
        "registered",
        "loaded",
        "unloading",
        "unloaded",
        "failed",
        "disabled",
    ]
