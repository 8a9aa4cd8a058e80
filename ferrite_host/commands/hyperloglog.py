"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE over strings in Redis's HYLL format.

An HLL is an ordinary string (GET, SET, APPEND see its bytes); these commands check its
header first and answer Redis's WRONGTYPE text for a string that is not one. Edits happen
on a `bytearray` copy that replaces the stored `bytes`, or in place on a stored bytearray.
PFCOUNT writes the cached cardinality back into the header, as Redis does; that change is
silent (no keyspace event) but WATCH and the dirty counter see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands.arguments import arg, key_arg
from ferrite_host.core import errors
from ferrite_host.core.errors import CommandError
from ferrite_host.core.spec import Family, key_spec
from ferrite_host.keyspace import hll
from ferrite_host.keyspace.events import SILENT
from ferrite_host.protocol.replies import OK, SimpleString

if TYPE_CHECKING:
    from ferrite_host.core.session import Session

family = Family("hyperloglog")
command = family.command

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"


def _hll_at(session: Session, key: bytes, counted: bool = False) -> bytes | bytearray | None:
    """The HLL string at `key` (None when missing), after Redis's type and header checks."""
    value = session.db.read(key) if counted else session.db.get(key)
    if value is None:
        return None
    if type(value) is not bytes and type(value) is not bytearray:
        raise CommandError(errors.WRONGTYPE)
    if not hll.is_valid_header(value):
        raise CommandError(NOT_HLL)
    return value


def _max_bytes(session: Session) -> int:
    return session.state.settings.hll_sparse_max_bytes


@command(
    "pfadd",
    -2,
    "write denyoom fast",
    keys=(1, 1, 1),
    since="2.8.9",
    summary="Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
    complexity="O(1) to add every element.",
    key_specs=[key_spec("RW INSERT")],
    arguments=[key_arg(), arg("element", optional=True, multiple=True)],
)
def pfadd(session: Session, argv: list[bytes]) -> Any:
    key = argv[1]
    value = _hll_at(session, key)
    edited = hll.new_sparse() if value is None else bytearray(value)
    in_place = type(value) is bytearray
    if in_place:
        edited = value  # type: ignore[assignment]
    updated = value is None
    limit = _max_bytes(session)
    try:
        if hll.add_many(edited, argv[2:], limit):
            updated = True
    except hll.CorruptHLL:
        raise CommandError(CORRUPT) from None
    if not updated:
        return 0
    hll.invalidate_cache(edited)
    if in_place:
        session.db.changed(key, "pfadd", "$")
    else:
        session.db.set(key, edited, keep_ttl=True, event="pfadd")
    return 1


@command(
    "pfcount",
    -2,
    "readonly",
    keys=(1, -1, 1),
    since="2.8.9",
    summary=(
        "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s)."
    ),
    complexity=(
        "O(1) with a very small average constant time when called with a single key. O(N) "
        "with N being the number of keys, and much bigger constant times, when called with "
        "multiple keys."
    ),
    key_specs=[
        {
            "notes": (
                "RW because it may change the internal representation of the key, "
                "and propagate to replicas"
            ),
            **key_spec("RW ACCESS", last=-1),
        }
    ],
    arguments=[key_arg(multiple=True)],
)
def pfcount(session: Session, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        registers = [0] * hll.REGISTERS
        for key in argv[1:]:
            value = _hll_at(session, key, counted=True)
            if value is None:
                continue
            try:
                hll.merge_into(registers, value)
            except hll.CorruptHLL:
                raise CommandError(CORRUPT) from None
        return hll.count_registers(registers)
    key = argv[1]
    value = _hll_at(session, key, counted=True)
    if value is None:
        return 0
    cached = hll.cached_cardinality(value)
    if cached is not None:
        return cached
    try:
        card = hll.count(value)
    except hll.CorruptHLL:
        raise CommandError(CORRUPT) from None
    if type(value) is bytearray:
        hll.store_cardinality(value, card)
        session.db.touch_value(key)
    else:
        edited = bytearray(value)
        hll.store_cardinality(edited, card)
        session.db.set(key, edited, keep_ttl=True, event="set", cls=SILENT)
    return card


@command(
    "pfmerge",
    -2,
    "write denyoom",
    keys=(1, -1, 1),
    since="2.8.9",
    summary="Merges one or more HyperLogLog values into a single key.",
    complexity="O(N) to merge N HyperLogLogs, but with high constant times.",
    key_specs=[key_spec("RW ACCESS INSERT"), key_spec("RO ACCESS", index=2, last=-1)],
    arguments=[key_arg("destkey", 0), key_arg("sourcekey", 1, optional=True, multiple=True)],
)
def pfmerge(session: Session, argv: list[bytes]) -> Any:
    registers = [0] * hll.REGISTERS
    use_dense = False
    try:
        for key in argv[1:]:
            value = _hll_at(session, key, counted=True)
            if value is None:
                continue
            use_dense = use_dense or value[4] == hll.DENSE
            hll.merge_into(registers, value)
    except hll.CorruptHLL:
        raise CommandError(CORRUPT) from None
    destination = argv[1]
    current = session.db.get(destination)
    target = hll.new_sparse() if current is None else bytearray(current)  # type: ignore[arg-type]
    if type(current) is bytearray:
        target = current
    if use_dense:
        hll.to_dense(target)
    limit = _max_bytes(session)
    trail: list[tuple[int, int]] = []
    for index, count in enumerate(registers):
        if not count:
            continue
        if target[4] == hll.DENSE:
            hll.dense_set(target, index, count)
        else:
            hll.sparse_set(target, index, count, limit, trail)
    hll.invalidate_cache(target)
    if target is current:
        session.db.changed(destination, "pfadd", "$")
    else:
        session.db.set(destination, target, keep_ttl=True, event="pfadd")
    return OK


@command(
    "pfselftest",
    1,
    "admin",
    since="2.8.9",
    summary="An internal command for testing HyperLogLog values",
    doc_flags=("syscmd",),
    complexity="N/A",
    arguments=[],
)
def pfselftest(session: Session, argv: list[bytes]) -> Any:
    failure = hll.self_test()
    if failure is not None:
        raise CommandError(failure)
    return OK


def _dense_hll(session: Session, key: bytes, value: bytes | bytearray) -> bytearray:
    """The HLL at `key` converted to dense and stored back (silently, as PFDEBUG does)."""
    edited = value if type(value) is bytearray else bytearray(value)
    try:
        hll.to_dense(edited)
    except hll.CorruptHLL:
        raise CommandError(CORRUPT) from None
    if edited is value:
        session.db.changed(key, "pfdebug", SILENT)
    else:
        session.db.set(key, edited, keep_ttl=True, event="pfdebug", cls=SILENT)
    return edited


@command(
    "pfdebug",
    3,
    "write denyoom admin",
    keys=(2, 2, 1),
    since="2.8.9",
    summary="Internal commands for debugging HyperLogLog values",
    doc_flags=("syscmd",),
    complexity="N/A",
    key_specs=[key_spec("RW ACCESS", index=2)],
    arguments=[
        {"name": "subcommand", "type": "string", "display_text": None},
        {"name": "key", "type": "key", "key_spec_index": 0, "display_text": None},
    ],
)
def pfdebug(session: Session, argv: list[bytes]) -> Any:
    subcommand, key = argv[1].lower(), argv[2]
    value = _hll_at(session, key)
    if value is None:
        raise CommandError("ERR The specified key does not exist")
    sparse = value[4] == hll.SPARSE
    if subcommand == b"getreg":
        if sparse:
            value = _dense_hll(session, key, value)
        return hll.dense_registers(value)
    if subcommand == b"decode":
        if not sparse:
            raise CommandError("ERR HLL encoding is not sparse")
        return hll.sparse_decode(value).encode()
    if subcommand == b"encoding":
        return SimpleString("sparse" if sparse else "dense")
    if subcommand == b"todense":
        if sparse:
            _dense_hll(session, key, value)
        return int(sparse)
    raise CommandError(f"ERR Unknown PFDEBUG subcommand '{argv[1].decode('utf-8', 'replace')}'")
