"""RESP wire format: request parsing and reply encoding (the only place RESP2 and RESP3 differ)."""

from ferrite_host.protocol.encoder import encode, encode_into
from ferrite_host.protocol.parser import ProtocolError, RequestParser
from ferrite_host.protocol.replies import (
    OK,
    QUEUED,
    BigNumber,
    Error,
    NullArray,
    Push,
    Reply,
    SimpleString,
    Verbatim,
)

__all__ = [
    "OK",
    "QUEUED",
    "BigNumber",
    "Error",
    "NullArray",
    "ProtocolError",
    "Push",
    "Reply",
    "RequestParser",
    "SimpleString",
    "Verbatim",
    "encode",
    "encode_into",
]
