"""What the built-in declarations say, by full command name, for checks over every command.

The declarations themselves (`@family.command(..., arguments=..., deprecated_since=...)`)
are the only source; these are read-only views of them, e.g. to check that every built-in
transcribed its COMMAND DOCS arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ferrite_host.commands import builtin_specs
from ferrite_host.core.spec import CommandSpec


def _every_spec() -> Iterator[CommandSpec]:
    for spec in builtin_specs():
        yield spec
        yield from spec.subcommands.values()


#: Full name -> COMMAND DOCS arguments, for the built-ins that declare them (`[]` included).
ARGUMENTS: dict[str, list[dict[str, Any]]] = {
    spec.full_name: spec.doc_arguments for spec in _every_spec() if spec.doc_arguments is not None
}

#: Full name -> the COMMAND DOCS deprecation fields of the deprecated built-ins.
DEPRECATIONS: dict[str, dict[str, Any]] = {
    spec.full_name: {
        "doc_flags": spec.doc_flags,
        "deprecated_since": spec.deprecated_since,
        "replaced_by": spec.replaced_by,
    }
    for spec in _every_spec()
    if spec.doc_flags or spec.deprecated_since
}
