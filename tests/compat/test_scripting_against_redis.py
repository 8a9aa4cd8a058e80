# ruff: noqa: E501 - the scripts are data, kept on one line each as sent
"""Differential test of Lua scripting: EVAL replies and errors, the Lua libraries, SCRIPT and
FUNCTION, sent to a real redis-server and to Ferrite; every reply is compared byte for byte
in RESP2 and RESP3. Skipped where redis-server is not installed.

Not compared: `math.random` without a seed (Redis seeds each Lua state randomly), the order
of several functions inside one library in FUNCTION LIST (Redis's dict order),
redis.REDIS_VERSION(_NUM) (Ferrite reports the
Redis version it claims compatibility with), and two known differences listed in
docs/operators-guide.md (`cjson.encode(-0.0)`, `pcall(redis.call, ...)`'s error value).
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable

import pytest

from ferrite_host.testing import FerriteProcess

REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

#: The Lua libraries (cjson, cmsgpack, struct, bit) and the redis object.
LIBRARY_SCRIPTS = [
    ["EVAL", "return 1", "0"],
    ["EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"],
    ["EVAL", "return redis.call('incr', KEYS[1])", "1", "k"],
    ["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "k"],
    ["EVAL", "local function f()\n redis.call('nocmd') end\nf()", "0"],
    ["EVAL", "return y", "0"],
    ["EVAL", "return math.random(0)", "0"],
    ["EVAL", "return math.random(1,2,3)", "0"],
    ["EVAL", "return bit.band(1,'x')", "0"],
    ["EVAL", "return bit.band(1,{})", "0"],
    ["EVAL", "return redis.setresp(4)", "0"],
    ["EVAL", "return redis.sha1hex()", "0"],
    ["EVAL", "return redis.log(redis.LOG_WARNING)", "0"],
    ["EVAL", "return {redis.call('get', 'k'), redis.call('get', 'nokey'), 5}", "0"],
    ["EVAL", "redis.call('select', '1') return redis.call('set','indb1','x')", "0"],
    ["EXISTS", "indb1"],
    ["EVAL", "return tostring(1e20) .. ' ' .. bit.tohex(65535) .. ' ' .. bit.tohex(-1, -4)", "0"],
    [
        "EVAL",
        "return {bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.tobit(2^32 + 5), bit.bxor(5, 3), bit.bor(1, 2, 4)}",
        "0",
    ],
    ["EVAL", "return cjson.encode({1,2,3.5,'x',{a=1}})", "0"],
    ["EVAL", "return cjson.encode({a=1,b=0.1,c=1e20,d=true,e=cjson.null})", "0"],
    ["EVAL", "return cjson.encode(3.14159265358979)", "0"],
    ["EVAL", "return cjson.decode('[1,2,{\"a\":3}]')[3].a", "0"],
    ["EVAL", "return cjson.encode({})", "0"],
    ["EVAL", "return cjson.encode({[1]=1, [3]=3})", "0"],
    ["EVAL", "return cjson.encode({[1]=1, [2]=2, [3]=3, x=1})", "0"],
    ["EVAL", "return cjson.encode('a\"b\\\\c/\\n\\1\\127\\200')", "0"],
    ["EVAL", "return cjson.encode({1/0})", "0"],
    ["EVAL", "return cjson.encode(0/0)", "0"],
    ["EVAL", "return cjson.encode(1e300)", "0"],
    ["EVAL", "return cjson.encode(123456789012345)", "0"],
    ["EVAL", "return cjson.encode(function() end)", "0"],
    ["EVAL", "return cjson.encode({[true]=1})", "0"],
    ["EVAL", "return cjson.encode({[1.5]=1})", "0"],
    ["EVAL", "return cjson.encode({[10]=1})", "0"],
    ["EVAL", "return cjson.encode({[11]=1})", "0"],
    ["EVAL", "return cjson.encode({[2]=1})", "0"],
    ["EVAL", "return cjson.encode({a={b={c={}}}})", "0"],
    ["EVAL", "return cjson.encode(nil)", "0"],
    ["EVAL", "return cjson.encode()", "0"],
    ["EVAL", "return type(cjson.decode('null'))", "0"],
    ["EVAL", "return cjson.decode('null') == cjson.null", "0"],
    ["EVAL", 'return cjson.decode(\'{"a":[1,2,3.5,"x",true,false,null]}\').a[3]', "0"],
    ["EVAL", "return tostring(cjson.decode('3.5'))", "0"],
    ["EVAL", "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')", "0"],
    ["EVAL", "return cjson.decode('[1,2')", "0"],
    ["EVAL", "return cjson.decode('')", "0"],
    ["EVAL", "return cjson.decode('{\"a\":1,}')", "0"],
    ["EVAL", "return cjson.decode('{1:2}')", "0"],
    ["EVAL", "return cjson.decode('[1] x')", "0"],
    ["EVAL", "return cjson.decode('nan')", "0"],
    ["EVAL", "return tostring(cjson.decode('1e2'))", "0"],
    ["EVAL", "return tostring(cjson.decode('0x10'))", "0"],
    ["EVAL", "return cjson.decode(5)", "0"],
    ["EVAL", "return cjson.decode()", "0"],
    ["EVAL", "return cjson.decode({})", "0"],
    ["EVAL", "local t = {} t[1] = t return cjson.encode(t)", "0"],
    ["EVAL", "return cjson.encode({'a', {b=1}, nil, 4})", "0"],
    ["EVAL", "local r = {} for k in pairs(cjson) do r[#r+1] = k end table.sort(r) return r", "0"],
    ["EVAL", 'return cjson.encode(cjson.decode(\'{"b":[1,{"c":null}],"a":"x"}\'))', "0"],
    ["EVAL", 'return cjson.encode(cjson.decode(\'{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5}\'))', "0"],
    ["EVAL", "return cjson.decode('{\"a\" 1}')", "0"],
    ["EVAL", 'return cjson.decode(\'{"a":1 "b"}\')', "0"],
    ["EVAL", "return cjson.decode('[tru]')", "0"],
    ["EVAL", "return cjson.decode('\"abc')", "0"],
    ["EVAL", "return cjson.decode('\"a\\\\qb\"')", "0"],
    ["EVAL", 'return cjson.decode(\'{"a":{"b":[]}}\').a.b[1] == nil', "0"],
    ["EVAL", "return cjson.encode({name='x', tags={'a','b'}, n=3})", "0"],
    ["EVAL", "return cmsgpack.pack({1,2,3})", "0"],
    ["EVAL", "return cmsgpack.pack(1, 'a', true, false, nil)", "0"],
    [
        "EVAL",
        "return cmsgpack.pack(-1, -32, -33, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -128, -129, -32768, -32769, -2147483648, -2147483649)",
        "0",
    ],
    ["EVAL", "return cmsgpack.pack(1.5, 0.1, 1e300, 3.0)", "0"],
    ["EVAL", "return cmsgpack.pack({a=1})", "0"],
    ["EVAL", "return cmsgpack.pack(string.rep('x', 31), string.rep('y', 32))", "0"],
    ["EVAL", "return #cmsgpack.pack(string.rep('x', 256))", "0"],
    ["EVAL", "return #cmsgpack.pack(string.rep('x', 65536))", "0"],
    ["EVAL", "return cmsgpack.pack({1,nil,3})", "0"],
    ["EVAL", "return cmsgpack.pack({[1]=1,[3]=3})", "0"],
    ["EVAL", "return cmsgpack.pack({})", "0"],
    ["EVAL", "return cmsgpack.pack()", "0"],
    ["EVAL", "return cmsgpack.pack(function() end)", "0"],
    ["EVAL", "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1,2}, 2.5))}", "0"],
    ["EVAL", "return cmsgpack.unpack(cmsgpack.pack({a=1})).a", "0"],
    ["EVAL", "return cmsgpack.unpack('')", "0"],
    ["EVAL", "return cmsgpack.unpack('\\145')", "0"],
    ["EVAL", "return cmsgpack.unpack('\\193')", "0"],
    ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", "0"],
    ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}", "0"],
    ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", "0"],
    [
        "EVAL",
        "local r = {} for k in pairs(cmsgpack) do r[#r+1] = k end table.sort(r) return r",
        "0",
    ],
    ["EVAL", "return type(cmsgpack.unpack(cmsgpack.pack(nil)))", "0"],
    ["EVAL", "return tostring(cmsgpack.unpack(cmsgpack.pack(0.1)))", "0"],
    ["EVAL", "return cmsgpack.pack({1, {2, {3}}, x={y=1}})", "0"],
    ["EVAL", "return cmsgpack.pack(-0.5, 2^53, -2^63)", "0"],
    ["EVAL", "return cmsgpack.unpack(1)", "0"],
    ["EVAL", "return cmsgpack.unpack('\\204')", "0"],
    ["EVAL", "return struct.pack('>I2', 258)", "0"],
    ["EVAL", "return struct.pack('<i4', -2)", "0"],
    ["EVAL", "return struct.pack('bBhHlLiIT', -1, 255, -2, 65535, -3, 4, 5, 6, 7)", "0"],
    ["EVAL", "return struct.pack('>d', 1.5) .. struct.pack('<f', 0.25)", "0"],
    ["EVAL", "return struct.pack('s', 'abc')", "0"],
    ["EVAL", "return struct.pack('c3', 'abcdef')", "0"],
    ["EVAL", "return struct.pack('c0', 'abc')", "0"],
    ["EVAL", "return struct.pack('!4 b i4', 1, 2)", "0"],
    ["EVAL", "return struct.pack('x b', 1)", "0"],
    ["EVAL", "return {struct.unpack('>I2', '\\1\\2')}", "0"],
    ["EVAL", "return {struct.unpack('<i4', struct.pack('<i4', -2))}", "0"],
    ["EVAL", "return {struct.unpack('s', 'abc\\0def')}", "0"],
    ["EVAL", "return {struct.unpack('c3', 'abcdef')}", "0"],
    ["EVAL", "return {struct.unpack('b c0', '\\3abcdef')}", "0"],
    ["EVAL", "return {struct.unpack('>I2', '\\1\\2\\3\\4', 3)}", "0"],
    ["EVAL", "return {struct.unpack('>I2', '\\1')}", "0"],
    ["EVAL", "return struct.size('bhi!8d')", "0"],
    ["EVAL", "return struct.size('s')", "0"],
    ["EVAL", "return struct.pack('q', 1)", "0"],
    ["EVAL", "return struct.pack('i17', 1)", "0"],
    ["EVAL", "return struct.pack('I3', 2^24)", "0"],
    ["EVAL", "return {struct.unpack('>d', struct.pack('>d', 0.1))}", "0"],
    ["EVAL", "return tostring(struct.unpack('>d', struct.pack('>d', 0.1)))", "0"],
    ["EVAL", "return struct.pack('i', 'x')", "0"],
    ["EVAL", "return struct.pack('i')", "0"],
    ["EVAL", "local r = {} for k in pairs(struct) do r[#r+1] = k end table.sort(r) return r", "0"],
    ["EVAL", "return struct.pack('>i8', -1)", "0"],
    ["EVAL", "return {struct.unpack('>I8', '\\255\\255\\255\\255\\255\\255\\255\\255')}", "0"],
    ["EVAL", "return struct.pack('=h<h>h', 1, 1, 1)", "0"],
    ["EVAL", "return struct.pack('b', 3.7)", "0"],
    ["EVAL", "return struct.pack('B', 256)", "0"],
    ["EVAL", "return struct.pack('B', -1)", "0"],
    [
        "EVAL",
        "return {bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.tobit(2^32 + 5), bit.bxor(5, 3), bit.bor(1, 2, 4)}",
        "0",
    ],
    [
        "EVAL",
        "return {bit.tohex(255), bit.tohex(255, 2), bit.tohex(255, -2), bit.tohex(-1), bit.tohex(0x12345678, 4), bit.tohex(1, 0), bit.tohex(1, 20)}",
        "0",
    ],
    [
        "EVAL",
        "return {bit.band(0xff, 0x0f, 0x3), bit.bswap(0x12345678), bit.tobit(0xffffffff), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.lshift(1, 32), bit.lshift(1, 33)}",
        "0",
    ],
    ["EVAL", "return bit.band()", "0"],
    ["EVAL", "return bit.band(1)", "0"],
    ["EVAL", "return bit.tobit('10')", "0"],
    ["EVAL", "return bit.tobit(true)", "0"],
    ["EVAL", "return bit.tobit('x')", "0"],
    ["EVAL", "return {bit.tobit(2^31), bit.tobit(-2^31), bit.tobit(2^52 + 1)}", "0"],
    ["EVAL", "local r = {} for k in pairs(bit) do r[#r+1] = k end table.sort(r) return r", "0"],
]

#: Scripts whose replies or errors exercise conversions, the sandbox and redis.* helpers.
MORE_SCRIPTS = [
    ["EVAL", "return 1.9", "0"],
    ["EVAL", "return {1,2,nil,3}", "0"],
    ["EVAL", "return {ok='fine'}", "0"],
    ["EVAL", "return {err='bad'}", "0"],
    ["EVAL", "return {err='MY bad'}", "0"],
    ["EVAL", "return redis.call()", "0"],
    ["EVAL", "return redis.call('get')", "0"],
    ["EVAL", "x = 1", "0"],
    ["EVAL", "error({err='boom'})", "0"],
    ["EVAL", "error({err='ERR boom'})", "0"],
    ["EVAL", "return redis.error_reply('E1 x')", "0"],
    ["EVAL", "return redis.error_reply('x')", "0"],
    ["EVAL", "return redis.error_reply('lower case')", "0"],
    ["EVAL", "return redis.error_reply('-X y')", "0"],
    ["EVAL", "return redis.error_reply('-X')", "0"],
    ["EVAL", "return redis.status_reply('FINE')", "0"],
    ["EVAL", "return redis.status_reply()", "0"],
    ["EVAL", "return 1", "-1"],
    ["EVAL", "return 1", "5"],
    ["EVAL", "return 1", "abc"],
    ["EVAL", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", "k", "a"],
    ["EVAL", "syntax error here", "0"],
    ["EVALSHA", "abcdef", "0"],
    ["EVAL", "return redis.sha1hex('')", "0"],
    ["EVAL", "return redis.sha1hex(1)", "0"],
    ["EVAL", "return redis.call('set','y','1','ex')", "0"],
    ["EVAL", "return redis.pcall('set','y','1','ex')", "0"],
    ["EVAL", "return {1, {2, {3}}, 'a', true, false}", "0"],
    ["EVAL", "return redis.call('eval','return 1','0')", "0"],
    ["EVAL", "return redis.call('multi')", "0"],
    ["EVAL", "return redis.call('get', {})", "0"],
    ["EVAL", "return redis.call('get', nil)", "0"],
    ["EVAL", "return redis.call('get', 1.5)", "0"],
    ["EVAL", "return redis.call(1)", "0"],
    ["EVAL", "return redis.call('config', 'nosub')", "0"],
    ["EVAL", "return redis.call('config')", "0"],
    ["EVAL", "return redis.call('shutdown')", "0"],
    ["EVAL", "return redis.call('script', 'load', 'return 1')", "0"],
    ["EVAL", "return type(os)", "0"],
    ["EVAL", "return type(loadfile)", "0"],
    ["EVAL", "return type(print)", "0"],
    ["EVAL", "redis.x = 1", "0"],
    ["EVAL", "string.x = 1", "0"],
    ["EVAL", "rawset(_G, 'x', 1)", "0"],
    ["EVAL", "setmetatable(_G, nil)", "0"],
    ["EVAL", "return rawget(_G, 'zz')", "0"],
    ["EVAL", "local t = {} t.x = 1 return t.x", "0"],
    ["EVAL", "return loadstring('return 1')()", "0"],
    ["EVAL", "loadstring('y = 1')()", "0"],
    ["EVAL", "local n = {} for k in pairs(_G) do n[#n+1] = k end table.sort(n) return n", "0"],
    ["EVAL", "\n\nerror('line3')", "0"],
    ["EVAL", "local function f()\n error('deep') end\nf()", "0"],
    ["EVAL", "error(nil)", "0"],
    ["EVAL", "error(123)", "0"],
    ["EVAL", "error('x', 0)", "0"],
    ["EVAL", "return {err=5}", "0"],
    ["EVAL", "return nil + 1", "0"],
    ["EVAL", "return 3.99999", "0"],
    ["EVAL", "return -3.9", "0"],
    ["EVAL", "return 1e30", "0"],
    ["EVAL", "return 0/0", "0"],
    ["EVAL", "return {double=1.5}", "0"],
    ["EVAL", "return {double=3}", "0"],
    ["EVAL", "return {big_number='123'}", "0"],
    ["EVAL", "return {map={a=1}}", "0"],
    ["EVAL", "return {set={a=true}}", "0"],
    ["EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0"],
    ["EVAL", "return {ok='x', err='y'}", "0"],
    ["EVAL", "return {double='abc'}", "0"],
    ["EVAL", "return true", "0"],
    ["EVAL", "return false", "0"],
    ["EVAL", "return nil", "0"],
    ["EVAL", "redis.setresp(3) return true", "0"],
    ["EVAL", "redis.setresp(3) return false", "0"],
    ["EVAL", "redis.setresp(3) return {true, false, 1}", "0"],
    ["EVAL", "redis.setresp(3) local r = redis.call('ping') return type(r)", "0"],
    ["EVAL", "redis.setresp(3) local r = redis.call('get', 'nokey') return type(r)", "0"],
    ["EVAL", "local r = redis.call('get', 'nokey') return type(r)", "0"],
    ["EVAL", "return redis.setresp()", "0"],
    ["EVAL", "return redis.log(redis.LOG_WARNING, 'from a test')", "0"],
    ["EVAL", "return redis.log(99, 'x')", "0"],
    ["EVAL", "return redis.log('x', 'y')", "0"],
    [
        "EVAL",
        "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
        "0",
    ],
    ["EVAL", "return redis.replicate_commands()", "0"],
    ["EVAL", "return redis.set_repl(redis.REPL_ALL)", "0"],
    ["EVAL", "return redis.set_repl(99)", "0"],
    ["EVAL", "return redis.set_repl()", "0"],
    [
        "EVAL",
        "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
        "0",
    ],
    ["EVAL", "return redis.breakpoint()", "0"],
    ["EVAL", "return redis.debug('x')", "0"],
    ["EVAL", "return redis.acl_check_cmd('get', 'x')", "0"],
    ["EVAL", "return redis.acl_check_cmd('nocmd')", "0"],
    ["EVAL", "return redis.pcall()", "0"],
    ["EVAL", "error(redis.error_reply('MY fail'))", "0"],
    ["EVAL", "local e = redis.pcall('nocmd') error(e)", "0"],
    [
        "EVAL",
        "math.randomseed(42) return {math.random(10), math.random(10), tostring(math.random())}",
        "0",
    ],
    [
        "EVAL",
        "math.randomseed(7) return {math.random(1, 100), math.random(5, 6), math.random(3)}",
        "0",
    ],
    ["EVAL", "return coroutine.wrap(function() return 5 end)()", "0"],
    ["EVAL", "return string.format('%d %s %5.2f', 3, 'x', 1.5)", "0"],
    ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"],
    ["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
    ["EVAL", "#!lua\nreturn 1", "0"],
    ["EVAL", "#!lua name=x\nreturn 1", "0"],
    ["EVAL", "#!python\nreturn 1", "0"],
    ["EVAL", "#!lua", "0"],
    ["EVAL", "#!lua flags=no-writes,allow-oom\nerror('x')", "0"],
    ["EVAL", "#!lua flags=allow-stale,no-cluster,allow-cross-slot-keys\nreturn 2", "0"],
    ["EVAL_RO", "return redis.call('set','a','b')", "0"],
    ["EVAL_RO", "return redis.call('get','a')", "0"],
    ["EVAL_RO", "#!lua\nreturn redis.call('set','a','1')", "0"],
    ["EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "k"],
    ["EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
    ["EVAL", "redis.call('select', '1') return redis.call('set', 'indb1', 'x')", "0"],
    ["EXISTS", "indb1"],
    ["EVAL", "redis.call('set','a','1') redis.call('incr','a') return redis.call('get','a')", "0"],
    ["EVAL", "return 1"],
    ["EVALSHA", "x"],
    ["EVAL", "return 1", "0", "extra"],
    ["EVALSHA", "abc", "-1"],
    ["EVALSHA", "abc", "x"],
    ["EVAL", "return +", "x"],
    ["EVAL", "#!lua flags=bogus\nreturn 1", "x"],
    ["FCALL", "nof", "x"],
    ["FCALL", "nof", "5"],
    ["EVAL", "#!lua flags=no-writes\r\nreturn 1", "0"],
    ["EVAL", "return redis.call('get', KEYS[1])", "0"],
    ["EVAL", "return {pcall(error)}", "0"],
    ["EVAL", "return select('#', redis.call('ping'))", "0"],
    ["EVAL", "return table.concat({'a', 'b'}, ',')", "0"],
    ["EVAL", "return unpack({1, 2, 3})", "0"],
    [
        "EVAL",
        "local t = setmetatable({}, {__index = function(t, k) return k .. '!' end}) return t.x",
        "0",
    ],
    ["EVAL", "return string.format('%q', 'a\nb')", "0"],
    ["EVAL", "return getmetatable('').__index == string", "0"],
    ["EVAL", "local s = 0 for k, v in pairs({a=1, b=2}) do s = s + v end return s", "0"],
    ["EVAL", "return next({})", "0"],
    [
        "EVAL",
        "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) return {x, y}",
        "0",
    ],
    ["EVAL", "return assert(false, 'nope')", "0"],
    [
        "EVAL",
        "return {xpcall(function() error('e') end, function(m) return 'handled: ' .. m end)}",
        "0",
    ],
    ["EVAL", "return {xpcall(function() redis.call('nocmd') end, function(m) return m end)}", "0"],
    ["EVAL", "return type(collectgarbage('count'))", "0"],
]

#: The script cache and the functions commands, in order on one connection.
MANAGEMENT = [
    ["SCRIPT", "FLUSH"],
    ["SCRIPT", "LOAD", "return 1"],
    ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffff"],
    ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    ["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
    ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    ["SCRIPT", "FLUSH", "ASYNC"],
    ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    ["SCRIPT", "FLUSH", "bogus"],
    ["SCRIPT", "FLUSH", "SYNC", "x"],
    ["SCRIPT", "KILL"],
    ["SCRIPT", "HELP"],
    ["SCRIPT", "bogus"],
    ["SCRIPT", "LOAD", "return +"],
    ["SCRIPT", "LOAD"],
    ["FUNCTION", "FLUSH"],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return redis.call('get', keys[1]) end)",
    ],
    ["SET", "k", "v"],
    ["FCALL", "f1", "1", "k"],
    ["FCALL", "F1", "1", "k"],
    ["FCALL_RO", "f1", "1", "k"],
    ["FCALL", "nof", "0"],
    ["FCALL", "f1", "x"],
    ["FCALL", "f1", "-1"],
    ["FCALL", "f1", "3"],
    ["FCALL", "f1"],
    ["FUNCTION", "LIST"],
    ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "my*"],
    ["FUNCTION", "LIST", "LIBRARYNAME", "zz*"],
    ["FUNCTION", "LIST", "BOGUS"],
    ["FUNCTION", "LIST", "LIBRARYNAME"],
    ["FUNCTION", "LOAD", "#!lua name=mylib\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f1', function() return 1 end)"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.call('ping')"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nerror('x')"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('a b', function() end)"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nreturn +"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nlocal x = {} x[nil] = 1"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nx = 1"],
    ["FUNCTION", "LOAD", "#!lua name=lib3\nlocal x = redis.setresp"],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=lib3\nlocal x = redis.log\nlocal y = redis.REDIS_VERSION\nredis.register_function('ff', function() error('inner') end)",
    ],
    ["FCALL", "ff", "0"],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=lib4\nredis.register_function('fg', function() return redis.call('nocmd') end)",
    ],
    ["FCALL", "fg", "0"],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=lib5\nredis.register_function{function_name='f5', callback=function() return redis.call('set', 'x', 'y') end, flags={'no-writes'}, description='desc'}",
    ],
    ["FCALL", "f5", "0"],
    ["FUNCTION", "LIST", "LIBRARYNAME", "lib5"],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=lib6\nredis.register_function('a', function() return 1 end)\nredis.register_function('a', function() return 1 end)",
    ],
    ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('a')"],
    ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('a', 'notfn')"],
    ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function()"],
    ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function{function_name='a'}"],
    ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function{callback=function() end}"],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=lib6\nredis.register_function{function_name='a', callback=function() end, flags='no-writes'}",
    ],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=lib6\nredis.register_function{function_name='a', callback=function() end, flags={'bogus'}}",
    ],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=lib6\nredis.register_function{function_name='a', callback=function() end, bogus=1}",
    ],
    ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('a', function() end, 'x')"],
    ["FUNCTION", "LOAD", "return 1"],
    ["FUNCTION", "LOAD", "#!lua"],
    ["FUNCTION", "LOAD", "#!lua name=x foo=bar"],
    ["FUNCTION", "LOAD", "#!python name=p2\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=p2 name=p3\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=\nreturn 1"],
    ["FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"],
    ["FUNCTION", "LOAD", "REPLACE"],
    ["FUNCTION", "LOAD", "BOGUS", "x"],
    [
        "FUNCTION",
        "LOAD",
        "REPLACE",
        "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return {#keys, #args, keys[1], args[1]} end)",
    ],
    ["FCALL", "f1", "1", "k", "v"],
    ["FUNCTION", "STATS"],
    ["FUNCTION", "STATS", "x"],
    ["FUNCTION", "DELETE", "nolib"],
    ["FUNCTION", "DELETE", "lib3"],
    ["FUNCTION", "DELETE"],
    ["FUNCTION", "HELP"],
    ["FUNCTION", "FLUSH", "x"],
    ["FUNCTION", "KILL"],
    ["FUNCTION", "RESTORE", "garbage"],
    ["FUNCTION", "FLUSH", "ASYNC"],
    ["FUNCTION", "LIST"],
    ["FUNCTION", "STATS"],
    ["FUNCTION", "DUMP"],
    [
        "FUNCTION",
        "LOAD",
        "#!lua name=dlib\nredis.register_function('dfn', function() return 42 end)",
    ],
    ["FUNCTION", "DUMP"],
    ["FUNCTION", "RESTORE", "\xf5\xc3@\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"],
]

#: How the scripting commands describe themselves (COMMAND INFO, key extraction).
INTROSPECTION = [
    ["COMMAND", "INFO", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"],
    ["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"],
    ["COMMAND", "GETKEYS", "FCALL", "f", "1", "a", "b"],
    ["COMMAND", "GETKEYS", "EVAL", "return 1", "0"],
    [
        "COMMAND",
        "INFO",
        "script|load",
        "script|flush",
        "script|exists",
        "script|kill",
        "script|help",
    ],
    ["COMMAND", "INFO", "function|load", "function|delete", "function|list", "function|dump"],
    ["COMMAND", "INFO", "function|restore", "function|flush", "function|stats", "function|kill"],
    ["COMMAND", "INFO", "function|help"],
]


class RawClient:
    """Sends commands and returns each reply's exact bytes."""

    def __init__(self, port: int, protocol: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        if protocol == 3:
            self.command("HELLO", "3")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def command(self, *args: str) -> bytes:
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode("latin-1")
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self) -> bytes:
        line = self.file.readline()
        kind, body = line[:1], line[1:-2]
        if kind in b"$=!" and int(body) >= 0:
            return line + self.file.read(int(body) + 2)
        if kind in b"*~>%|" and int(body) >= 0:
            count = int(body) * (2 if kind in b"%|" else 1)
            return line + b"".join(self._reply() for _ in range(count))
        return line


@pytest.fixture(scope="module")
def redis_port(reference_redis: Callable[..., int]) -> int:
    return reference_redis()


def _compare(redis_port: int, port: int, protocol: int, commands: list[list[str]]) -> None:
    theirs, ours = RawClient(redis_port, protocol), RawClient(port, protocol)
    mismatches = []
    try:
        for client in (theirs, ours):
            client.command("FLUSHALL")
            client.command("FUNCTION", "FLUSH")
            client.command("SCRIPT", "FLUSH")
        for argv in commands:
            expected, got = theirs.command(*argv), ours.command(*argv)
            if expected != got:
                mismatches.append(f"{argv!r}:\n  redis   {expected!r}\n  ferrite {got!r}")
    finally:
        theirs.close()
        ours.close()
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("protocol", [2, 3])
def test_library_scripts(redis_port: int, server: FerriteProcess, protocol: int) -> None:
    _compare(redis_port, server.port, protocol, LIBRARY_SCRIPTS)


@pytest.mark.parametrize("protocol", [2, 3])
def test_conversions_errors_and_sandbox(
    redis_port: int, server: FerriteProcess, protocol: int
) -> None:
    _compare(redis_port, server.port, protocol, MORE_SCRIPTS)


@pytest.mark.parametrize("protocol", [2, 3])
def test_command_introspection(redis_port: int, server: FerriteProcess, protocol: int) -> None:
    _compare(redis_port, server.port, protocol, INTROSPECTION)


@pytest.mark.parametrize("protocol", [2, 3])
def test_script_and_function_commands(
    redis_port: int, server: FerriteProcess, protocol: int
) -> None:
    _compare(redis_port, server.port, protocol, MANAGEMENT)
