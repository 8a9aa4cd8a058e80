"""COMMAND DOCS `arguments` of the set, sorted-set and SORT commands.

Transcribed from Redis 7.0.15's COMMAND DOCS (the reference server) in the vocabulary of
`docs_arguments` (plain dicts with Redis's field names); merged into its DOC_ARGUMENTS.
"""

from __future__ import annotations

from typing import Any

SET_ZSET_DOC_ARGUMENTS: dict[str, list[dict[str, Any]]] = {
    "sadd": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
    "srem": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
    "sismember": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string"},
    ],
    "smismember": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
    "scard": [{"name": "key", "type": "key", "key_spec_index": 0}],
    "smembers": [{"name": "key", "type": "key", "key_spec_index": 0}],
    "srandmember": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "count", "type": "integer", "since": "2.6.0", "flags": ["optional"]},
    ],
    "spop": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "count", "type": "integer", "since": "3.2.0", "flags": ["optional"]},
    ],
    "smove": [
        {"name": "source", "type": "key", "key_spec_index": 0},
        {"name": "destination", "type": "key", "key_spec_index": 1},
        {"name": "member", "type": "string"},
    ],
    "sinter": [{"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]}],
    "sintercard": [
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "limit", "type": "integer", "token": "LIMIT", "flags": ["optional"]},
    ],
    "sinterstore": [
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
    "sunion": [{"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]}],
    "sunionstore": [
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
    "sdiff": [{"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]}],
    "sdiffstore": [
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
    "sscan": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "cursor", "type": "integer"},
        {"name": "pattern", "type": "pattern", "token": "MATCH", "flags": ["optional"]},
        {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]},
    ],
    "zadd": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {
            "name": "condition",
            "type": "oneof",
            "since": "3.0.2",
            "flags": ["optional"],
            "arguments": [
                {"name": "nx", "type": "pure-token", "token": "NX"},
                {"name": "xx", "type": "pure-token", "token": "XX"},
            ],
        },
        {
            "name": "comparison",
            "type": "oneof",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                {"name": "gt", "type": "pure-token", "token": "GT"},
                {"name": "lt", "type": "pure-token", "token": "LT"},
            ],
        },
        {
            "name": "change",
            "type": "pure-token",
            "token": "CH",
            "since": "3.0.2",
            "flags": ["optional"],
        },
        {
            "name": "increment",
            "type": "pure-token",
            "token": "INCR",
            "since": "3.0.2",
            "flags": ["optional"],
        },
        {
            "name": "score_member",
            "type": "block",
            "flags": ["multiple"],
            "arguments": [
                {"name": "score", "type": "double"},
                {"name": "member", "type": "string"},
            ],
        },
    ],
    "zincrby": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "increment", "type": "integer"},
        {"name": "member", "type": "string"},
    ],
    "zrem": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
    "zcard": [{"name": "key", "type": "key", "key_spec_index": 0}],
    "zcount": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "min", "type": "double"},
        {"name": "max", "type": "double"},
    ],
    "zlexcount": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "min", "type": "string"},
        {"name": "max", "type": "string"},
    ],
    "zscore": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string"},
    ],
    "zmscore": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string", "flags": ["multiple"]},
    ],
    "zrank": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string"},
    ],
    "zrevrank": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "member", "type": "string"},
    ],
    "zrange": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "start", "type": "string"},
        {"name": "stop", "type": "string"},
        {
            "name": "sortby",
            "type": "oneof",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                {"name": "byscore", "type": "pure-token", "token": "BYSCORE"},
                {"name": "bylex", "type": "pure-token", "token": "BYLEX"},
            ],
        },
        {
            "name": "rev",
            "type": "pure-token",
            "token": "REV",
            "since": "6.2.0",
            "flags": ["optional"],
        },
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "since": "6.2.0",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
    "zrangestore": [
        {"name": "dst", "type": "key", "key_spec_index": 0},
        {"name": "src", "type": "key", "key_spec_index": 1},
        {"name": "min", "type": "string"},
        {"name": "max", "type": "string"},
        {
            "name": "sortby",
            "type": "oneof",
            "flags": ["optional"],
            "arguments": [
                {"name": "byscore", "type": "pure-token", "token": "BYSCORE"},
                {"name": "bylex", "type": "pure-token", "token": "BYLEX"},
            ],
        },
        {"name": "rev", "type": "pure-token", "token": "REV", "flags": ["optional"]},
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
    ],
    "zrevrange": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "start", "type": "integer"},
        {"name": "stop", "type": "integer"},
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
    "zrangebyscore": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "min", "type": "double"},
        {"name": "max", "type": "double"},
        {
            "name": "withscores",
            "type": "pure-token",
            "token": "WITHSCORES",
            "since": "2.0.0",
            "flags": ["optional"],
        },
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
    ],
    "zrevrangebyscore": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "max", "type": "double"},
        {"name": "min", "type": "double"},
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
    ],
    "zrangebylex": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "min", "type": "string"},
        {"name": "max", "type": "string"},
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
    ],
    "zrevrangebylex": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "max", "type": "string"},
        {"name": "min", "type": "string"},
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
    ],
    "zremrangebyrank": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "start", "type": "integer"},
        {"name": "stop", "type": "integer"},
    ],
    "zremrangebyscore": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "min", "type": "double"},
        {"name": "max", "type": "double"},
    ],
    "zremrangebylex": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "min", "type": "string"},
        {"name": "max", "type": "string"},
    ],
    "zpopmin": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "count", "type": "integer", "flags": ["optional"]},
    ],
    "zpopmax": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "count", "type": "integer", "flags": ["optional"]},
    ],
    "zrandmember": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {
            "name": "options",
            "type": "block",
            "flags": ["optional"],
            "arguments": [
                {"name": "count", "type": "integer"},
                {
                    "name": "withscores",
                    "type": "pure-token",
                    "token": "WITHSCORES",
                    "flags": ["optional"],
                },
            ],
        },
    ],
    "zunion": [
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {
            "name": "weight",
            "type": "integer",
            "token": "WEIGHTS",
            "flags": ["optional", "multiple"],
        },
        {
            "name": "aggregate",
            "type": "oneof",
            "token": "AGGREGATE",
            "flags": ["optional"],
            "arguments": [
                {"name": "sum", "type": "pure-token", "token": "SUM"},
                {"name": "min", "type": "pure-token", "token": "MIN"},
                {"name": "max", "type": "pure-token", "token": "MAX"},
            ],
        },
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
    "zinter": [
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {
            "name": "weight",
            "type": "integer",
            "token": "WEIGHTS",
            "flags": ["optional", "multiple"],
        },
        {
            "name": "aggregate",
            "type": "oneof",
            "token": "AGGREGATE",
            "flags": ["optional"],
            "arguments": [
                {"name": "sum", "type": "pure-token", "token": "SUM"},
                {"name": "min", "type": "pure-token", "token": "MIN"},
                {"name": "max", "type": "pure-token", "token": "MAX"},
            ],
        },
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
    "zdiff": [
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "withscores", "type": "pure-token", "token": "WITHSCORES", "flags": ["optional"]},
    ],
    "zunionstore": [
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
        {
            "name": "weight",
            "type": "integer",
            "token": "WEIGHTS",
            "flags": ["optional", "multiple"],
        },
        {
            "name": "aggregate",
            "type": "oneof",
            "token": "AGGREGATE",
            "flags": ["optional"],
            "arguments": [
                {"name": "sum", "type": "pure-token", "token": "SUM"},
                {"name": "min", "type": "pure-token", "token": "MIN"},
                {"name": "max", "type": "pure-token", "token": "MAX"},
            ],
        },
    ],
    "zinterstore": [
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
        {
            "name": "weight",
            "type": "integer",
            "token": "WEIGHTS",
            "flags": ["optional", "multiple"],
        },
        {
            "name": "aggregate",
            "type": "oneof",
            "token": "AGGREGATE",
            "flags": ["optional"],
            "arguments": [
                {"name": "sum", "type": "pure-token", "token": "SUM"},
                {"name": "min", "type": "pure-token", "token": "MIN"},
                {"name": "max", "type": "pure-token", "token": "MAX"},
            ],
        },
    ],
    "zdiffstore": [
        {"name": "destination", "type": "key", "key_spec_index": 0},
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ],
    "zintercard": [
        {"name": "numkeys", "type": "integer"},
        {"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]},
        {"name": "limit", "type": "integer", "token": "LIMIT", "flags": ["optional"]},
    ],
    "zmpop": [
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
    "zscan": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "cursor", "type": "integer"},
        {"name": "pattern", "type": "pattern", "token": "MATCH", "flags": ["optional"]},
        {"name": "count", "type": "integer", "token": "COUNT", "flags": ["optional"]},
    ],
    "sort": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {
            "name": "pattern",
            "type": "pattern",
            "key_spec_index": 1,
            "token": "BY",
            "flags": ["optional"],
        },
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
        {
            "name": "pattern",
            "type": "pattern",
            "key_spec_index": 1,
            "token": "GET",
            "flags": ["optional", "multiple", "multiple_token"],
        },
        {
            "name": "order",
            "type": "oneof",
            "flags": ["optional"],
            "arguments": [
                {"name": "asc", "type": "pure-token", "token": "ASC"},
                {"name": "desc", "type": "pure-token", "token": "DESC"},
            ],
        },
        {"name": "sorting", "type": "pure-token", "token": "ALPHA", "flags": ["optional"]},
        {
            "name": "destination",
            "type": "key",
            "key_spec_index": 2,
            "token": "STORE",
            "flags": ["optional"],
        },
    ],
    "sort_ro": [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {
            "name": "pattern",
            "type": "pattern",
            "key_spec_index": 1,
            "token": "BY",
            "flags": ["optional"],
        },
        {
            "name": "offset_count",
            "type": "block",
            "token": "LIMIT",
            "flags": ["optional"],
            "arguments": [
                {"name": "offset", "type": "integer"},
                {"name": "count", "type": "integer"},
            ],
        },
        {
            "name": "pattern",
            "type": "pattern",
            "key_spec_index": 1,
            "token": "GET",
            "flags": ["optional", "multiple", "multiple_token"],
        },
        {
            "name": "order",
            "type": "oneof",
            "flags": ["optional"],
            "arguments": [
                {"name": "asc", "type": "pure-token", "token": "ASC"},
                {"name": "desc", "type": "pure-token", "token": "DESC"},
            ],
        },
        {"name": "sorting", "type": "pure-token", "token": "ALPHA", "flags": ["optional"]},
    ],
}

#: Command-level deprecation notes Redis 7.0 gives these commands.
SET_ZSET_DOC_DEPRECATIONS: dict[str, dict[str, Any]] = {
    "zrevrange": {
        "doc_flags": ("deprecated",),
        "deprecated_since": "6.2.0",
        "replaced_by": "`ZRANGE` with the `REV` argument",
    },
    "zrangebyscore": {
        "doc_flags": ("deprecated",),
        "deprecated_since": "6.2.0",
        "replaced_by": "`ZRANGE` with the `BYSCORE` argument",
    },
    "zrevrangebyscore": {
        "doc_flags": ("deprecated",),
        "deprecated_since": "6.2.0",
        "replaced_by": "`ZRANGE` with the `REV` and `BYSCORE` arguments",
    },
    "zrangebylex": {
        "doc_flags": ("deprecated",),
        "deprecated_since": "6.2.0",
        "replaced_by": "`ZRANGE` with the `BYLEX` argument",
    },
    "zrevrangebylex": {
        "doc_flags": ("deprecated",),
        "deprecated_since": "6.2.0",
        "replaced_by": "`ZRANGE` with the `REV` and `BYLEX` arguments",
    },
}
