"""Property test: random string/key/expiry command sequences, server against a reference model.

The model is a plain dict of key -> (value, absolute expiry in ms) written from Redis's
documented semantics, independently of the server's code. Every reply is compared. Time only
enters through TTL replies, compared with a tolerance; conditions that compare two expiries
(GT / LT) only ever meet times far apart, so their outcome never depends on timing.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import hiredis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrite_host.testing import FerriteProcess

LLONG_MAX = 2**63 - 1
LLONG_MIN = -(2**63)
OK = b"OK"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"

# Far-future absolute times (seconds / ms), fixed for the whole run so that comparing them
# with each other or with short relative expiries is never a matter of timing.
FUTURE_S = int(time.time()) + 1_000_000
FUTURE_MS = FUTURE_S * 1000 + 7
LATER_S = FUTURE_S + 5000

KEYS = [b"a", b"b", b"c"]
VALUES = [b"", b"0", b"1", b"-7", b"10", b"abc", b"3.5", b"9223372036854775807", b"x" * 50]


# -- the reference model ---------------------------------------------------------------------


@dataclass
class Error:
    message: str


@dataclass
class Near:
    """A TTL-like integer known up to `slack` (the model's clock runs slightly ahead)."""

    value: int
    slack: int


@dataclass
class Sorted:
    items: list[bytes]


@dataclass
class OneOf:
    options: list[bytes]


@dataclass
class Unpredictable:
    """A reply the model cannot compute exactly; `adopt` takes the server's answer."""

    adopt: Callable[[Any], None]


Entry = tuple[bytes, int | None]

#: SET options -> what they mean: (condition, get, keep_ttl, expiry kind, amount, error)
SET_OPTIONS: dict[tuple[bytes, ...], tuple[str | None, bool, bool, str | None, int, str | None]] = {
    (): (None, False, False, None, 0, None),
    (b"NX",): ("nx", False, False, None, 0, None),
    (b"XX",): ("xx", False, False, None, 0, None),
    (b"GET",): (None, True, False, None, 0, None),
    (b"NX", b"GET"): ("nx", True, False, None, 0, None),
    (b"XX", b"KEEPTTL", b"GET"): ("xx", True, True, None, 0, None),
    (b"KEEPTTL",): (None, False, True, None, 0, None),
    (b"EX", b"100"): (None, False, False, "relative", 100_000, None),
    (b"PX", b"250000"): (None, False, False, "relative", 250_000, None),
    (b"NX", b"EX", b"100"): ("nx", False, False, "relative", 100_000, None),
    (b"EXAT", b"%d" % FUTURE_S): (None, False, False, "absolute", FUTURE_S * 1000, None),
    (b"PXAT", b"%d" % FUTURE_MS): (None, False, False, "absolute", FUTURE_MS, None),
    (b"PXAT", b"1"): (None, False, False, "absolute", 1, None),
    (b"NX", b"XX"): (None, False, False, None, 0, SYNTAX),
    (b"EX", b"100", b"KEEPTTL"): (None, False, False, None, 0, SYNTAX),
    (b"EX", b"0"): (None, False, False, None, 0, "ERR invalid expire time in 'set' command"),
    (b"PX", b"abc"): (None, False, False, None, 0, NOT_INTEGER),
}

#: GETEX options -> (expiry kind or "persist", amount, error)
GETEX_OPTIONS: dict[tuple[bytes, ...], tuple[str | None, int, str | None]] = {
    (): (None, 0, None),
    (b"PERSIST",): ("persist", 0, None),
    (b"EX", b"100"): ("relative", 100_000, None),
    (b"PXAT", b"%d" % FUTURE_MS): ("absolute", FUTURE_MS, None),
    (b"EXAT", b"1"): ("absolute", 1000, None),
    (b"PERSIST", b"EX", b"1"): (None, 0, SYNTAX),
}


def parse_integer(data: bytes) -> int | None:
    if not re.fullmatch(rb"-?[1-9][0-9]*|0", data) or len(data) > 20:
        return None
    value = int(data)
    return value if LLONG_MIN <= value <= LLONG_MAX else None


def parse_decimal(data: bytes) -> Fraction | None:
    if not re.fullmatch(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", data):
        return None
    return Fraction(data.decode())


def exact_in_redis(value: Fraction) -> bool:
    """True when a long double holds `value` exactly and "%.17Lf" prints all of it."""
    den = value.denominator
    return den & (den - 1) == 0 and den <= 2**17 and abs(value.numerator) < 2**60


def format_exact(value: Fraction) -> bytes:
    sign = "-" if value < 0 else ""
    whole, rest = divmod(abs(value.numerator), value.denominator)
    digits = ""
    while rest:
        rest *= 10
        digit, rest = divmod(rest, value.denominator)
        digits += str(digit)
    return f"{sign}{whole}{'.' + digits if digits else ''}".encode()


class Model:
    def __init__(self) -> None:
        self.data: dict[bytes, Entry] = {}

    # -- helpers

    def live(self, key: bytes, now: int) -> Entry | None:
        entry = self.data.get(key)
        if entry is not None and entry[1] is not None and entry[1] <= now:
            del self.data[key]
            return None
        return entry

    def value(self, key: bytes, now: int) -> bytes | None:
        entry = self.live(key, now)
        return None if entry is None else entry[0]

    def ttl(self, key: bytes, now: int) -> int | None:
        entry = self.live(key, now)
        return None if entry is None else entry[1]

    def keep_ttl_set(self, key: bytes, value: bytes, now: int) -> None:
        self.data[key] = (value, self.ttl(key, now))

    def live_keys(self, now: int) -> list[bytes]:
        return sorted(key for key in list(self.data) if self.live(key, now) is not None)

    # -- commands

    def apply(self, argv: list[bytes], now: int) -> Any:
        name = argv[0].decode().lower().replace(" ", "_")
        handler = getattr(self, f"cmd_{name}")
        return handler(now, *argv[1:])

    def cmd_set(self, now: int, key: bytes, value: bytes, *options: bytes) -> Any:
        condition, want_get, keep_ttl, kind, amount, error = SET_OPTIONS[options]
        if error:
            return Error(error)
        entry = self.live(key, now)
        old = entry[0] if entry else None
        if (condition == "nx" and entry) or (condition == "xx" and not entry):
            return old if want_get else None
        if kind == "relative":
            expire: int | None = now + amount
        elif kind == "absolute":
            expire = amount
        else:
            expire = entry[1] if keep_ttl and entry else None
        self.data[key] = (value, expire)
        return old if want_get else OK

    def cmd_get(self, now: int, key: bytes) -> Any:
        return self.value(key, now)

    def cmd_mget(self, now: int, *keys: bytes) -> Any:
        return [self.value(key, now) for key in keys]

    def cmd_setnx(self, now: int, key: bytes, value: bytes) -> Any:
        if self.live(key, now):
            return 0
        self.data[key] = (value, None)
        return 1

    def cmd_setex(self, now: int, key: bytes, seconds: bytes, value: bytes) -> Any:
        if int(seconds) <= 0:
            return Error("ERR invalid expire time in 'setex' command")
        self.data[key] = (value, now + int(seconds) * 1000)
        return OK

    def cmd_psetex(self, now: int, key: bytes, millis: bytes, value: bytes) -> Any:
        self.data[key] = (value, now + int(millis))
        return OK

    def cmd_getset(self, now: int, key: bytes, value: bytes) -> Any:
        old = self.value(key, now)
        self.data[key] = (value, None)
        return old

    def cmd_getdel(self, now: int, key: bytes) -> Any:
        old = self.value(key, now)
        self.data.pop(key, None)
        return old

    def cmd_getex(self, now: int, key: bytes, *options: bytes) -> Any:
        kind, amount, error = GETEX_OPTIONS[options]
        if error:
            return Error(error)
        entry = self.live(key, now)
        if entry is None:
            return None
        if kind == "persist":
            self.data[key] = (entry[0], None)
        elif kind == "relative":
            self.data[key] = (entry[0], now + amount)
        elif kind == "absolute":
            self.data[key] = (entry[0], amount)
        return entry[0]

    def cmd_mset(self, now: int, *pairs: bytes) -> Any:
        for key, value in zip(pairs[::2], pairs[1::2], strict=True):
            self.data[key] = (value, None)
        return OK

    def cmd_msetnx(self, now: int, *pairs: bytes) -> Any:
        if any(self.live(key, now) for key in pairs[::2]):
            return 0
        self.cmd_mset(now, *pairs)
        return 1

    def _add(self, now: int, key: bytes, delta: int) -> Any:
        current = self.value(key, now)
        number = 0 if current is None else parse_integer(current)
        if number is None:
            return Error(NOT_INTEGER)
        result = number + delta
        if not LLONG_MIN <= result <= LLONG_MAX:
            return Error("ERR increment or decrement would overflow")
        self.keep_ttl_set(key, b"%d" % result, now)
        return result

    def cmd_incr(self, now: int, key: bytes) -> Any:
        return self._add(now, key, 1)

    def cmd_decr(self, now: int, key: bytes) -> Any:
        return self._add(now, key, -1)

    def cmd_incrby(self, now: int, key: bytes, delta: bytes) -> Any:
        number = parse_integer(delta)
        return Error(NOT_INTEGER) if number is None else self._add(now, key, number)

    def cmd_decrby(self, now: int, key: bytes, delta: bytes) -> Any:
        number = parse_integer(delta)
        if number is None:
            return Error(NOT_INTEGER)
        if number == LLONG_MIN:
            return Error("ERR decrement would overflow")
        return self._add(now, key, -number)

    def cmd_incrbyfloat(self, now: int, key: bytes, delta: bytes) -> Any:
        current = self.value(key, now)
        start = Fraction(0) if current is None else parse_decimal(current)
        increment = parse_decimal(delta)
        if start is None or increment is None:
            return Error(NOT_FLOAT)
        total = start + increment
        if exact_in_redis(start) and exact_in_redis(increment) and exact_in_redis(total):
            result = format_exact(total)
            self.keep_ttl_set(key, result, now)
            return result

        def adopt(reply: Any) -> None:
            assert isinstance(reply, bytes), reply
            self.keep_ttl_set(key, reply, now)

        return Unpredictable(adopt)

    def cmd_append(self, now: int, key: bytes, tail: bytes) -> Any:
        value = (self.value(key, now) or b"") + tail
        self.keep_ttl_set(key, value, now)
        return len(value)

    def cmd_strlen(self, now: int, key: bytes) -> Any:
        return len(self.value(key, now) or b"")

    def cmd_getrange(self, now: int, key: bytes, start_raw: bytes, end_raw: bytes) -> Any:
        value = self.value(key, now) or b""
        start, end, size = int(start_raw), int(end_raw), len(value)
        if start < 0 and end < 0 and start > end:
            return b""
        start = max(start + size if start < 0 else start, 0)
        end = min(max(end + size if end < 0 else end, 0), size - 1)
        return value[start : end + 1] if start <= end and size else b""

    def cmd_setrange(self, now: int, key: bytes, offset_raw: bytes, patch: bytes) -> Any:
        offset = int(offset_raw)
        current = self.value(key, now)
        if not patch:
            return len(current or b"")
        value = (current or b"").ljust(offset, b"\0")
        value = value[:offset] + patch + value[offset + len(patch) :]
        self.keep_ttl_set(key, value, now)
        return len(value)

    def cmd_del(self, now: int, *keys: bytes) -> Any:
        removed = 0
        for key in keys:
            if self.live(key, now):
                del self.data[key]
                removed += 1
        return removed

    def cmd_exists(self, now: int, *keys: bytes) -> Any:
        return sum(1 for key in keys if self.live(key, now))

    def cmd_type(self, now: int, key: bytes) -> Any:
        return b"string" if self.live(key, now) else b"none"

    def _rename(self, now: int, source: bytes, target: bytes, only_new: bool) -> Any:
        entry = self.live(source, now)
        if entry is None:
            return Error("ERR no such key")
        if source == target:
            return 0 if only_new else OK
        if only_new and self.live(target, now):
            return 0
        del self.data[source]
        self.data[target] = entry
        return 1 if only_new else OK

    def cmd_rename(self, now: int, source: bytes, target: bytes) -> Any:
        return self._rename(now, source, target, only_new=False)

    def cmd_renamenx(self, now: int, source: bytes, target: bytes) -> Any:
        return self._rename(now, source, target, only_new=True)

    def cmd_copy(self, now: int, source: bytes, target: bytes, *options: bytes) -> Any:
        if source == target:
            return Error("ERR source and destination objects are the same")
        entry = self.live(source, now)
        if entry is None or (self.live(target, now) and not options):
            return 0
        self.data[target] = entry
        return 1

    def _expire_at(self, now: int, key: bytes, when: int, *flags: bytes) -> Any:
        entry = self.live(key, now)
        if entry is None:
            return 0
        current = entry[1]
        if b"NX" in flags and current is not None:
            return 0
        if b"XX" in flags and current is None:
            return 0
        if b"GT" in flags and (current is None or when <= current):
            return 0
        if b"LT" in flags and current is not None and when >= current:
            return 0
        if when <= now:
            del self.data[key]
        else:
            self.data[key] = (entry[0], when)
        return 1

    def cmd_expire(self, now: int, key: bytes, seconds: bytes, *flags: bytes) -> Any:
        return self._expire_at(now, key, now + int(seconds) * 1000, *flags)

    def cmd_pexpire(self, now: int, key: bytes, millis: bytes, *flags: bytes) -> Any:
        return self._expire_at(now, key, now + int(millis), *flags)

    def cmd_expireat(self, now: int, key: bytes, seconds: bytes, *flags: bytes) -> Any:
        return self._expire_at(now, key, int(seconds) * 1000, *flags)

    def cmd_pexpireat(self, now: int, key: bytes, millis: bytes, *flags: bytes) -> Any:
        return self._expire_at(now, key, int(millis), *flags)

    def cmd_persist(self, now: int, key: bytes) -> Any:
        entry = self.live(key, now)
        if entry is None or entry[1] is None:
            return 0
        self.data[key] = (entry[0], None)
        return 1

    def _ttl(self, now: int, key: bytes, millis: bool, absolute: bool) -> Any:
        entry = self.live(key, now)
        if entry is None:
            return -2
        if entry[1] is None:
            return -1
        remaining = entry[1] if absolute else max(entry[1] - now, 0)
        return Near(remaining, 1500) if millis else Near((remaining + 500) // 1000, 2)

    def cmd_ttl(self, now: int, key: bytes) -> Any:
        return self._ttl(now, key, millis=False, absolute=False)

    def cmd_pttl(self, now: int, key: bytes) -> Any:
        return self._ttl(now, key, millis=True, absolute=False)

    def cmd_expiretime(self, now: int, key: bytes) -> Any:
        return self._ttl(now, key, millis=False, absolute=True)

    def cmd_pexpiretime(self, now: int, key: bytes) -> Any:
        return self._ttl(now, key, millis=True, absolute=True)

    def cmd_keys(self, now: int, pattern: bytes) -> Any:
        return Sorted(self.live_keys(now))

    def cmd_scan_all(self, now: int) -> Any:
        return Sorted(self.live_keys(now))

    def cmd_randomkey(self, now: int) -> Any:
        keys = self.live_keys(now)
        return OneOf(keys) if keys else None


# -- talking to the server -------------------------------------------------------------------


class RawClient:
    """RESP over a socket with hiredis: replies exactly as sent, errors as values."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = hiredis.Reader()

    def call(self, *args: bytes) -> Any:
        self.sock.sendall(
            b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
        )
        while True:
            reply = self.reader.gets()
            if reply is not False:
                return Error(str(reply)) if isinstance(reply, hiredis.ReplyError) else reply
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.reader.feed(data)

    def scan_all(self) -> list[bytes]:
        cursor, found = b"0", []
        while True:
            cursor, batch = self.call(b"SCAN", cursor, b"COUNT", b"2")
            found.extend(batch)
            if cursor == b"0":
                return found

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def client(server: FerriteProcess) -> Iterator[RawClient]:
    raw = RawClient(server.port)
    yield raw
    raw.close()


def check(expected: Any, actual: Any, argv: list[bytes]) -> None:
    where = f"{b' '.join(argv)!r}: expected {expected!r}, got {actual!r}"
    if isinstance(expected, Near):
        assert isinstance(actual, int) and abs(actual - expected.value) <= expected.slack, where
    elif isinstance(expected, Sorted):
        assert sorted(actual) == expected.items, where
    elif isinstance(expected, OneOf):
        assert actual in expected.options, where
    elif isinstance(expected, Unpredictable):
        expected.adopt(actual)
    else:
        assert actual == expected, where


# -- generating commands ---------------------------------------------------------------------

keys = st.sampled_from(KEYS)
values = st.sampled_from(VALUES)
deltas = st.sampled_from([b"-5", b"0", b"1", b"100", b"%d" % LLONG_MAX, b"%d" % LLONG_MIN, b"x"])
float_deltas = st.sampled_from([b"0.5", b"1", b"-2.5", b"10", b"0.25", b"0.1", b"abc"])
offsets = st.sampled_from([b"-100", b"-3", b"-1", b"0", b"1", b"2", b"5", b"100"])
conditions = st.sampled_from([(), (b"NX",), (b"XX",)])
ordered = st.sampled_from([(), (b"NX",), (b"XX",), (b"GT",), (b"LT",), (b"XX", b"GT")])
patches = st.sampled_from([b"", b"Z", b"xyz"])
absolute_seconds = st.sampled_from([b"%d" % FUTURE_S, b"%d" % LATER_S, b"1"])


def _cmd(*parts: Any) -> st.SearchStrategy[list[bytes]]:
    """A strategy for one command: fixed bytes, strategies, or tuples of extra arguments."""

    def flatten(drawn: tuple[Any, ...]) -> list[bytes]:
        out: list[bytes] = []
        for part in drawn:
            out.extend(part if isinstance(part, tuple) else [part])
        return out

    return st.tuples(*(p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts)).map(
        flatten
    )


COMMANDS = [
    _cmd(b"SET", keys, values, st.sampled_from(list(SET_OPTIONS))),
    _cmd(b"GET", keys),
    _cmd(b"MGET", keys, keys),
    _cmd(b"SETNX", keys, values),
    _cmd(b"SETEX", keys, st.sampled_from([b"100", b"0"]), values),
    _cmd(b"PSETEX", keys, b"300000", values),
    _cmd(b"GETSET", keys, values),
    _cmd(b"GETDEL", keys),
    _cmd(b"GETEX", keys, st.sampled_from(list(GETEX_OPTIONS))),
    _cmd(b"MSET", keys, values, keys, values),
    _cmd(b"MSETNX", keys, values, keys, values),
    _cmd(b"INCR", keys),
    _cmd(b"DECR", keys),
    _cmd(b"INCRBY", keys, deltas),
    _cmd(b"DECRBY", keys, deltas),
    _cmd(b"INCRBYFLOAT", keys, float_deltas),
    _cmd(b"APPEND", keys, values),
    _cmd(b"STRLEN", keys),
    _cmd(b"GETRANGE", keys, offsets, offsets),
    _cmd(b"SETRANGE", keys, st.sampled_from([b"0", b"1", b"3", b"10"]), patches),
    _cmd(b"DEL", keys, keys),
    _cmd(b"EXISTS", keys, keys, keys),
    _cmd(b"TYPE", keys),
    _cmd(b"RENAME", keys, keys),
    _cmd(b"RENAMENX", keys, keys),
    _cmd(b"COPY", keys, keys, st.sampled_from([(), (b"REPLACE",)])),
    _cmd(b"EXPIRE", keys, st.sampled_from([b"-1", b"0", b"100", b"300"]), conditions),
    _cmd(b"PEXPIRE", keys, st.sampled_from([b"200000", b"-5"]), conditions),
    _cmd(b"EXPIREAT", keys, absolute_seconds, ordered),
    _cmd(b"PEXPIREAT", keys, st.sampled_from([b"%d" % FUTURE_MS, b"0"]), ordered),
    _cmd(b"PERSIST", keys),
    _cmd(b"TTL", keys),
    _cmd(b"PTTL", keys),
    _cmd(b"EXPIRETIME", keys),
    _cmd(b"PEXPIRETIME", keys),
    _cmd(b"KEYS", b"*"),
    _cmd(b"SCAN ALL"),
    _cmd(b"RANDOMKEY"),
]
#: Each command type drawn from a flat list (one_of leans hard on its first branches).
commands = st.sampled_from(COMMANDS).flatmap(lambda strategy: strategy)
#: A starting state: keys maybe set, maybe with an expiry, so sequences start interesting.
starting_ttl = st.sampled_from([(), (b"EX", b"100"), (b"PXAT", b"%d" % FUTURE_MS)])
initial_state = st.lists(_cmd(b"SET", keys, values, starting_ttl), max_size=3)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(setup=initial_state, sequence=st.lists(commands, min_size=10, max_size=50))
def test_server_matches_model(
    client: RawClient, setup: list[list[bytes]], sequence: list[list[bytes]]
) -> None:
    assert client.call(b"FLUSHALL") == OK
    model = Model()
    final_check = [[command, key] for key in KEYS for command in (b"GET", b"PTTL")]
    for argv in setup + sequence + final_check:
        expected = model.apply(argv, int(time.time() * 1000))
        actual = client.scan_all() if argv == [b"SCAN ALL"] else client.call(*argv)
        check(expected, actual, argv)


def test_model_agrees_on_a_known_sequence(client: RawClient) -> None:
    """The harness itself can fail: a wrong expectation is caught, not silently accepted."""
    client.call(b"FLUSHALL")
    model = Model()
    now = int(time.time() * 1000)
    check(model.apply([b"SET", b"a", b"1"], now), client.call(b"SET", b"a", b"1"), [])
    with pytest.raises(AssertionError):
        check(model.apply([b"INCR", b"a"], now), client.call(b"GET", b"a"), [])
