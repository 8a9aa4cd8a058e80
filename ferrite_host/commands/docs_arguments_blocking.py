"""COMMAND DOCS arguments of the blocking commands (merged into DOC_ARGUMENTS)."""

from typing import Any

BLOCKING_DOC_ARGUMENTS: dict[str, list[dict[str, Any]]] = {
    "blpop": [
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
    "brpop": [
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
    "blmove": [
        {"name": "source", "type": "key", "key_spec_index": 0},
        {"name": "destination", "type": "key", "key_spec_index": 1},
        {
            "name": "wherefrom",
            "type": "oneof",
            "arguments": [
                {"name": "left", "type": "pure-token", "token": "LEFT"},
                {"name": "right", "type": "pure-token", "token": "RIGHT"},
            ],
        },
        {
            "name": "whereto",
            "type": "oneof",
            "arguments": [
                {"name": "left", "type": "pure-token", "token": "LEFT"},
                {"name": "right", "type": "pure-token", "token": "RIGHT"},
            ],
        },
        {"name": "timeout", "type": "double"},
    ],
    "brpoplpush": [
        {"name": "source", "type": "key", "key_spec_index": 0},
        {"name": "destination", "type": "key", "key_spec_index": 1},
        {"name": "timeout", "type": "double"},
    ],
    "blmpop": [
        {"name": "timeout", "type": "double"},
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {
            "name": "where",
            "type": "oneof",
            "arguments": [
                {"name": "left", "type": "pure-token", "token": "LEFT"},
                {"name": "right", "type": "pure-token", "token": "RIGHT"},
            ],
        },
        {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]},
    ],
    "bzpopmin": [
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
    "bzpopmax": [
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "timeout", "type": "double"},
    ],
    "bzmpop": [
        {"name": "timeout", "type": "double"},
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {
            "name": "where",
            "type": "oneof",
            "arguments": [
                {"name": "min", "type": "pure-token", "token": "MIN"},
                {"name": "max", "type": "pure-token", "token": "MAX"},
            ],
        },
        {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]},
    ],
    "wait": [{"name": "numreplicas", "type": "integer"}, {"name": "timeout", "type": "integer"}],
    "client|unblock": [
        {"name": "client-id", "type": "integer"},
        {
            "name": "timeout_error",
            "type": "oneof",
            "flags": ["optional"],
            "arguments": [
                {"name": "timeout", "type": "pure-token", "token": "TIMEOUT"},
                {"name": "error", "type": "pure-token", "token": "ERROR"},
            ],
        },
    ],
    "client|unpause": [],
    "client|pause": [
        {"name": "timeout", "type": "integer"},
        {
            "name": "mode",
            "type": "oneof",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                {"name": "write", "type": "pure-token", "token": "WRITE"},
                {"name": "all", "type": "pure-token", "token": "ALL"},
            ],
        },
    ],
}
