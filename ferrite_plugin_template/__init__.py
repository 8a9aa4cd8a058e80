"""The project template `ferrite new` renders (package data; see ferrite_host.cli.scaffold).

Files under `project/` ending in `.j2` are Jinja2 templates (the suffix is dropped when
rendered); other files are copied as they are. Path segments are templates too, so
`{{package}}/` becomes the generated module's import package.
"""

from pathlib import Path

#: Root of the files a new module project is rendered from.
TEMPLATE_ROOT = Path(__file__).parent / "project"
