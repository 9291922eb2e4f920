"""The environment running the guard: its interpreter, its package folders, its packages, and ``uv``.

A built environment is a ``uv venv`` whose ``site-packages`` holds a ``.pth`` file naming this environment's
package folders (``site.getsitepackages()``, ``sysconfig``'s purelib/platlib, the user site when it is on
``sys.path``). Python adds those folders *after* the environment's own ``site-packages``, so what the environment
installs shadows the running environment's copy, and everything else (torch above all) comes from the running
environment, whatever it is: the system interpreter, a virtualenv (with or without system site-packages), a
conda environment or a uv project's ``.venv``.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import site
import sys
import sysconfig
from pathlib import Path

OVERLAY_FILE = "_harness_running_environment.pth"


class EnvironmentBuildError(ValueError):
    """An environment that cannot be built, with the reason."""


def normalize(name: str) -> str:
    """A distribution name as the index compares them (``Foo_Bar.baz`` -> ``foo-bar-baz``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_folders() -> list[str]:
    """The running environment's package folders, in ``sys.path`` order (those not on ``sys.path`` last)."""
    candidates = list(site.getsitepackages()) if hasattr(site, "getsitepackages") else []
    paths = sysconfig.get_paths()
    candidates += [paths["purelib"], paths["platlib"]]
    if site.ENABLE_USER_SITE and site.getusersitepackages() in sys.path:
        candidates.append(site.getusersitepackages())
    # folders another .pth added (an environment built by the guard, run from inside another one)
    candidates += [p for p in sys.path if p and os.path.basename(os.path.normpath(p)) in ("site-packages", "dist-packages")]
    found: list[str] = []
    for folder in candidates:
        folder = os.path.realpath(folder)
        if os.path.isdir(folder) and folder not in found:
            found.append(folder)
    on_path = [os.path.realpath(p) for p in sys.path if p]
    return sorted(found, key=lambda f: on_path.index(f) if f in on_path else len(on_path))


def overlay_line(folders: list[str]) -> str:
    """The ``.pth`` line that adds ``folders`` with their own ``.pth`` files (editable installs, shims)."""
    return f"import site; list(map(site.addsitedir, {folders!r}))\n"  # one line: .pth runs lines starting "import"


def write_overlay(site_packages: Path, folders: list[str] | None = None) -> Path:
    """Make the environment whose ``site-packages`` this is see the running environment's packages, after its own."""
    target = Path(site_packages) / OVERLAY_FILE
    target.write_text(overlay_line(package_folders() if folders is None else folders), encoding="utf-8")
    return target


def running_packages() -> dict[str, str]:
    """``{normalized name: version}`` visible to the running interpreter, first on ``sys.path`` wins (local and
    editable installs left out: they are not on the index)."""
    packages: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if not name or normalize(name) in packages:
            continue
        direct = dist.read_text("direct_url.json")
        if direct and '"url": "file:' in direct:
            continue
        packages[normalize(name)] = dist.version
    return packages


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def interpreter() -> str:
    """The interpreter ``uv venv`` builds from: the running one (uv follows a venv's to its base itself)."""
    return sys.executable


def find_uv() -> str:
    """The ``uv`` executable: the ``uv`` package's (a harness dependency), on PATH, or next to this interpreter."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        pass
    candidates = [shutil.which("uv"), Path(sys.executable).with_name("uv"),
                  Path(sysconfig.get_path("scripts", f"{os.name}_user")) / "uv", Path.home() / ".local" / "bin" / "uv"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise EnvironmentBuildError("uv not found: `pip install uv` (a dependency of the harness; it is on PyPI)")


def scripts_python(venv: Path) -> Path:
    """A virtualenv's interpreter."""
    return Path(venv) / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
