"""Building the bridge's C module against this interpreter (one build per Python version).

`pip install ferrite-host` builds it when a C compiler and the Python headers are present
(setup.py calls `build_bridge`); `ferrite bridge --build` builds it later. The result links
libpython, so the interpreter must be a shared-library build (Py_ENABLE_SHARED), as
Debian's python3 and pyenv's `--enable-shared` builds are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent / "src"
SOURCE = SOURCE_DIR / "ferrite_bridge.c"
#: Every C file of the bridge, compiled into the one module.
SOURCES = (SOURCE, SOURCE_DIR / "bridge_blocking.c", SOURCE_DIR / "bridge_command_info.c")
#: Where `locate` also looks: a build made by `ferrite bridge --build --output DIR`.
ENV_PATH = "FERRITE_BRIDGE"


class BridgeBuildError(RuntimeError):
    """The bridge cannot be built here; the message says what is missing and how to get it."""


def built_bridge_name() -> str:
    """`ferrite_bridge.cpython-311-x86_64-linux-gnu.so`: the bridge for this Python."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    return f"ferrite_bridge{suffix}"


def default_output() -> Path:
    """Next to this package's files (the source tree for an editable install)."""
    return Path(__file__).resolve().parent / built_bridge_name()


def locate() -> Path | None:
    """The built bridge for this Python: $FERRITE_BRIDGE, else the package's own build."""
    given = os.environ.get(ENV_PATH)
    if given and Path(given).is_file():
        return Path(given).resolve()
    built = default_output()
    return built if built.is_file() else None


def _compiler() -> str | None:
    configured = (sysconfig.get_config_var("CC") or "").split()
    for candidate in ([configured[0]] if configured else []) + ["cc", "gcc", "clang"]:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _libpython() -> tuple[str, str] | None:
    """(library directory, shared library file name) of this interpreter, or None."""
    soname = sysconfig.get_config_var("INSTSONAME") or ""
    if ".so" not in soname:
        return None
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for libdir in (
        sysconfig.get_config_var("LIBDIR") or "",
        f"/usr/lib/{multiarch}" if multiarch else "",
        "/usr/lib64",
        "/usr/lib",
    ):
        if libdir and (Path(libdir) / soname).is_file():
            return libdir, soname
    return None


def missing_prerequisites() -> str | None:
    """Why the bridge cannot be built here (with the fix), or None when it can."""
    include = Path(sysconfig.get_paths()["include"])
    if _compiler() is None:
        return "no C compiler found: install one (Debian: apt-get install gcc)"
    if not (include / "Python.h").is_file():
        return (
            f"the Python headers are missing ({include}/Python.h): install them "
            f"(Debian: apt-get install python3-dev)"
        )
    if _libpython() is None:
        return (
            "this Python has no shared libpython (it was built without --enable-shared); "
            "use a Python that has one (Debian's python3, or pyenv with "
            "PYTHON_CONFIGURE_OPTS=--enable-shared)"
        )
    return None


def compile_command(output: Path) -> list[str]:
    """The compiler invocation that builds the bridge at `output`."""
    compiler = _compiler()
    found = _libpython()
    if compiler is None or found is None:
        raise BridgeBuildError(missing_prerequisites() or "cannot build the bridge here")
    libdir, soname = found
    return [
        compiler,
        "-shared",
        "-fPIC",
        "-O2",
        "-Wall",
        f"-I{sysconfig.get_paths()['include']}",
        f"-I{SOURCE_DIR}",
        f'-DFERRITE_LIBPYTHON="{Path(libdir) / soname}"',
        f'-DFERRITE_DEFAULT_VENV="{sys.prefix}"',
        *(str(source) for source in SOURCES),
        "-o",
        str(output),
        str(Path(libdir) / soname),  # the shared libpython itself (no -dev symlink needed)
        f"-Wl,-rpath,{libdir}",
        "-ldl",
        "-lpthread",
    ]


def build_bridge(output: Path | None = None) -> Path:
    """Compile the bridge (to the package directory by default); BridgeBuildError says why
    it could not be built."""
    problem = missing_prerequisites()
    if problem is not None:
        raise BridgeBuildError(problem)
    target = Path(output) if output is not None else default_output()
    if target.is_dir():
        target = target / built_bridge_name()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".tmp")
    result = subprocess.run(compile_command(partial), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BridgeBuildError(f"the C compiler failed:\n{result.stderr.strip()}")
    partial.replace(target)  # atomic: a running redis-server keeps its mapped copy
    return target
