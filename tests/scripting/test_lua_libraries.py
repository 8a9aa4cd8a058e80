"""The Lua libraries scripts get (cjson, cmsgpack, bit, struct) and Redis's math.random,
through the real dispatcher. The expected values are redis-server 7.0.15's replies (the
differential test in tests/compat compares them live where redis-server is installed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

CASES: list[tuple[str, Any]] = [
    ("return cjson.encode({1,2,3.5,'x',{a=1}})", b'[1,2,3.5,"x",{"a":1}]'),
    (
        "return cjson.encode({a=1,b=0.1,c=1e20,d=true,e=cjson.null})",
        b'{"a":1,"c":1e+20,"b":0.1,"e":null,"d":true}',
    ),
    ("return cjson.encode(1/3)", b"0.33333333333333"),
    ("return cjson.encode({[1]=1, [3]=3})", b"[1,null,3]"),
    (
        "return cjson.encode({[11]=1})",
        "ERR user_script:1: Cannot serialise table: excessively sparse array script: "
        "2e08a70888b26974782620baf62c758392a37b7b, on @user_script:1.",
    ),
    ("return cjson.encode('a\"b/\\n\\1')", b'"a\\"b\\/\\n\\u0001"'),
    ('return cjson.decode(\'{"a":[1,2,3.5,"x",true,false,null]}\').a[3]', 3),
    (
        "return cjson.decode('[1,2')",
        "ERR user_script:1: Expected comma or array end but found T_END at character 5 script: "
        "c107001b5ba2ff860ee2557f64da37c4767ef4bd, on @user_script:1.",
    ),
    ("return cjson.decode('null') == cjson.null", 1),
    ("return cjson.decode('\"\\\\u00e9\"')", b"\xc3\xa9"),
    ("return cmsgpack.pack({1,2,3})", b"\x93\x01\x02\x03"),
    (
        "return cmsgpack.pack(-1, 128, 65536, -129, 1.5, 0.1)",
        b"\xff\xcc\x80\xce\x00\x01\x00\x00\xd1\xff\x7f\xca?\xc0\x00\x00\xcb?\xb9\x99\x99\x99\x99\x99"
        b"\x9a",
    ),
    ("return cmsgpack.pack({a=1})", b"\x81\xa1a\x01"),
    ("return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1,2}, 2.5))}", [1, b"a", [1, 2], 2]),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", [-1, 3]),
    (
        "return cmsgpack.unpack('\\193')",
        "ERR user_script:1: Bad data format in input. script: "
        "dc135bd7bc2955014f03280e151acf74360378e7, on @user_script:1.",
    ),
    (
        "return {bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), "
        "bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.tobit(2^32 + 5), bit.bxor(5, 3), "
        "bit.bor(1, 2, 4), bit.band(0xff, 0x0f)}",
        [-1, -2147483648, 15, -16, 878082066, 2014458966, 5, 6, 7, 15],
    ),
    (
        "return {bit.tohex(255), bit.tohex(255, -2), bit.tohex(-1), bit.bswap(0x12345678), "
        "bit.tobit(2^52 + 1)}",
        [b"000000ff", b"FF", b"ffffffff", 2018915346, 0],
    ),
    (
        "return bit.band(1, 'x')",
        "ERR user_script:1: bad argument #2 to 'band' (number expected, got string) script: "
        "855eca651502a1b972d194697c283b74019b4048, on @user_script:1.",
    ),
    (
        "return struct.pack('>I2', 258) .. struct.pack('<i4', -2) .. struct.pack('s', 'ab') .. "
        "struct.pack('c3', 'abcdef')",
        b"\x01\x02\xfe\xff\xff\xffab\x00abc",
    ),
    ("return {struct.unpack('>I2', '\\1\\2')}", [258, 3]),
    ("return {struct.unpack('b c0', '\\3abcdef')}", [b"abc", 5]),
    ("return struct.size('bhi!8d')", 16),
    (
        "return struct.pack('q', 1)",
        "ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'q') script: "
        "49599a2466f241bd45a2bd4f631df3a1a1ec9790, on @user_script:1.",
    ),
    (
        "return {struct.unpack('>I2', '\\1')}",
        "ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: "
        "4a0f2c4d373381746b187412370dc6bae0b5c279, on @user_script:1.",
    ),
    (
        "math.randomseed(42) return {math.random(10), math.random(10), tostring(math.random())}",
        [8, 4, b"0.11108528222474"],
    ),
]


@pytest.mark.parametrize(("script", "expected"), CASES, ids=[case[0][:60] for case in CASES])
def test_library_call(run: Callable[..., Any], script: str, expected: Any) -> None:
    assert run("EVAL", script, 0) == expected


def test_libraries_are_read_only(run: Callable[..., Any]) -> None:
    for library in ("cjson", "cmsgpack", "bit", "struct", "redis", "string", "math", "table"):
        reply = run("EVAL", f"{library}.injected = 1", 0)
        assert reply.startswith("ERR user_script:1: Attempt to modify a readonly table"), library


def test_sandbox_hides_the_host(run: Callable[..., Any]) -> None:
    for name in ("os", "io", "print", "loadfile", "dofile", "require", "debug", "python"):
        reply = run("EVAL", f"return {name}", 0)
        assert f"nonexistent global variable '{name}'" in reply, name
    # Python objects behind the library functions expose no attributes.
    reply = run("EVAL", "return tostring(redis.call.__class__)", 0)
    assert reply.startswith("ERR "), reply
