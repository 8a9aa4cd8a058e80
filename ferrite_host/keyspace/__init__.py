"""Databases, values and expiry. Imports nothing from the rest of Ferrite."""

from ferrite_host.keyspace import events
from ferrite_host.keyspace.database import Database, now_ms
from ferrite_host.keyspace.glob import compile_glob, glob_match
from ferrite_host.keyspace.keyspace import ChangeListener, Keyspace
from ferrite_host.keyspace.values import (
    Aggregate,
    TypedValue,
    Value,
    ValueType,
    is_string,
    release,
    type_name,
)

__all__ = [
    "Aggregate",
    "ChangeListener",
    "Database",
    "Keyspace",
    "TypedValue",
    "Value",
    "ValueType",
    "compile_glob",
    "events",
    "glob_match",
    "is_string",
    "now_ms",
    "release",
    "type_name",
]
