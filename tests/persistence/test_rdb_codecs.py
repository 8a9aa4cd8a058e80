"""The RDB codecs on their own, and the encodings Redis 7.0 reads but no longer writes.

Redis 7.0 cannot be made to write ziplists, zipmaps, quicklist-1 lists, text scores or
second-precision expiries, so those files are built here byte by byte from the format's
description and must read as the values they hold.
"""

from __future__ import annotations

import os
import struct

import pytest

from ferrite_host.keyspace import HashValue, Keyspace, ListValue, SetValue, TypedValue, ZSetValue
from ferrite_host.persistence.rdb import constants as c
from ferrite_host.persistence.rdb import intset, listpack, lzf, module_id, ziplist, zipmap
from ferrite_host.persistence.rdb.crc64 import _crc64_python, crc64
from ferrite_host.persistence.rdb.dump import (
    PayloadError,
    dump_payload,
    load_payload,
    verify_payload,
)
from ferrite_host.persistence.rdb.errors import EncodingError
from ferrite_host.persistence.rdb.reader import RdbModulePayload, parse_rdb
from ferrite_host.persistence.rdb.writer import encode_length, encode_string, iter_dumps, write_rdb
from ferrite_host.persistence.snapshot import SnapshotError


def rdb_file(body: bytes, version: int = 10, checksum: bool = True) -> bytes:
    data = b"REDIS%04d" % version + body + b"\xff"
    return data + (crc64(data) if checksum else 0).to_bytes(8, "little")


def raw_string(data: bytes) -> bytes:
    return encode_length(len(data)) + data


def only_value(data: bytes) -> object:
    records = parse_rdb(data).records
    assert len(records) == 1
    return records[0][3]


# -- checksums and compression ---------------------------------------------------------------


def test_crc64_is_redis_jones_crc() -> None:
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    data = os.urandom(1000)
    assert crc64(data[300:], crc64(data[:300])) == crc64(data)
    assert crc64(b"") == 0
    # the pure-Python code (used where anycrc is not installed) agrees with it
    assert _crc64_python(b"123456789") == 0xE9C6D914C4B8D9CA
    assert _crc64_python(data[301:], _crc64_python(data[:301])) == crc64(data)


@pytest.mark.parametrize(
    "data",
    [b"a" * 1000, b"abc" * 300, os.urandom(200) + b"x" * 500, bytes(range(256)) * 40],
)
def test_lzf_round_trip(data: bytes) -> None:
    packed = lzf.compress(data)
    assert packed is not None and len(packed) < len(data)
    assert lzf.decompress(packed, len(data)) == data


def test_lzf_refuses_random_data_and_bad_streams() -> None:
    noise = os.urandom(300)
    assert lzf.compress(noise, len(noise) - 4) is None
    with pytest.raises(lzf.LzfError, match="back reference"):
        lzf.decompress(b"\x20\x05", 10)
    with pytest.raises(lzf.LzfError, match="announced"):
        lzf.decompress(b"\x02abc", 5)


# -- compact encodings -----------------------------------------------------------------------


def test_listpack_integer_widths_and_strings() -> None:
    items = [
        b"0",
        b"127",
        b"128",
        b"-4096",
        b"4095",
        b"32767",
        b"-32769",
        b"8388607",
        b"2147483648",
        b"-9223372036854775808",
        b"9223372036854775807",
        b"9223372036854775808",
        b"01",
        b"-0",
        b"",
        b"x" * 63,
        b"y" * 64,
        b"z" * 4095,
        b"w" * 4096,
        b"q" * 20000,
    ]
    blob = listpack.encode(items)
    assert listpack.decode(blob) == items
    assert listpack.encode([b"5"])[6] == 5  # a 7-bit integer, as lpAppend stores it
    with pytest.raises(EncodingError):
        listpack.decode(blob[:-1] + b"\x00")
    with pytest.raises(EncodingError):
        listpack.decode(blob[:20])


def ziplist_of(entries: list[bytes]) -> bytes:
    body = b""
    previous = 0
    tail = 10
    for raw in entries:
        entry = (
            bytes((previous,)) if previous < 254 else b"\xfe" + struct.pack("<I", previous)
        ) + raw
        tail = 10 + len(body)
        body += entry
        previous = len(entry)
    return struct.pack("<IIH", 11 + len(body), tail, len(entries)) + body + b"\xff"


ZIPLIST_ENTRIES = [
    (bytes((len(b"abc"),)) + b"abc", b"abc"),
    (bytes((0x40 | 1, 44)) + b"s" * 300, b"s" * 300),
    (b"\xc0" + struct.pack("<h", -1234), b"-1234"),
    (b"\xd0" + struct.pack("<i", 100000), b"100000"),
    (b"\xe0" + struct.pack("<q", -(2**40)), b"-1099511627776"),
    (b"\xf0" + (-5).to_bytes(3, "little", signed=True), b"-5"),
    (b"\xfe" + struct.pack("<b", 100), b"100"),
    (b"\xf1", b"0"),
    (b"\xfd", b"12"),
]


def test_ziplist_every_encoding() -> None:
    blob = ziplist_of([raw for raw, _ in ZIPLIST_ENTRIES])
    assert ziplist.decode(blob) == [value for _, value in ZIPLIST_ENTRIES]
    with pytest.raises(EncodingError):
        ziplist.decode(blob[:-2] + b"\xff")


def test_intset_and_zipmap() -> None:
    assert intset.decode(intset.encode([5, -3, 70000])) == [b"-3", b"5", b"70000"]
    assert intset.decode(intset.encode([2**40]))[0] == b"1099511627776"
    with pytest.raises(EncodingError, match="ascending"):
        intset.decode(struct.pack("<IIhh", 2, 2, 5, 1))
    blob = b"\x02" + b"\x01a\x02\x00vv" + b"\x02bb\x01\x02w__" + b"\xff"
    assert zipmap.decode(blob) == [b"a", b"vv", b"bb", b"w"]


def test_module_type_ids_pack_like_redis() -> None:
    mid = module_id.encode("hellotype", 3)
    assert module_id.decode(mid) == ("hellotype", 3)
    assert mid & 0x3FF == 3 and mid >> 10 >> 48 == module_id.decode(mid)[0].encode()[0] - 97 + 26
    assert module_id.stored_name("abc") == "abc______"
    assert module_id.shown_name("abc______") == "abc"
    with pytest.raises(ValueError):
        module_id.encode("bad name!", 0)


# -- strings ---------------------------------------------------------------------------------


def test_strings_are_integer_encoded_or_compressed_like_redis() -> None:
    assert encode_string(b"12") == b"\xc0\x0c"
    assert encode_string(b"-129") == b"\xc1" + struct.pack("<h", -129)
    assert encode_string(b"2147483647") == b"\xc2" + struct.pack("<i", 2**31 - 1)
    assert encode_string(b"2147483648") == b"\x0a2147483648"  # beyond 32 bits: plain
    assert encode_string(b"012") == b"\x03012"
    assert encode_string(b"a" * 100)[0] == 0xC3
    assert encode_string(b"a" * 100, compress=False) == b"\x40\x64" + b"a" * 100


# -- values Redis 7.0 reads but does not write -----------------------------------------------


def test_legacy_value_encodings() -> None:
    zl = ziplist_of([raw for raw, _ in ZIPLIST_ENTRIES])
    values = [value for _, value in ZIPLIST_ENTRIES]
    key = raw_string(b"k")
    assert (
        list(only_value(rdb_file(bytes((c.TYPE_LIST_ZIPLIST,)) + key + raw_string(zl)))) == values
    )  # type: ignore[call-overload]
    quicklist = bytes((c.TYPE_LIST_QUICKLIST,)) + key + encode_length(2) + raw_string(zl) * 2
    assert list(only_value(rdb_file(quicklist))) == values * 2  # type: ignore[call-overload]
    plain_list = bytes((c.TYPE_LIST,)) + key + encode_length(2) + raw_string(b"a") + b"\xc0\x07"
    assert list(only_value(rdb_file(plain_list))) == [b"a", b"7"]  # type: ignore[call-overload]

    pairs = ziplist_of([b"\x01f", b"\x01v", b"\x01g", b"\xf3"])
    hashed = only_value(rdb_file(bytes((c.TYPE_HASH_ZIPLIST,)) + key + raw_string(pairs)))
    assert isinstance(hashed, HashValue) and hashed == {b"f": b"v", b"g": b"2"}
    zmap = b"\x01\x01a\x01\x00b\xff"
    assert only_value(rdb_file(bytes((c.TYPE_HASH_ZIPMAP,)) + key + raw_string(zmap))) == {
        b"a": b"b"
    }

    scores = ziplist_of([b"\x01a", b"\x031.5", b"\x01b", b"\xf2"])
    zset = only_value(rdb_file(bytes((c.TYPE_ZSET_ZIPLIST,)) + key + raw_string(scores)))
    assert isinstance(zset, ZSetValue) and list(zset) == [(b"b", 1.0), (b"a", 1.5)]
    text_scores = (
        bytes((c.TYPE_ZSET,)) + key + encode_length(3)
        + raw_string(b"x") + b"\x032.5" + raw_string(b"y") + b"\xfe" + raw_string(b"z") + b"\xff"
    )  # fmt: skip
    zset = only_value(rdb_file(text_scores))
    assert list(zset) == [(b"z", float("-inf")), (b"x", 2.5), (b"y", float("inf"))]  # type: ignore[call-overload]

    members = listpack.encode([b"a", b"7"])
    listed = only_value(rdb_file(bytes((c.TYPE_SET_LISTPACK,)) + key + raw_string(members), 11))
    assert isinstance(listed, SetValue) and listed == {b"a", b"7"}


def test_opcodes_expiry_in_seconds_functions_aux_and_lru() -> None:
    body = (
        bytes((c.OP_AUX,)) + raw_string(b"redis-ver") + raw_string(b"6.2.0")
        + bytes((c.OP_FUNCTION2,)) + raw_string(b"#!lua name=lib\n")
        + bytes((c.OP_SELECTDB,)) + encode_length(2)
        + bytes((c.OP_RESIZEDB,)) + encode_length(1) + encode_length(1)
        + bytes((c.OP_EXPIRETIME,)) + struct.pack("<I", 4_102_444_800)
        + bytes((c.OP_IDLE,)) + encode_length(100)
        + bytes((c.OP_FREQ,)) + b"\x05"
        + b"\x00" + raw_string(b"k") + raw_string(b"v")
    )  # fmt: skip
    contents = parse_rdb(rdb_file(body, version=9))
    assert contents.records == [(2, b"k", 4_102_444_800_000, b"v")]
    assert contents.functions == [b"#!lua name=lib\n"]
    assert contents.aux["redis-ver"] == b"6.2.0"


def test_checksum_zero_is_not_checked_and_a_wrong_one_is_refused() -> None:
    body = b"\x00" + raw_string(b"k") + raw_string(b"v")
    assert parse_rdb(rdb_file(body, checksum=False)).records[0][3] == b"v"
    good = rdb_file(body)
    bad = good[:-8] + bytes([good[-8] ^ 1]) + good[-7:]
    with pytest.raises(SnapshotError, match="checksum mismatch") as info:
        parse_rdb(bad)
    assert info.value.offset == len(good) - 8


def test_damage_inside_a_value_names_the_key_and_offset() -> None:
    broken = bytearray(listpack.encode([b"f", b"v"]))
    broken[6] = 0xF9  # not an entry encoding
    body = bytes((c.TYPE_HASH_LISTPACK,)) + raw_string(b"hk") + raw_string(bytes(broken))
    with pytest.raises(SnapshotError, match="bad listpack of key 'hk'") as info:
        parse_rdb(rdb_file(body))
    assert info.value.offset == 9 + 1 + 3  # header, type byte, key: the value
    with pytest.raises(SnapshotError, match="unknown value type 42"):
        parse_rdb(rdb_file(b"\x2a" + raw_string(b"k")))
    stream = bytes((c.TYPE_STREAM_LISTPACKS_2,)) + raw_string(b"s") + encode_length(1)
    with pytest.raises(SnapshotError, match="stream node id is not 16 bytes"):
        parse_rdb(rdb_file(stream + raw_string(b"short") + raw_string(b"")))
    odd = bytes((c.TYPE_ZSET_LISTPACK,)) + raw_string(b"z") + raw_string(listpack.encode([b"m"]))
    with pytest.raises(SnapshotError, match="odd number"):
        parse_rdb(rdb_file(odd))
    twice = bytes((c.TYPE_SET,)) + raw_string(b"s") + encode_length(2) + raw_string(b"a") * 2
    with pytest.raises(SnapshotError, match="twice"):
        parse_rdb(rdb_file(twice))


def test_empty_aggregates_are_skipped_as_redis_does() -> None:
    body = bytes((c.TYPE_LIST_QUICKLIST_2,)) + raw_string(b"l") + encode_length(0)
    contents = parse_rdb(rdb_file(body))
    assert contents.records == [] and contents.empty_keys == 1


# -- writing ---------------------------------------------------------------------------------


class BlobType:
    name = "blobtype"
    encver = 2
    module_name = "blobs"

    def can_save(self) -> bool:
        return True

    def save(self, value: bytes) -> bytes:
        return value

    def load(self, data: bytes, encver: int) -> bytes:
        return data


def test_written_file_reads_back_with_redis_encodings() -> None:
    keyspace = Keyspace(16)
    db = keyspace[0]
    db.set(b"s", b"text")
    db.put(b"ttl", b"7", 4_102_444_800_000)
    db.set(b"l", ListValue([b"a", b"1"] * 5000))
    small_hash = HashValue({b"f": b"v"})
    small_hash.update_encoding(keyspace.limits)
    db.set(b"h", small_hash)
    numbers = SetValue([b"1", b"-2"])
    numbers.update_encoding(keyspace.limits)
    db.set(b"i", numbers)
    zset = ZSetValue()
    for index in range(300):
        zset.add(b"m%d" % index, index / 3)
    zset.update_encoding(keyspace.limits)
    db.set(b"z", zset)
    keyspace[7].set(b"mod", TypedValue(BlobType(), b"\x00payload"))  # type: ignore[arg-type]

    import io

    out = io.BytesIO()
    write_rdb(out, iter_dumps(keyspace), limits=keyspace.limits)
    data = out.getvalue()
    assert data.startswith(b"REDIS0010")
    contents = parse_rdb(data)
    values = {key: value for _, key, _, value in contents.records}
    assert values[b"s"] == b"text" and values[b"ttl"] == b"7"
    assert list(values[b"l"]) == [b"a", b"1"] * 5000  # type: ignore[call-overload]
    assert values[b"h"] == {b"f": b"v"} and values[b"i"] == {b"1", b"-2"}
    assert list(values[b"z"]) == list(zset)  # type: ignore[call-overload]
    module = values[b"mod"]
    assert isinstance(module, RdbModulePayload)
    assert (module.type_name, module.stored_name, module.encver, module.data) == (
        "blobtype",
        "blobtype_",
        2,
        b"\x00payload",
    )
    assert contents.aux["redis-ver"] == b"7.0.15" and contents.aux["redis-bits"] == b"64"


def test_dump_payload_footer() -> None:
    payload = dump_payload(b"k", b"hello")
    assert payload[:1] == b"\x00" and payload[-10:-8] == b"\x0a\x00"
    verify_payload(payload)
    assert load_payload(b"k", payload) == b"hello"
    for bad in (payload[:5], payload[:-1] + b"\x00", payload[:-10] + b"\x0c\x00" + payload[-8:]):
        with pytest.raises(PayloadError):
            verify_payload(bad)
