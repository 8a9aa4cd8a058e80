"""HELLO.BLOCK, HELLO.KEYS and the hold/release pair against a real server, answering as
helloblock.c does."""

from __future__ import annotations

import pytest
import redis

from ferrite_host.testing import in_background, wait_until_blocked

pytestmark = pytest.mark.ferrite_modules("helloblock")

RAND_MAX = 2**31 - 1


def error_of(client: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        client.execute_command(*args)
    return str(info.value)


def test_block_answers_a_random_number_from_the_thread(ferrite_client):
    number = ferrite_client.execute_command("hello.block", 0, 5000)
    assert isinstance(number, int) and 0 <= number <= RAND_MAX


def test_block_times_out_before_the_thread_finishes(ferrite_client):
    assert ferrite_client.execute_command("hello.block", 1, 50) == b"Request timedout"
    # The late unblock from the thread only frees the handle: the client carries on.
    assert ferrite_client.ping() is True


def test_block_rejects_non_integers(ferrite_client):
    assert error_of(ferrite_client, "hello.block", "x", 10) == "invalid count"
    assert error_of(ferrite_client, "hello.block", 1, "y") == "invalid count"
    assert error_of(ferrite_client, "hello.block", 1).startswith("wrong number of arguments")


def test_other_clients_are_served_while_one_is_blocked(ferrite_server, ferrite_client):
    other = ferrite_server.client()
    answer = in_background(lambda: other.execute_command("hello.block", 1, 0))
    wait_until_blocked(ferrite_client)
    assert ferrite_client.set("meanwhile", "yes") is True
    assert isinstance(answer(), int)


def test_keys_scans_from_a_thread(ferrite_client):
    ferrite_client.flushdb()
    names = {f"key:{n}".encode() for n in range(150)}
    ferrite_client.mset({name: 1 for name in names})
    assert set(ferrite_client.execute_command("hello.keys")) == names
    ferrite_client.flushdb()
    assert ferrite_client.execute_command("hello.keys") == []


def test_hold_is_released_by_another_client(ferrite_server, ferrite_client):
    other = ferrite_server.client()
    held_id = other.client_id()
    answer = in_background(lambda: other.execute_command("hello.block.hold"))
    wait_until_blocked(ferrite_client)
    assert ferrite_client.execute_command("hello.block.release", held_id, "go") == 1
    assert answer() == b"go"
    assert ferrite_client.execute_command("hello.block.release", held_id, "go") == 0
    assert other.execute_command("hello.block.hold", 30) == b"Request timedout"


def test_blocking_inside_multi_answers_redis_error(ferrite_client):
    pipe = ferrite_client.pipeline(transaction=True)
    pipe.execute_command("hello.block", 0, 0)
    pipe.execute_command("hello.block.hold")
    replies = pipe.execute(raise_on_error=False)
    assert [str(reply) for reply in replies] == [
        "Blocking module command called from transaction"
    ] * 2


def test_unload_waits_for_blocked_clients(ferrite_server, ferrite_client):
    other = ferrite_server.client()
    held_id = other.client_id()
    answer = in_background(lambda: other.execute_command("hello.block.hold"))
    wait_until_blocked(ferrite_client)
    assert error_of(ferrite_client, "MODULE", "UNLOAD", "helloblock") == (
        "Error unloading module: the module has blocked clients. "
        "Please wait them unblocked and try again"
    )
    ferrite_client.execute_command("hello.block.release", held_id, "bye")
    assert answer() == b"bye"
