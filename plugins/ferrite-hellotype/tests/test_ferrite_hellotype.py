"""HELLOTYPE.* and the hellotype data type against a real server."""

from __future__ import annotations

import pytest
import redis
from ferrite_hellotype import value as hellotype

from ferrite_host.testing import in_background, wait_until_blocked

pytestmark = pytest.mark.ferrite_modules("hellotype")

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


def insert_all(client: redis.Redis, key: str, numbers: list[int]) -> None:
    for number in numbers:
        client.execute_command("hellotype.insert", key, number)


def test_insert_keeps_the_list_sorted_and_answers_its_length(ferrite_client):
    assert ferrite_client.execute_command("hellotype.insert", "k", 5) == 1
    assert ferrite_client.execute_command("hellotype.insert", "k", -3) == 2
    assert ferrite_client.execute_command("hellotype.insert", "k", 5) == 3
    assert ferrite_client.execute_command("hellotype.insert", "k", 2**63 - 1) == 4
    assert ferrite_client.execute_command("hellotype.range", "k", 0, 10) == [
        -3,
        5,
        5,
        2**63 - 1,
    ]
    assert ferrite_client.execute_command("hellotype.len", "k") == 4
    assert ferrite_client.type("k") == b"hellotype"


def test_range_honours_first(ferrite_client):
    insert_all(ferrite_client, "k", [50, 10, 40, 20, 30])
    assert ferrite_client.execute_command("hellotype.range", "k", 1, 2) == [20, 30]
    assert ferrite_client.execute_command("hellotype.range", "k", 3, 100) == [40, 50]
    assert ferrite_client.execute_command("hellotype.range", "k", 5, 1) == []
    assert ferrite_client.execute_command("hellotype.range", "k", 0, 0) == []


def test_missing_key_reads_as_empty(ferrite_client):
    assert ferrite_client.execute_command("hellotype.range", "nope", 0, 10) == []
    assert ferrite_client.execute_command("hellotype.len", "nope") == 0
    assert ferrite_client.exists("nope") == 0


@pytest.mark.parametrize("bad", ["x", "1.5", "9223372036854775808", " 1", ""])
def test_insert_rejects_values_that_are_not_int64(ferrite_client, bad):
    assert error_of(ferrite_client, "hellotype.insert", "k", bad) == (
        "invalid value: must be a signed 64 bit integer"
    )
    assert ferrite_client.exists("k") == 0


@pytest.mark.parametrize(("first", "count"), [("-1", "1"), ("0", "-1"), ("a", "1"), ("0", "b")])
def test_range_rejects_bad_first_or_count(ferrite_client, first, count):
    insert_all(ferrite_client, "k", [1])
    assert error_of(ferrite_client, "hellotype.range", "k", first, count) == (
        "invalid first or count parameters"
    )


def test_other_types_are_wrongtype_before_arguments_are_checked(ferrite_client):
    ferrite_client.set("s", "v")
    assert error_of(ferrite_client, "hellotype.insert", "s", "not-a-number") == WRONGTYPE
    assert error_of(ferrite_client, "hellotype.range", "s", 0, 1) == WRONGTYPE
    assert error_of(ferrite_client, "hellotype.len", "s") == WRONGTYPE
    insert_all(ferrite_client, "h", [1])
    assert error_of(ferrite_client, "GET", "h") == WRONGTYPE


def test_wrong_arity(ferrite_client):
    assert error_of(ferrite_client, "hellotype.insert", "k") == (
        "wrong number of arguments for 'hellotype.insert' command"
    )
    assert error_of(ferrite_client, "hellotype.range", "k", 0) == (
        "wrong number of arguments for 'hellotype.range' command"
    )
    assert error_of(ferrite_client, "hellotype.len") == (
        "wrong number of arguments for 'hellotype.len' command"
    )


def test_set_overwrites_and_del_removes_a_hellotype_value(ferrite_client):
    insert_all(ferrite_client, "k", [1, 2])
    ferrite_client.set("k", "now a string")
    assert ferrite_client.get("k") == b"now a string"
    insert_all(ferrite_client, "j", [1])
    assert ferrite_client.delete("j") == 1
    assert ferrite_client.execute_command("hellotype.len", "j") == 0


def test_unload_is_refused_while_values_exist(ferrite_client):
    insert_all(ferrite_client, "k", [1])
    with pytest.raises(redis.exceptions.ModuleError, match="module-side data types"):
        ferrite_client.execute_command("MODULE", "UNLOAD", "hellotype")
    assert ferrite_client.execute_command("hellotype.len", "k") == 1


def test_aof_rewrite_commands_rebuild_the_value(ferrite_client):
    numbers = [7, -1, 7, 3, -(2**63)]
    source = hellotype.HelloTypeValue(numbers)
    for command in hellotype.aof_rewrite(source, b"rebuilt"):
        ferrite_client.execute_command(*command)
    assert ferrite_client.execute_command("hellotype.range", "rebuilt", 0, 10) == sorted(numbers)


def test_values_survive_a_snapshot_and_restart(ferrite_server_factory, tmp_path):
    server = ferrite_server_factory(modules=["hellotype"], directory=tmp_path)
    client = server.client()
    insert_all(client, "k", [3, 1, 2])
    client.save()
    client.close()
    server.stop()
    restarted = ferrite_server_factory(modules=["hellotype"], directory=tmp_path, port=server.port)
    client = restarted.client()
    assert client.execute_command("hellotype.range", "k", 0, 10) == [1, 2, 3]
    client.close()


# The six type callbacks, called directly.


def test_rdb_save_and_load_round_trip():
    source = hellotype.HelloTypeValue([5, -2, 0, 2**63 - 1, -(2**63)])
    data = hellotype.rdb_save(source)
    assert hellotype.rdb_load(data, 0).items == sorted(source.items)
    with pytest.raises(ValueError, match="encoding version 1"):
        hellotype.rdb_load(data, 1)
    with pytest.raises(ValueError, match="expected"):
        hellotype.rdb_load(data[:-1], 0)


def test_mem_usage_digest_and_free():
    value = hellotype.HelloTypeValue([1, 2, 3])
    assert hellotype.mem_usage(value) == 16 + 16 * 3
    assert hellotype.digest(value) == hellotype.digest(hellotype.HelloTypeValue([3, 2, 1]))
    assert hellotype.digest(value) != hellotype.digest(hellotype.HelloTypeValue([1, 2]))
    hellotype.free(value)
    assert len(value) == 0


def test_type_definition_declares_all_six_callbacks():
    definition = hellotype.type_definition()
    assert definition.name == "hellotype"
    assert definition.encver == 0
    for callback in ("rdb_save", "rdb_load", "aof_rewrite", "mem_usage", "digest", "free"):
        assert getattr(definition.methods, callback) is not None


def test_brange_answers_at_once_when_the_key_exists(ferrite_client):
    insert_all(ferrite_client, "k", [3, 1, 2])
    assert ferrite_client.execute_command("hellotype.brange", "k", 0, 2, 0) == [1, 2]


def test_brange_waits_for_an_insert_from_another_client(ferrite_server, ferrite_client):
    other = ferrite_server.client()
    answer = in_background(lambda: other.execute_command("hellotype.brange", "b", 0, 10, 0))
    wait_until_blocked(ferrite_client)
    ferrite_client.set("unrelated", 1)
    ferrite_client.execute_command("hellotype.insert", "b", 7)
    assert answer() == [7]


def test_brange_times_out_without_a_value(ferrite_client):
    assert ferrite_client.execute_command("hellotype.brange", "t", 0, 10, 30) == (
        b"Request timedout"
    )


def test_brange_errors(ferrite_client):
    ferrite_client.set("s", "x")
    assert error_of(ferrite_client, "hellotype.brange", "s", 0, 1, 0) == WRONGTYPE
    assert error_of(ferrite_client, "hellotype.brange", "n", 0, 1, "x") == (
        "invalid timeout parameter"
    )
    assert error_of(ferrite_client, "hellotype.brange", "n", 0, 1).startswith(
        "wrong number of arguments"
    )
