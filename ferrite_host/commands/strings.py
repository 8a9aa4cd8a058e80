"""String commands: GET, SET and the rest of Redis's string family."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ferrite_host.commands import errors
from ferrite_host.commands.errors import CommandError
from ferrite_host.commands.spec import Family
from ferrite_host.keyspace import TypedValue, now_ms
from ferrite_host.protocol.replies import OK
from ferrite_host.strconv import parse_int

if TYPE_CHECKING:
    from ferrite_host.server.session import Session

family = Family("string")
command = family.command


def get_string(session: Session, key: bytes) -> bytes | bytearray | None:
    """The string at `key`, None when missing; WRONGTYPE for any other type."""
    value = session.db.get(key)
    if value is not None and type(value) is TypedValue:
        raise CommandError(errors.WRONGTYPE)
    return value  # type: ignore[return-value]


@command("get", 2, "readonly fast", keys=(1, 1, 1), summary="Returns the string value of a key.")
def get(session: Session, argv: list[bytes]) -> Any:
    value = session.db.get(argv[1])
    if value is not None and type(value) is TypedValue:
        raise CommandError(errors.WRONGTYPE)
    return value


_SET_FLAGS = {b"nx", b"xx", b"get", b"keepttl", b"ex", b"px", b"exat", b"pxat"}


def parse_expiry(unit: bytes, raw: bytes, command_name: str) -> int:
    """An EX/PX/EXAT/PXAT argument as an absolute Unix time in ms."""
    amount = parse_int(raw)
    if amount is None:
        raise CommandError(errors.NOT_INTEGER)
    if amount <= 0 or (unit in (b"ex", b"exat") and amount > (2**63 - 1) // 1000):
        raise CommandError(f"ERR invalid expire time in '{command_name}' command")
    if unit == b"ex":
        return now_ms() + amount * 1000
    if unit == b"px":
        return now_ms() + amount
    if unit == b"exat":
        return amount * 1000
    return amount


@command("set", -3, "write denyoom", keys=(1, 1, 1), summary="Sets the string value of a key, ignoring its type.")
def set_(session: Session, argv: list[bytes]) -> Any:
    key, value = argv[1], argv[2]
    db = session.db
    if len(argv) == 3:
        db.set(key, value)
        return OK
    condition = expiry_unit = None
    want_get = keep_ttl = False
    expire_at: int | None = None
    pos = 3
    while pos < len(argv):
        option = argv[pos].lower()
        if option in (b"nx", b"xx") and condition in (None, option):
            condition = option
        elif option == b"get" and not want_get:
            want_get = True
        elif option == b"keepttl" and expiry_unit is None:
            keep_ttl = True
        elif option in (b"ex", b"px", b"exat", b"pxat") and expiry_unit is None and not keep_ttl and pos + 1 < len(argv):
            expiry_unit = option
            pos += 1
            expire_at = parse_expiry(option, argv[pos], "set")
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    old = get_string(session, key) if want_get else db.get(key)
    exists = old is not None
    if (condition == b"nx" and exists) or (condition == b"xx" and not exists):
        return old if want_get else None
    if expire_at is not None:
        db.put(key, value, expire_at)
        session.replace_propagation([b"SET", key, value, b"PXAT", b"%d" % expire_at])
    else:
        db.set(key, value, keep_ttl=keep_ttl)
    return old if want_get else OK
