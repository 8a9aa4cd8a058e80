"""Lua scripting (EVAL, Functions) on lupa's Lua 5.1, sandboxed as Redis 7.0 does it."""

from __future__ import annotations

from ferrite_host.scripting.scripting import Scripting

__all__ = ["Scripting"]
