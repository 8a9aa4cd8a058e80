"""Which arguments the slow log and MONITOR may show: Redis hides secrets as `(redacted)`."""

from __future__ import annotations

REDACTED = b"(redacted)"


def logged_argv(name: str, argv: list[bytes]) -> list[bytes]:
    """`argv` with passwords replaced, for command `name` (a spec's full name)."""
    if name == "auth":
        return [argv[0], *(REDACTED for _ in argv[1:])]
    if name == "hello":
        return _redact_after(argv, b"auth", 2)
    if name == "migrate":
        shown = _redact_after(argv, b"auth", 1)
        return _redact_after(shown, b"auth2", 2)
    return argv


def _redact_after(argv: list[bytes], option: bytes, count: int) -> list[bytes]:
    shown = list(argv)
    for pos, arg in enumerate(argv):
        if arg.lower() == option:
            for secret in range(pos + 1, min(pos + 1 + count, len(argv))):
                shown[secret] = REDACTED
    return shown
