"""The EVAL script cache: compiled bodies by SHA1, as SCRIPT LOAD / EXISTS / FLUSH see it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ferrite_host.scripting.flags import ScriptFlags


def sha1_hex(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()


@dataclass
class CachedScript:
    sha: str
    body: bytes
    flags: ScriptFlags
    #: The compiled Lua function (belongs to the sandbox that compiled it).
    function: Any


class ScriptCache:
    def __init__(self) -> None:
        self._scripts: dict[str, CachedScript] = {}
        #: Bytes of script bodies held, for INFO's used_memory_scripts_eval.
        self.body_bytes = 0

    def get(self, sha: str) -> CachedScript | None:
        return self._scripts.get(sha.lower())

    def add(self, script: CachedScript) -> None:
        if script.sha not in self._scripts:
            self.body_bytes += len(script.body)
        self._scripts[script.sha] = script

    def __contains__(self, sha: str) -> bool:
        return sha.lower() in self._scripts

    def __len__(self) -> int:
        return len(self._scripts)

    def clear(self) -> None:
        self._scripts.clear()
        self.body_bytes = 0
