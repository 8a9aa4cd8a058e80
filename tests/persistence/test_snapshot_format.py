"""The snapshot format on its own: round trips, and every kind of damage is caught."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from persist_helpers import ListType

from ferrite_host.keyspace import Keyspace, TypedValue
from ferrite_host.persistence.snapshot import (
    FORMAT_VERSION,
    MAGIC,
    ModulePayload,
    SnapshotError,
    SnapshotLoadError,
    SnapshotSaveError,
    build_values,
    iter_databases,
    parse_legacy_snapshot,
    parse_snapshot,
    varint,
    write_snapshot,
)

FUTURE = 4_102_444_800_000  # 2100-01-01, in ms
PAST = 1_000_000_000_000  # 2001


def snapshot_of(keyspace: Keyspace) -> bytes:
    out = io.BytesIO()
    write_snapshot(out, iter_databases(keyspace))
    return out.getvalue()


def small_keyspace() -> Keyspace:
    keyspace = Keyspace(16)
    keyspace[0].set(b"plain", b"value")
    keyspace[0].put(b"ttl", b"v", FUTURE)
    keyspace[5].set(b"bin\x00\r\nkey", b"\x00\xff\r\n")
    return keyspace


def test_round_trip_strings_expiries_and_databases() -> None:
    keyspace = Keyspace(16)
    values = {
        b"": b"empty key name",
        b"empty": b"",
        b"nul": b"a\x00b",
        b"crlf": b"line\r\nline\r\n",
        b"binary": bytes(range(256)),
        b"big": b"x" * 200_000,
        b"\xff\xfe": b"non-utf8 key",
    }
    for key, value in values.items():
        keyspace[0].set(key, value)
    keyspace[0].put(b"volatile", b"v", FUTURE)
    keyspace[15].set(b"last-db", bytearray(b"mutable"))
    for index in range(1, 15):
        keyspace[index].set(b"k%d" % index, b"%d" % index)

    contents = parse_snapshot(snapshot_of(keyspace))
    loaded = build_values(contents, {}, 16, now_ms=0)

    assert loaded.loaded == len(values) + 1 + 1 + 14 and loaded.expired == 0
    db0 = {key: (value, expiry) for key, value, expiry in loaded.dbs[0]}
    assert {key: value for key, (value, _) in db0.items() if key != b"volatile"} == values
    assert db0[b"volatile"] == (b"v", FUTURE)
    assert loaded.dbs[15] == [(b"last-db", b"mutable", None)]
    assert contents.key_counts() == {index: 1 for index in range(1, 16)} | {0: len(values) + 1}


def test_header_and_trailer_layout() -> None:
    data = snapshot_of(small_keyspace())
    assert data.startswith(MAGIC + struct.pack(">HH", FORMAT_VERSION, 0))
    assert struct.unpack(">I", data[-4:])[0] == zlib.crc32(data[:-4])
    contents = parse_snapshot(data)
    assert contents.aux["ferrite-ver"]
    assert contents.data_end == len(data) - 4


def test_expired_keys_are_dropped_when_loading() -> None:
    keyspace = Keyspace(4)
    keyspace[0].put(b"stale", b"x", FUTURE)
    keyspace[0].set(b"fresh", b"y")
    contents = parse_snapshot(snapshot_of(keyspace))
    loaded = build_values(contents, {}, 4, now_ms=FUTURE)
    assert loaded.expired == 1
    assert loaded.dbs[0] == [(b"fresh", b"y", None)]


def test_empty_keyspace_is_a_valid_snapshot() -> None:
    contents = parse_snapshot(snapshot_of(Keyspace(16)))
    assert contents.records == []


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32, 2**63 - 1])
def test_varint_round_trip(value: int) -> None:
    encoded = varint(value)
    assert len(encoded) == max(1, (value.bit_length() + 6) // 7)
    decoded = sum((byte & 0x7F) << (7 * i) for i, byte in enumerate(encoded))
    assert decoded == value


def test_every_truncation_is_detected_with_its_offset() -> None:
    data = snapshot_of(small_keyspace())
    for size in range(1, len(data)):
        with pytest.raises(SnapshotError) as info:
            parse_snapshot(data[:size])
        assert 0 <= info.value.offset <= size
        assert info.value.keys_read <= 3


def test_truncation_reports_the_keys_read_before_it() -> None:
    data = snapshot_of(small_keyspace())
    with pytest.raises(SnapshotError) as info:
        parse_snapshot(data[:-6])  # cut inside the key count / checksum trailer
    assert info.value.keys_read == 3
    assert "end of file" in info.value.reason


def test_every_single_bit_flip_is_detected() -> None:
    data = snapshot_of(small_keyspace())
    for position in range(len(data)):
        for bit in range(8):
            damaged = bytearray(data)
            damaged[position] ^= 1 << bit
            with pytest.raises(SnapshotError):
                parse_snapshot(bytes(damaged))


def test_checksum_mismatch_is_named() -> None:
    data = bytearray(snapshot_of(small_keyspace()))
    position = data.index(b"value")
    data[position] ^= 0x20  # "value" -> "Value": structurally fine, content changed
    with pytest.raises(SnapshotError) as info:
        parse_snapshot(bytes(data))
    assert "checksum mismatch" in info.value.reason
    assert info.value.offset == len(data) - 4


def test_wrong_magic_future_version_and_trailing_bytes() -> None:
    data = snapshot_of(small_keyspace())
    with pytest.raises(SnapshotError, match="bad magic"):
        parse_legacy_snapshot(b"REDIS0011" + data[9:])
    with pytest.raises(SnapshotError, match="neither Redis RDB nor Ferrite"):
        parse_snapshot(b"GARBAGE!" + data[8:])
    future = data[: len(MAGIC)] + struct.pack(">H", FORMAT_VERSION + 1) + data[len(MAGIC) + 2 :]
    with pytest.raises(SnapshotError, match="version 2 is not supported"):
        parse_snapshot(future)
    with pytest.raises(SnapshotError, match="unexpected bytes after the checksum"):
        parse_snapshot(data + b"\x00")


def _rebuild(body: bytes) -> bytes:
    """A file with a valid checksum around a hand-made body (to test structural checks)."""
    head = MAGIC + struct.pack(">HH", FORMAT_VERSION, 0) + body
    return head + struct.pack(">I", zlib.crc32(head))


def test_duplicate_keys_unknown_records_and_huge_lengths_are_rejected() -> None:
    record = b"\x00\x00" + varint(1) + b"k" + varint(1) + b"v"
    with pytest.raises(SnapshotError, match="duplicate key"):
        parse_snapshot(_rebuild(record + record + b"\xff" + varint(2)))
    with pytest.raises(SnapshotError, match="unknown record type 0x42"):
        parse_snapshot(_rebuild(b"\x42\xff\x00"))
    with pytest.raises(SnapshotError, match="claims 1000000 bytes"):
        parse_snapshot(_rebuild(b"\x00\x00" + varint(1_000_000) + b"k\xff\x00"))
    with pytest.raises(SnapshotError, match="declares 5 keys but holds 1"):
        parse_snapshot(_rebuild(record + b"\xff" + varint(5)))


def test_a_db_beyond_the_configured_databases_is_refused() -> None:
    keyspace = Keyspace(16)
    keyspace[12].set(b"k", b"v")
    contents = parse_snapshot(snapshot_of(keyspace))
    with pytest.raises(SnapshotLoadError, match=r"keys in db 12 .* --databases 13"):
        build_values(contents, {}, 4, now_ms=0)


# -- module values ---------------------------------------------------------------------------


def module_keyspace(vtype: ListType) -> Keyspace:
    keyspace = Keyspace(16)
    keyspace[0].set(b"s", b"string")
    keyspace[0].put(b"list", TypedValue(vtype, [b"a", b"\x00\r\n", b""]), FUTURE)
    keyspace[3].set(b"other", TypedValue(vtype, [b"z"]))
    return keyspace


def test_module_values_round_trip_through_their_callbacks() -> None:
    vtype = ListType(encver=2)
    contents = parse_snapshot(snapshot_of(module_keyspace(vtype)))
    assert contents.module_types() == {("demolist", "demo-module"): 2}
    loaded = build_values(contents, {"demolist": vtype}, 16, now_ms=0)
    _, value, expiry = next(item for item in loaded.dbs[0] if item[0] == b"list")
    assert isinstance(value, TypedValue) and value.type is vtype
    assert value.value == [b"a", b"\x00\r\n", b""] and expiry == FUTURE
    assert vtype.loaded_encvers == [2, 2]


def test_module_value_keeps_the_encver_that_wrote_it() -> None:
    old = ListType(encver=1)
    contents = parse_snapshot(snapshot_of(module_keyspace(old)))
    newer = ListType(encver=3)
    build_values(contents, {"demolist": newer}, 16, now_ms=0)
    assert newer.loaded_encvers == [1, 1]
    with pytest.raises(SnapshotLoadError, match="encoding version 3, newer than the 1"):
        build_values(
            parse_snapshot(snapshot_of(module_keyspace(newer))), {"demolist": old}, 16, now_ms=0
        )


def test_missing_module_type_names_the_type_and_the_module() -> None:
    contents = parse_snapshot(snapshot_of(module_keyspace(ListType())))
    with pytest.raises(SnapshotLoadError) as info:
        build_values(contents, {}, 16, now_ms=0)
    message = str(info.value)
    assert "no matching module type 'demolist'" in message
    assert "module 'demo-module'" in message and "Install" in message


def test_raising_load_names_the_key_and_frees_what_was_built() -> None:
    good = ListType()
    keyspace = Keyspace(16)
    keyspace[0].set(b"first", TypedValue(good, [b"1"]))
    keyspace[0].set(b"second", TypedValue(good, [b"2"]))
    contents = parse_snapshot(snapshot_of(keyspace))

    class FailsOnSecond(ListType):
        def load(self, data: bytes, encver: int) -> object:
            if data.endswith(b"2"):
                raise ValueError("corrupt payload")
            return super().load(data, encver)

    failing = FailsOnSecond()
    with pytest.raises(
        SnapshotLoadError, match="failed to load key 'second': ValueError: corrupt payload"
    ):
        build_values(contents, {"demolist": failing}, 16, now_ms=0)
    assert failing.released == [[b"1"]]


def test_types_without_rdb_save_are_skipped_and_counted() -> None:
    keyspace = module_keyspace(ListType(saves=False))
    out = io.BytesIO()
    stats = write_snapshot(out, iter_databases(keyspace))
    assert stats.keys == 1
    assert stats.skipped == {"demolist": ("demo-module", 2)}
    assert (
        "Skipped 2 key(s) of module type 'demolist' (module 'demo-module')"
        in stats.skipped_warnings()[0]
    )
    assert [record[1] for record in parse_snapshot(out.getvalue()).records] == [b"s"]


def test_a_raising_rdb_save_fails_the_whole_save() -> None:
    with pytest.raises(
        SnapshotSaveError, match="failed to save key 'list': RuntimeError: save exploded"
    ):
        write_snapshot(io.BytesIO(), iter_databases(module_keyspace(ListType(fail_save=True))))


def test_module_payload_damage_is_caught_before_rdb_load_runs() -> None:
    vtype = ListType()
    data = bytearray(snapshot_of(module_keyspace(vtype)))
    data[data.index(b"\x00\r\n")] ^= 0x01
    with pytest.raises(SnapshotError, match="checksum"):
        parse_snapshot(bytes(data))
    assert vtype.loaded_encvers == []


def test_module_payload_record_fields() -> None:
    contents = parse_snapshot(snapshot_of(module_keyspace(ListType(encver=7))))
    payloads = [value for *_, value in contents.records if isinstance(value, ModulePayload)]
    assert {(p.type_name, p.module_name, p.encver) for p in payloads} == {
        ("demolist", "demo-module", 7)
    }
