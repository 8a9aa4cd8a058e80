"""RESP wire format: request parsing and reply encoding (the only place RESP2 and RESP3 differ)."""

from ferrite_host.protocol.encoder import encode, encode_into
from ferrite_host.protocol.parser import ProtocolError, RequestParser
from ferrite_host.protocol.replies import (
    NO_REPLY,
    OK,
    QUEUED,
    BigNumber,
    Error,
    NullArray,
    Push,
    Reply,
    SetReply,
    SimpleString,
    Verbatim,
)

__all__ = [
    "NO_REPLY",
    "OK",
    "QUEUED",
    "BigNumber",
    "Error",
    "NullArray",
    "ProtocolError",
    "Push",
    "Reply",
    "RequestParser",
    "SetReply",
    "SimpleString",
    "Verbatim",
    "encode",
    "encode_into",
]
