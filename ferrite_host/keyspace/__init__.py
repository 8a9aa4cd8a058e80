"""Databases, values and expiry. Imports nothing from the rest of Ferrite."""

from ferrite_host.keyspace import events
from ferrite_host.keyspace.database import Database, now_ms
from ferrite_host.keyspace.glob import compile_glob, glob_match
from ferrite_host.keyspace.hashes import HashValue
from ferrite_host.keyspace.keyspace import ChangeListener, Keyspace
from ferrite_host.keyspace.limits import EncodingLimits
from ferrite_host.keyspace.lists import ListValue
from ferrite_host.keyspace.sets import SetValue
from ferrite_host.keyspace.values import (
    Aggregate,
    TypedValue,
    Value,
    ValueType,
    is_string,
    release,
    type_name,
)
from ferrite_host.keyspace.zsets import ZSetValue

__all__ = [
    "Aggregate",
    "ChangeListener",
    "Database",
    "EncodingLimits",
    "HashValue",
    "Keyspace",
    "ListValue",
    "SetValue",
    "TypedValue",
    "Value",
    "ValueType",
    "ZSetValue",
    "compile_glob",
    "events",
    "glob_match",
    "is_string",
    "now_ms",
    "release",
    "type_name",
]
