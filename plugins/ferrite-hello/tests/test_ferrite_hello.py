"""HELLO.* against a real server, compared with what helloworld.c answers."""

from __future__ import annotations

import importlib.util

import pytest
import redis

from ferrite_host.testing import raw_command

pytestmark = pytest.mark.ferrite_modules("hello")

RAND_MAX = 2**31 - 1


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


def test_simple_answers_the_selected_database(ferrite_server, ferrite_client):
    assert ferrite_client.execute_command("HELLO.SIMPLE") == 0
    assert ferrite_client.execute_command("hello.simple", "ignored", "args") == 0
    other_db = ferrite_server.client(db=3)
    assert other_db.execute_command("hello.simple") == 3
    other_db.close()


def test_rand_array_answers_count_random_non_negative_integers(ferrite_client):
    numbers = ferrite_client.execute_command("hello.rand.array", 50)
    assert len(numbers) == 50
    assert all(0 <= n <= RAND_MAX for n in numbers)
    assert len(set(numbers)) > 1
    assert ferrite_client.execute_command("hello.rand.array", 0) == []


@pytest.mark.parametrize("count", ["-1", "x", "1.5", ""])
def test_rand_array_rejects_a_bad_count(ferrite_client, count):
    assert error_of(ferrite_client, "hello.rand.array", count) == "invalid count"


def test_wrong_arity_names_the_declared_command(ferrite_client):
    assert error_of(ferrite_client, "HELLO.LEFTPAD", "a") == (
        "wrong number of arguments for 'hello.leftpad' command"
    )
    assert error_of(ferrite_client, "hello.rand.array") == (
        "wrong number of arguments for 'hello.rand.array' command"
    )


def test_toggle_case_swaps_ascii_case_in_place(ferrite_client):
    ferrite_client.set("k", b"Hello World 42 \xc3\xa9")
    ferrite_client.pexpire("k", 100_000)
    assert ferrite_client.execute_command("hello.toggle.case", "k") == b"OK"
    assert ferrite_client.get("k") == b"hELLO wORLD 42 \xc3\xa9"
    assert ferrite_client.pttl("k") > 90_000  # DMA writes keep the TTL


def test_toggle_case_on_a_missing_key_creates_nothing(ferrite_client):
    assert ferrite_client.execute_command("hello.toggle.case", "missing") == b"OK"
    assert ferrite_client.exists("missing") == 0


@pytest.mark.skipif(
    importlib.util.find_spec("ferrite_hellotype") is None, reason="needs ferrite-hellotype"
)
def test_toggle_case_on_another_type_is_wrongtype(ferrite_server_factory):
    server = ferrite_server_factory(modules=["hello", "hellotype"])
    client = server.client()
    client.execute_command("hellotype.insert", "list", 1)
    assert error_of(client, "hello.toggle.case", "list").startswith("WRONGTYPE")
    client.close()


def test_more_expire_extends_an_existing_ttl(ferrite_client):
    ferrite_client.set("k", "v", px=10_000)
    assert ferrite_client.execute_command("hello.more.expire", "k", 50_000) == b"OK"
    assert 55_000 < ferrite_client.pttl("k") <= 60_000


def test_more_expire_leaves_keys_without_ttl_alone(ferrite_client):
    ferrite_client.set("k", "v")
    assert ferrite_client.execute_command("hello.more.expire", "k", 5000) == b"OK"
    assert ferrite_client.pttl("k") == -1
    assert ferrite_client.execute_command("hello.more.expire", "missing", 5000) == b"OK"
    assert ferrite_client.exists("missing") == 0


def test_more_expire_rejects_a_bad_time(ferrite_client):
    assert error_of(ferrite_client, "hello.more.expire", "k", "soon") == "invalid expire time"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("abc", 6, "*"), b"***abc"),
        (("abc", 3, "*"), b"abc"),
        (("abcdef", 3, "too long"), b"abcdef"),  # upstream checks ch only when padding
        (("", 2, "0"), b"00"),
        (("x", 0, "-"), b"x"),
    ],
)
def test_leftpad(ferrite_client, args, expected):
    assert ferrite_client.execute_command("hello.leftpad", *args) == expected


def test_leftpad_errors(ferrite_client):
    assert error_of(ferrite_client, "hello.leftpad", "abc", -1, "*") == "invalid padding length"
    assert error_of(ferrite_client, "hello.leftpad", "abc", "ten", "*") == (
        "invalid padding length"
    )
    assert error_of(ferrite_client, "hello.leftpad", "abc", 6, "ab") == (
        "padding must be a single char"
    )


def test_repl1_increments_foo_and_bar_and_answers_zero(ferrite_client):
    assert ferrite_client.execute_command("hello.repl1") == 0
    assert ferrite_client.execute_command("hello.repl1") == 0
    assert ferrite_client.mget("foo", "bar") == [b"2", b"2"]


def test_push_call2_forwards_rpush_reply_unchanged(ferrite_client):
    """Whatever RPUSH answers (a length, or an error on a server without lists) comes back."""
    try:
        direct: object = ferrite_client.execute_command("RPUSH", "list", "a")
    except redis.ResponseError as exc:
        direct = str(exc).replace("'RPUSH'", "'rpush'")
        assert (
            error_of(ferrite_client, "hello.push.call2", "list", "a").replace("'RPUSH'", "'rpush'")
            == direct
        )
    else:
        assert ferrite_client.execute_command("hello.push.call2", "list", "b") == direct + 1


def test_push_call_answers_llong_min_when_rpush_fails(ferrite_client):
    ferrite_client.set("string", "v")
    # RPUSH on a string is WRONGTYPE (or an unknown command without lists): not an integer.
    assert ferrite_client.execute_command("hello.push.call", "string", "x") == -(2**63)


raw = raw_command


def test_commands_keep_helloworld_flags_and_key_triples(ferrite_client):
    names = ("hello.simple", "hello.leftpad", "hello.push.call2", "hello.toggle.case")
    info = raw(ferrite_client, "COMMAND", "INFO", *names)
    by_name = {entry[0]: entry for entry in info}
    simple = by_name[b"hello.simple"]
    assert simple[1] == -1 and set(simple[2]) == {b"readonly", b"module"}
    assert simple[3:6] == [0, 0, 0]
    assert set(by_name[b"hello.leftpad"][2]) == {b"module"}
    assert by_name[b"hello.leftpad"][3:6] == [1, 1, 1]
    assert set(by_name[b"hello.push.call2"][2]) == {b"write", b"denyoom", b"module"}
    assert set(by_name[b"hello.toggle.case"][2]) == {b"write", b"module"}


def test_zsumrange_sums_forward_and_backward(ferrite_client):
    ferrite_client.zadd("z", {"a": 1.5, "b": 2, "c": 3, "d": 10})
    assert ferrite_client.execute_command("hello.zsumrange", "z", "1", "3") == [6.5, 6.5]
    assert ferrite_client.execute_command("hello.zsumrange", "z", "5", "4") == [0.0, 0.0]
    assert error_of(ferrite_client, "hello.zsumrange", "z", "x", "3") == "invalid range"
    assert error_of(ferrite_client, "hello.zsumrange", "nokey", "1", "3").startswith("WRONGTYPE")
    ferrite_client.set("s", "v")
    assert error_of(ferrite_client, "hello.zsumrange", "s", "1", "3").startswith("WRONGTYPE")
    assert "wrong number" in error_of(ferrite_client, "hello.zsumrange", "z", "1")


def test_lexrange_lists_members_in_range_ignoring_ages(ferrite_client):
    ferrite_client.zadd("people", {"Anna:52": 0, "Bob:19": 0, "Carl:33": 0, "Dora:40": 0})
    reply = ferrite_client.execute_command("hello.lexrange", "people", "[B", "(D", "0", "1")
    assert reply == [b"Bob:19", b"Carl:33"]
    assert ferrite_client.execute_command("hello.lexrange", "people", "-", "+", "x", "y") == [
        b"Anna:52",
        b"Bob:19",
        b"Carl:33",
        b"Dora:40",
    ]
    assert error_of(ferrite_client, "hello.lexrange", "people", "B", "D", "0", "1") == (
        "invalid range"
    )
    assert error_of(ferrite_client, "hello.lexrange", "nokey", "-", "+", "0", "1").startswith(
        "WRONGTYPE"
    )
