"""Server settings: redis.conf files, `--name value` flags, CONFIG GET/SET.

One pydantic model holds every setting; its field names are Redis's directive names with
`-` turned into `_`. A bad value stops start-up with one line naming the setting.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ferrite_host.core import output_limits
from ferrite_host.keyspace.events import (
    format_notify_flags,
    normalize_notify_flags,
    parse_notify_flags,
)
from ferrite_host.protocol.parser import ProtocolError, split_inline
from ferrite_host.strconv import parse_int

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
#: The settings that are encoding thresholds: the same names as `EncodingLimits`' fields
#: (the keyspace's copy is kept in sync), parsed strictly as Redis parses integers.
ENCODING_LIMITS = (
    "list_max_listpack_size",
    "list_compress_depth",
    "hash_max_listpack_entries",
    "hash_max_listpack_value",
    "set_max_intset_entries",
    "zset_max_listpack_entries",
    "zset_max_listpack_value",
    "stream_node_max_bytes",
    "stream_node_max_entries",
)
_LONG_MAX = 2**63 - 1
#: Encoding thresholds Redis declares as memory values ("1kb" is accepted).
MEMORY_LIMITS = ("hash_max_listpack_value", "zset_max_listpack_value", "stream_node_max_bytes")

_UNITS = {"b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


class ConfigError(ValueError):
    """A setting with a bad value or an unknown name; the message is shown as it is."""


def parse_memory(value: Any) -> int:
    """`512mb`, `1gb`, `64k` or plain bytes, with Redis's units (k = 1000, kb = 1024)."""
    if isinstance(value, int):
        return value
    text = str(value).strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            number = text[: -len(unit)]
            if number.isdigit():
                return int(number) * _UNITS[unit]
            break
    if text.isdigit():
        return int(text)
    raise ValueError(f"argument must be a memory value, got {value!r}")


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "yes":
        return True
    if text == "no":
        return False
    raise ValueError(f"argument must be 'yes' or 'no', got {value!r}")


class Settings(BaseModel):
    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    #: 0: no TCP listener, as in Redis.
    port: int = Field(6379, ge=0, le=65535)
    #: Path of a unix socket to listen on as well ("" none), with `unixsocketperm`'s mode.
    unixsocket: str = ""
    unixsocketperm: int = Field(0, ge=0, le=0o777)
    #: TLS (Python's ssl module): a port of its own beside the plain one (0: none).
    tls_port: int = Field(0, ge=0, le=65535)
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_key_file_pass: str = ""
    tls_ca_cert_file: str = ""
    tls_ca_cert_dir: str = ""
    #: Whether TLS clients must show a certificate the CA signed ("optional": if they have one).
    tls_auth_clients: Literal["yes", "no", "optional"] = "yes"
    #: "" (TLSv1.2 and TLSv1.3) or some of TLSv1 TLSv1.1 TLSv1.2 TLSv1.3.
    tls_protocols: str = ""
    tls_ciphers: str = ""
    tls_prefer_server_ciphers: bool = False
    bind: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    protected_mode: bool = True
    requirepass: str = ""
    databases: int = Field(16, ge=1, le=1_000_000)
    maxclients: int = Field(10000, ge=1)
    timeout: int = Field(0, ge=0)
    tcp_keepalive: int = Field(300, ge=0)
    loglevel: Literal["debug", "verbose", "notice", "warning", "nothing"] = "notice"
    logfile: str = ""
    dir: str = "."
    dbfilename: str = "dump.rdb"
    save: str = "3600 1 300 100 60 10000"
    appendonly: bool = False
    appendfsync: Literal["always", "everysec", "no"] = "everysec"
    appendfilename: str = "appendonly.aof"
    aof_load_truncated: bool = True
    auto_aof_rewrite_percentage: int = Field(100, ge=0)
    auto_aof_rewrite_min_size: int = Field(64 * 1024 * 1024, ge=0)
    stop_writes_on_bgsave_error: bool = True
    rdb_key_save_delay: int = Field(0, ge=0)
    rdbcompression: bool = True
    #: Keep values of module types that are not loaded as opaque values (no: refuse to start).
    keep_unknown_module_values: bool = True
    proto_max_bulk_len: int = Field(512 * 1024 * 1024, ge=1024 * 1024)
    client_query_buffer_limit: int = Field(1024 * 1024 * 1024, ge=1024 * 1024)
    #: Per client class `<class> <hard> <soft> <soft-seconds>`, every class spelled out.
    client_output_buffer_limit: str = output_limits.DEFAULT
    #: Longest sparse HyperLogLog (header included) before PFADD/PFMERGE make it dense.
    hll_sparse_max_bytes: int = Field(3000, ge=0, le=2**63 - 1)
    hz: int = Field(10, ge=1, le=500)
    slowlog_log_slower_than: int = Field(10000, ge=-1, le=2**63 - 1)
    slowlog_max_len: int = Field(128, ge=0, le=2**63 - 1)
    latency_monitor_threshold: int = Field(0, ge=0, le=2**63 - 1)
    #: Hidden from CONFIG GET patterns, as in Redis (ask for it by name).
    watchdog_period: int = Field(0, ge=0, le=2**31 - 1)
    #: Seconds SIGTERM/SIGINT waits for a running command before exiting without saving.
    shutdown_timeout: int = Field(10, ge=0, le=2**31 - 1)
    acllog_max_len: int = Field(128, ge=0, le=2**63 - 1)
    #: The channels a new user (or selector, or `reset`) starts with.
    acl_pubsub_default: Literal["allchannels", "resetchannels"] = "resetchannels"
    #: The ACL file ACL LOAD / ACL SAVE use and start-up reads ("" for none).
    aclfile: str = ""
    #: `user <name> <rules...>` lines of the config file (refused together with aclfile).
    user: list[list[str]] = Field(default_factory=list)
    maxmemory: int = Field(0, ge=0)
    #: Listed in the order Redis names them in its CONFIG SET error.
    maxmemory_policy: Literal[
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "noeviction",
    ] = "noeviction"
    maxmemory_samples: int = Field(5, ge=1, le=_INT_MAX)
    maxmemory_eviction_tenacity: int = Field(10, ge=0, le=100)
    lfu_log_factor: int = Field(10, ge=0, le=_INT_MAX)
    lfu_decay_time: int = Field(1, ge=0, le=_INT_MAX)
    enable_module_command: Literal["yes", "no", "local"] = "local"
    enable_debug_command: Literal["yes", "no", "local"] = "local"
    loadmodule: list[list[str]] = Field(default_factory=list)
    #: `<module>.<name> value` directives (`--acme.limit 20`): module configs for load time.
    module_config: list[list[str]] = Field(default_factory=list)
    disable_module: list[str] = Field(default_factory=list)
    autoload_modules: bool = True
    # Encoding thresholds (OBJECT ENCODING); Redis's built-in defaults and ranges.
    list_max_listpack_size: int = Field(-2, ge=_INT_MIN, le=_INT_MAX)
    list_compress_depth: int = Field(0, ge=0, le=_INT_MAX)
    hash_max_listpack_entries: int = Field(512, ge=0, le=_LONG_MAX)
    hash_max_listpack_value: int = Field(64, ge=0, le=_LONG_MAX)
    set_max_intset_entries: int = Field(512, ge=0, le=_LONG_MAX)
    zset_max_listpack_entries: int = Field(128, ge=0, le=_LONG_MAX)
    zset_max_listpack_value: int = Field(64, ge=0, le=_LONG_MAX)
    stream_node_max_bytes: int = Field(4096, ge=0, le=_LONG_MAX)
    stream_node_max_entries: int = Field(100, ge=0, le=_LONG_MAX)
    #: Milliseconds a script may run before it counts as busy (SCRIPT KILL, -BUSY).
    busy_reply_threshold: int = Field(5000, ge=0)
    #: Seconds between the PINGs Redis sends its replicas; kept for CONFIG (SYNC feeds are
    #: sent no PINGs: they carry the propagation stream only).
    repl_ping_replica_period: int = Field(10, ge=1, le=_INT_MAX)
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    parser: Literal["auto", "hiredis", "python"] = "auto"
    #: Keyspace notification classes, every letter spelled out (CONFIG GET shows Redis's
    #: shorter spelling, see `render_value`).
    notify_keyspace_events: str = ""
    #: Absolute path of the file the settings were read from ("" when none): INFO shows it
    #: and CONFIG REWRITE writes to it.
    config_file: str = ""

    @field_validator(
        "protected_mode",
        "appendonly",
        "aof_load_truncated",
        "stop_writes_on_bgsave_error",
        "autoload_modules",
        "rdbcompression",
        "keep_unknown_module_values",
        "tls_prefer_server_ciphers",
        mode="before",
    )
    @classmethod
    def _yes_no(cls, value: Any) -> bool:
        return parse_bool(value)

    @field_validator(
        "proto_max_bulk_len",
        "client_query_buffer_limit",
        "maxmemory",
        "auto_aof_rewrite_min_size",
        "hll_sparse_max_bytes",
        "hash_max_listpack_value",
        "zset_max_listpack_value",
        "stream_node_max_bytes",
        mode="before",
    )
    @classmethod
    def _memory(cls, value: Any) -> int:
        return parse_memory(value)

    @field_validator("maxmemory_policy", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator(
        *(name for name in ENCODING_LIMITS if name not in MEMORY_LIMITS),
        "maxmemory_samples",
        "maxmemory_eviction_tenacity",
        "lfu_log_factor",
        "lfu_decay_time",
        mode="before",
    )
    @classmethod
    def _strict_int(cls, value: Any) -> int:
        """Integers as Redis's string2ll reads them: no sign but '-', no spaces, no '05'."""
        if isinstance(value, int):
            return value
        parsed = parse_int(str(value))
        if parsed is None:
            raise ValueError("argument couldn't be parsed into an integer")
        return parsed

    @field_validator("bind", mode="before")
    @classmethod
    def _bind(cls, value: Any) -> list[str]:
        return value.split() if isinstance(value, str) else list(value)

    @field_validator("notify_keyspace_events", mode="before")
    @classmethod
    def _notify_flags(cls, value: Any) -> str:
        return normalize_notify_flags(str(value))

    @field_validator("unixsocketperm", mode="before")
    @classmethod
    def _octal(cls, value: Any) -> int:
        """File permissions in octal, as Redis reads them (`700`, `0770`)."""
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not text or any(c not in "01234567" for c in text):
            raise ValueError("argument must be an octal number")
        return int(text, 8)

    @field_validator("tls_protocols", mode="before")
    @classmethod
    def _tls_protocols(cls, value: Any) -> str:
        words = str(value).split()
        known = {"tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"}
        for word in words:
            if word.lower() not in known:
                raise ValueError(f"Invalid tls-protocols specified: {word}")
        return " ".join(words)

    @field_validator("client_output_buffer_limit", mode="before")
    @classmethod
    def _output_limits(cls, value: Any) -> str:
        return output_limits.normalize(str(value))

    @field_validator("save", mode="before")
    @classmethod
    def _save(cls, value: Any) -> str:
        words = str(value).split()
        if len(words) % 2 or not all(w.isdigit() for w in words):
            raise ValueError('save takes pairs of <seconds> <changes>, e.g. "3600 1 300 100"')
        return " ".join(words)

    def save_rules(self) -> list[tuple[int, int]]:
        words = [int(w) for w in self.save.split()]
        return list(zip(words[::2], words[1::2], strict=True))


#: The settings the TLS listener's context is made from (CONFIG SET reconfigures it).
TLS_FIELDS = frozenset(
    {
        "tls_cert_file",
        "tls_key_file",
        "tls_key_file_pass",
        "tls_ca_cert_file",
        "tls_ca_cert_dir",
        "tls_auth_clients",
        "tls_protocols",
        "tls_ciphers",
        "tls_prefer_server_ciphers",
    }
)

#: Settings CONFIG SET may change while running (the rest need a restart).
MUTABLE = {
    "busy_reply_threshold",
    "repl_ping_replica_period",
    "requirepass",
    "maxclients",
    "timeout",
    "tcp_keepalive",
    "loglevel",
    "save",
    "appendonly",
    "appendfsync",
    "aof_load_truncated",
    "auto_aof_rewrite_percentage",
    "auto_aof_rewrite_min_size",
    "stop_writes_on_bgsave_error",
    "rdb_key_save_delay",
    "rdbcompression",
    "keep_unknown_module_values",
    "proto_max_bulk_len",
    "client_query_buffer_limit",
    "client_output_buffer_limit",
    *TLS_FIELDS,
    "hll_sparse_max_bytes",
    "hz",
    "slowlog_log_slower_than",
    "slowlog_max_len",
    "latency_monitor_threshold",
    "watchdog_period",
    "shutdown_timeout",
    "acllog_max_len",
    "acl_pubsub_default",
    "maxmemory",
    "maxmemory_policy",
    "maxmemory_samples",
    "maxmemory_eviction_tenacity",
    "lfu_log_factor",
    "lfu_decay_time",
    "dir",
    "dbfilename",
    "protected_mode",
    "appendfilename",
    "notify_keyspace_events",
    "list_max_listpack_size",
    "list_compress_depth",
    "hash_max_listpack_entries",
    "hash_max_listpack_value",
    "set_max_intset_entries",
    "zset_max_listpack_entries",
    "zset_max_listpack_value",
    "stream_node_max_bytes",
    "stream_node_max_entries",
}

#: Old names Redis 7.0 still accepts everywhere (config files, CONFIG GET/SET) for a setting.
ALIASES = {
    "list-max-ziplist-size": "list-max-listpack-size",
    "hash-max-ziplist-entries": "hash-max-listpack-entries",
    "hash-max-ziplist-value": "hash-max-listpack-value",
    "zset-max-ziplist-entries": "zset-max-listpack-entries",
    "zset-max-ziplist-value": "zset-max-listpack-value",
    "lua-time-limit": "busy-reply-threshold",
    "repl-ping-slave-period": "repl-ping-replica-period",
}

#: Settings that are not CONFIG parameters (start-up only, repeatable directives).
HIDDEN = {
    "user",
    "loadmodule",
    "module_config",
    "disable_module",
    "event_loop",
    "parser",
    "autoload_modules",
    "config_file",
}

#: Parameters CONFIG GET shows only when asked for by their exact name (Redis's HIDDEN_CONFIG).
UNLISTED = {"watchdog-period"}

#: Redis parameters Ferrite has no use for but tools read: CONFIG GET answers Redis's default.
STATIC_PARAMETERS = {
    "rdbchecksum": "yes",
    "lazyfree-lazy-eviction": "no",
    "lazyfree-lazy-expire": "no",
    "lazyfree-lazy-server-del": "no",
    "lazyfree-lazy-user-del": "no",
    "lazyfree-lazy-user-flush": "no",
    "replica-read-only": "yes",
    "slave-read-only": "yes",
    "cluster-enabled": "no",
    "aof-use-rdb-preamble": "yes",
    "appenddirname": "appendonlydir",
    "io-threads": "1",
    "maxmemory-clients": "0",
    "tcp-backlog": "511",
    "tls-replication": "no",
    "tls-cluster": "no",
    "tls-session-caching": "yes",
    "tls-session-cache-size": "20480",
    "tls-session-cache-timeout": "300",
    "tls-ciphersuites": "",
    "tls-dh-params-file": "",
    "tls-client-cert-file": "",
    "tls-client-key-file": "",
    "tls-client-key-file-pass": "",
    "daemonize": "no",
    "supervised": "no",
    "pidfile": "",
    "repl-diskless-sync": "yes",
    "min-replicas-to-write": "0",
    "activedefrag": "no",
    "jemalloc-bg-thread": "yes",
}


def directive_to_field(name: str) -> str:
    """The Settings field a directive names; an alias names its setting's field."""
    directive = name.strip().lower().replace("_", "-")
    return ALIASES.get(directive, directive).replace("-", "_")


def field_to_directive(name: str) -> str:
    return name.replace("_", "-")


def render_value(settings: Settings, field: str) -> str:
    """A setting's value as CONFIG GET shows it."""
    value = getattr(settings, field)
    if field == "notify_keyspace_events":
        return format_notify_flags(parse_notify_flags(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field == "unixsocketperm":
        return f"{value:o}"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def parameters(settings: Settings) -> dict[str, str]:
    """Every CONFIG parameter name with its current value."""
    values = dict(STATIC_PARAMETERS)
    for field in Settings.model_fields:
        if field not in HIDDEN:
            values[field_to_directive(field)] = render_value(settings, field)
    for alias, name in ALIASES.items():
        values[alias] = values[name]
    return values


def apply_directives(
    base: dict[str, Any], directives: Iterable[tuple[str, list[str]]], source: str
) -> dict[str, Any]:
    """Fold (name, args) directives into raw values; repeatable ones accumulate."""
    values = dict(base)
    for name, args in directives:
        field = directive_to_field(name)
        if "." in name and field not in Settings.model_fields:
            if len(args) != 1:
                raise ConfigError(f"{source}: module config '{name}' takes exactly one value")
            values.setdefault("module_config", []).append([name, args[0]])
            continue
        if field not in Settings.model_fields or field == "config_file":
            if field_to_directive(field) in STATIC_PARAMETERS:
                continue
            raise ConfigError(f"{source}: unknown setting '{name}'. Run 'ferrite serve --help'.")
        if field == "loadmodule":
            if not args:
                raise ConfigError(f"{source}: 'loadmodule' needs a module name")
            values.setdefault("loadmodule", []).append(list(args))
        elif field == "user":
            if not args:
                raise ConfigError(f"{source}: 'user' needs a user name")
            values.setdefault("user", []).append(list(args))
        elif field == "disable_module":
            values.setdefault("disable_module", []).extend(args)
        elif field == "save" and args in ([], [""]):
            values["save"] = ""  # `save ""` turns snapshots off, whatever came before
            values["_save_seen"] = True
        elif field == "save" and values.get("_save_seen"):
            values["save"] = f"{values['save']} {' '.join(args)}".strip()
        elif field == "save":
            values["save"] = " ".join(args)
            values["_save_seen"] = True
        elif field == "bind":
            values["bind"] = list(args)
        elif field == "client_output_buffer_limit":  # each line names the classes it sets
            earlier = values.get(field, "")
            values[field] = f"{earlier} {' '.join(args)}".strip()
        else:
            if len(args) != 1:
                raise ConfigError(f"{source}: '{name}' takes one value, got {len(args)}")
            values[field] = args[0]
    return values


def read_config_file(path: str | Path) -> list[tuple[str, list[str]]]:
    """Directives of a redis.conf-style file: `name value...` lines, `#` comments."""
    directives = []
    text = Path(path).read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = [w.decode("utf-8") for w in split_inline(line.encode("utf-8"))]
        except ProtocolError:
            raise ConfigError(f"{path}:{number}: unbalanced quotes in {raw!r}") from None
        directives.append((words[0], words[1:]))
    return directives


def build_settings(
    config_file: str | None = None, overrides: Iterable[tuple[str, list[str]]] = ()
) -> Settings:
    """Settings from an optional file, then command-line overrides, validated once."""
    values: dict[str, Any] = {}
    if config_file:
        try:
            values = apply_directives(values, read_config_file(config_file), config_file)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {config_file}: {exc.strerror}") from None
    values = apply_directives(values, overrides, "command line")
    values.pop("_save_seen", None)
    if config_file:
        values["config_file"] = str(Path(config_file).resolve())
    return validated(values)


def validated(values: dict[str, Any]) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """One line naming the first bad setting and what was wrong with it."""
    error = exc.errors()[0]
    field = field_to_directive(str(error["loc"][0])) if error["loc"] else "?"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"invalid value for '{field}': {message} (got {error.get('input')!r})"


def quote(value: str) -> str:
    return shlex.quote(value)


# -- CONFIG SET / CONFIG REWRITE --------------------------------------------------------------


class ConfigSetError(Exception):
    """CONFIG SET refused; `reply` is the whole error text Redis would send."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def _failed(argument: str, reason: str) -> ConfigSetError:
    return ConfigSetError(
        f"ERR CONFIG SET failed (possibly related to argument '{argument}') - {reason}"
    )


def set_parameters(settings: Settings, pairs: list[tuple[str, str]]) -> set[str]:
    """Apply CONFIG SET name/value pairs all or none; returns the fields that changed.

    Names are matched case-insensitively and errors quote the name as the client sent it,
    with Redis's wording, so tools that parse them keep working.
    """
    updates: dict[str, str] = {}
    given: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in pairs:
        field = directive_to_field(name)
        known = field in Settings.model_fields and field not in HIDDEN
        if not known and field_to_directive(field) not in STATIC_PARAMETERS:
            raise ConfigSetError(
                f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )
        if field not in MUTABLE:
            raise _failed(name, "can't set immutable config")
        if name.lower() in seen:  # a setting and its alias may both appear: the last wins
            raise _failed(name, "duplicate parameter")
        seen.add(name.lower())
        if field == "client_output_buffer_limit":  # classes not named keep their limits
            limits = settings.client_output_buffer_limit
            value = f"{limits} {value}" if value else limits
        updates[field] = value
        given[field] = name
    if "dir" in updates and not Path(updates["dir"]).is_dir():
        raise _failed(given["dir"], "No such file or directory")
    current = settings.model_dump()
    try:
        candidate = Settings(**{**current, **updates})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else next(iter(given))
        argument = given.get(field, field_to_directive(field))
        raise _failed(argument, _redis_reason(field, error)) from None
    changed = {field for field in updates if getattr(candidate, field) != current[field]}
    for field in changed:
        setattr(settings, field, getattr(candidate, field))
    return changed


def _redis_reason(field: str, error: Any) -> str:
    """Redis's wording for why a value was refused."""
    kind = error.get("type", "")
    info = Settings.model_fields[field]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "argument couldn't be parsed into an integer"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(info.metadata)
        return f"argument must be between {low} and {high} inclusive"
    if kind == "literal_error":
        choices = getattr(info.annotation, "__args__", ())
        return "argument(s) must be one of the following: " + ", ".join(str(c) for c in choices)
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return message.split(", got ")[0]


def _bounds(metadata: list[Any]) -> tuple[int, int]:
    low, high = -(2**63), 2**63 - 1
    for item in metadata:
        ge, le = getattr(item, "ge", None), getattr(item, "le", None)
        if ge is not None:
            low = int(ge)
        if le is not None:
            high = int(le)
    return low, high


def _quote_config_value(value: str) -> str:
    """A value as redis.conf spells it: bare when it is one plain word, else double-quoted."""
    if value and not any(c in value for c in " \t\"'\\#\r\n"):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def config_line(settings: Settings, field: str) -> str:
    """The redis.conf line for one setting's current value."""
    name = field_to_directive(field)
    if field in ("bind", "save"):
        words = render_value(settings, field)
        return f"{name} {words}" if words else f'{name} ""'
    return f"{name} {_quote_config_value(render_value(settings, field))}"


def rewrite_config_file(settings: Settings, user_lines: Iterable[str] = ()) -> None:
    """CONFIG REWRITE: update the settings' lines in the config file, keep everything else.

    A setting already in the file gets its current value on its first line (later
    duplicates go); a setting changed from its default and absent from the file is appended.
    `user` lines are replaced by `user_lines` (the ACL users now; none with an aclfile, as
    Redis keeps users there). The file is replaced atomically, as Redis does.
    """
    path = Path(settings.config_file)
    lines = path.read_text(encoding="utf-8").splitlines()
    defaults = Settings()
    written: set[str] = set()
    output: list[str] = []
    for raw in lines:
        stripped = raw.strip()
        words = stripped.split(None, 1)
        field = directive_to_field(words[0]) if words and not stripped.startswith("#") else ""
        if field == "user":
            if field not in written:
                written.add(field)
                output += list(user_lines)
        elif field not in Settings.model_fields or field in HIDDEN:
            output.append(raw)
        elif field not in written:
            written.add(field)
            output.append(config_line(settings, field))
    appended = [
        config_line(settings, field)
        for field in Settings.model_fields
        if field not in HIDDEN
        and field not in written
        and getattr(settings, field) != getattr(defaults, field)
    ]
    if "user" not in written:
        appended += list(user_lines)
    if appended:
        output += ["# Generated by CONFIG REWRITE", *appended]
    temporary = path.with_name(f".{path.name}.rewrite")
    temporary.write_text("\n".join(output) + "\n", encoding="utf-8")
    os.replace(temporary, path)
