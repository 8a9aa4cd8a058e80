"""Script flags: the `#!lua flags=...` shebang of EVAL scripts and `register_function`'s."""

from __future__ import annotations

from dataclasses import dataclass

from ferrite_host.core.errors import CommandError

#: Redis's script flags, in the order FUNCTION LIST shows them.
KNOWN_FLAGS = ("no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys")


@dataclass(frozen=True)
class ScriptFlags:
    """What a script declared. `shebang` is False for scripts without one (Redis's
    compatibility mode: writes are allowed, and flags are taken from the commands run)."""

    names: frozenset[str] = frozenset()
    shebang: bool = False

    @property
    def no_writes(self) -> bool:
        return "no-writes" in self.names

    @property
    def allow_oom(self) -> bool:
        return "allow-oom" in self.names

    @property
    def refused_over_maxmemory(self) -> bool:
        """A script with flags (or a function) that may write and did not declare allow-oom
        is refused at start over maxmemory; one without flags is checked per command."""
        return self.shebang and not self.no_writes and not self.allow_oom

    def ordered(self) -> list[str]:
        return [name for name in KNOWN_FLAGS if name in self.names]


NO_SHEBANG = ScriptFlags()


def parse_flag_list(names: list[str], error: str) -> frozenset[str]:
    for name in names:
        if name not in KNOWN_FLAGS:
            raise CommandError(error.format(name=name))
    return frozenset(names)


def split_shebang(code: bytes) -> tuple[ScriptFlags, bytes]:
    """The EVAL script's flags and the code Lua compiles (the shebang line left blank, so
    line numbers in errors still count it, as in Redis)."""
    if not code.startswith(b"#!"):
        return NO_SHEBANG, code
    end = code.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid script shebang")
    line = code[:end].decode("utf-8", "replace")
    words = line.split()
    if words[0] != "#!lua":
        raise CommandError(f"ERR Unexpected engine in script shebang: {words[0]}")
    names: list[str] = []
    for option in words[1:]:
        if not option.startswith("flags="):
            raise CommandError(f"ERR Unknown lua shebang option: {option}")
        names.extend(name for name in option[len("flags=") :].split(",") if name)
    flags = parse_flag_list(names, "ERR Unexpected flag in script shebang: {name}")
    return ScriptFlags(flags, shebang=True), code[end:]
