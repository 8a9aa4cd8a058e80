"""HELLO.PUSH.*, HELLO.LIST.* and HELLO.HCOPY against a real server, compared with what
helloworld.c answers for the same calls (its documented behaviour, worked through by hand:
Redis cannot load Python modules, so there is no server to diff against)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from ferrite_host.testing import FerriteProcess


@pytest.fixture(scope="module")
def hello_server() -> Iterator[FerriteProcess]:
    """One server with the module for this file (the plugin's fixture starts one per test)."""
    with FerriteProcess(modules=["hello"]) as server:
        yield server


@pytest.fixture
def ferrite_client(hello_server: FerriteProcess) -> Iterator[redis.Redis]:
    client = hello_server.client()
    client.flushall()
    yield client
    client.close()


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


def test_push_native_appends_and_answers_the_length(ferrite_client):
    assert ferrite_client.execute_command("hello.push.native", "l", "a") == 1
    assert ferrite_client.execute_command("hello.push.native", "l", b"\x00b") == 2
    assert ferrite_client.lrange("l", 0, -1) == [b"a", b"\x00b"]
    assert ferrite_client.object("encoding", "l") == b"quicklist"


def test_push_native_on_a_string_pushes_nothing_and_answers_its_length(ferrite_client):
    ferrite_client.set("s", "12345")
    assert ferrite_client.execute_command("hello.push.native", "s", "x") == 5
    assert ferrite_client.get("s") == b"12345"


def test_push_call_and_call2_answer_rpush(ferrite_client):
    assert ferrite_client.execute_command("hello.push.call", "l", "a") == 1
    assert ferrite_client.execute_command("hello.push.call2", "l", "b") == 2
    assert ferrite_client.lrange("l", 0, -1) == [b"a", b"b"]
    ferrite_client.set("s", "v")
    assert error_of(ferrite_client, "hello.push.call2", "s", "x").startswith("WRONGTYPE")


def test_list_sum_len_adds_element_lengths(ferrite_client):
    ferrite_client.rpush("l", "abc", "", "de", b"\x00" * 10)
    assert ferrite_client.execute_command("hello.list.sum.len", "l") == 15
    assert ferrite_client.execute_command("hello.list.sum.len", "missing") == 0


@pytest.mark.parametrize("name", ["hello.list.splice", "hello.list.splice.auto"])
def test_splice_moves_tail_elements_to_the_destination_head(ferrite_client, name):
    ferrite_client.rpush("src", "1", "2", "3", "4")
    ferrite_client.rpush("dst", "x")
    assert ferrite_client.execute_command(name, "src", "dst", 2) == 2
    assert ferrite_client.lrange("src", 0, -1) == [b"1", b"2"]
    assert ferrite_client.lrange("dst", 0, -1) == [b"3", b"4", b"x"]
    assert ferrite_client.execute_command(name, "src", "new", 10) == 0
    assert ferrite_client.exists("src") == 0  # an emptied list is deleted
    assert ferrite_client.lrange("new", 0, -1) == [b"1", b"2"]
    assert ferrite_client.execute_command(name, "missing", "new", 3) == 0
    assert ferrite_client.execute_command(name, "new", "new2", 0) == 2


@pytest.mark.parametrize("name", ["hello.list.splice", "hello.list.splice.auto"])
def test_splice_errors_as_upstream(ferrite_client, name):
    ferrite_client.set("s", "v")
    ferrite_client.rpush("l", "a")
    assert error_of(ferrite_client, name, "s", "l", 1).startswith("WRONGTYPE")
    assert error_of(ferrite_client, name, "l", "s", 1).startswith("WRONGTYPE")
    # Types are checked before the count, as upstream.
    assert error_of(ferrite_client, name, "s", "l", "x").startswith("WRONGTYPE")
    assert error_of(ferrite_client, name, "l", "l2", "-1") == "invalid count"
    assert error_of(ferrite_client, name, "l", "l2", "x") == "invalid count"
    assert error_of(ferrite_client, name, "l", "l2") == (
        f"wrong number of arguments for '{name}' command"
    )
    assert ferrite_client.lrange("l", 0, -1) == [b"a"]


def test_hcopy_copies_an_existing_field(ferrite_client):
    ferrite_client.hset("h", mapping={"a": "1", "b": "2"})
    assert ferrite_client.execute_command("hello.hcopy", "h", "a", "c") == 1
    assert ferrite_client.hgetall("h") == {b"a": b"1", b"b": b"2", b"c": b"1"}
    assert ferrite_client.execute_command("hello.hcopy", "h", "b", "a") == 1
    assert ferrite_client.hget("h", "a") == b"2"
    assert ferrite_client.execute_command("hello.hcopy", "h", "zz", "a") == 0
    assert ferrite_client.execute_command("hello.hcopy", "missing", "a", "b") == 0
    assert ferrite_client.exists("missing") == 0


def test_hcopy_errors_as_upstream(ferrite_client):
    ferrite_client.set("s", "v")
    assert error_of(ferrite_client, "hello.hcopy", "s", "a", "b").startswith("WRONGTYPE")
    assert error_of(ferrite_client, "hello.hcopy", "h", "a") == (
        "wrong number of arguments for 'hello.hcopy' command"
    )


def test_new_commands_keep_upstream_flags_and_keys(ferrite_client):
    expected = {
        b"hello.push.native": ({b"write", b"denyoom", b"module"}, [1, 1, 1]),
        b"hello.list.sum.len": ({b"readonly", b"module"}, [1, 1, 1]),
        b"hello.list.splice": ({b"write", b"denyoom", b"module"}, [1, 2, 1]),
        b"hello.list.splice.auto": ({b"write", b"denyoom", b"module"}, [1, 2, 1]),
        b"hello.hcopy": ({b"write", b"denyoom", b"module"}, [1, 1, 1]),
    }
    connection = ferrite_client.connection_pool.get_connection()
    try:
        connection.send_command("COMMAND", "INFO", *[n.decode() for n in expected])
        info = connection.read_response()
    finally:
        ferrite_client.connection_pool.release(connection)
    for entry in info:
        flags, keys = expected[entry[0]]
        assert set(entry[2]) == flags and entry[3:6] == keys, entry[0]
