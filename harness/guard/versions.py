"""Version sets for the upgrade guard: parsed from the command line and from a small TOML file.

A set is a name and a list of requirement strings (``trl==1.14.2``). On the command line:
``--set "trl-1.14.2: trl==1.14.2 transformers==5.20.2"`` (the name is optional). In TOML::

    [[set]]
    name = "trl-1.14.2"
    requirements = ["trl==1.14.2", "transformers==5.20.2"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SETS_FILE = Path(__file__).with_name("default_sets.toml")

# Packages a set cannot vary: torch is always the running environment's (a CPU wheel, a cluster node's CUDA build);
# another torch from PyPI is a multi-GB CUDA build, and the guard never installs one.
FIXED_PACKAGES = ("torch",)


def _running_version(package: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(package).split("+")[0]
    except importlib.metadata.PackageNotFoundError:
        return None

RENDERERS_NOTE = (
    "renderers is not varied: the harness requires verifiers >= 0.4, and verifiers >= 0.4 pins renderers >= 0.1.12, "
    "so no older renderers can be installed beside it"
)
RENDERERS_FLOOR = (0, 1, 12)


class VersionSetError(ValueError):
    """A version set that cannot be built, with the reason."""


@dataclass(frozen=True)
class VersionSet:
    name: str
    requirements: tuple[str, ...]

    def pinned(self, package: str) -> str | None:
        """The requirement naming ``package`` (``transformers==5.23.0``), or None."""
        for requirement in self.requirements:
            if _name_of(requirement) == _normalize(package):
                return requirement
        return None


_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name_of(requirement: str) -> str:
    match = _NAME.match(requirement)
    if not match:
        raise VersionSetError(f"not a requirement: {requirement!r}")
    return _normalize(match.group(1))


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def validate(version_set: VersionSet) -> VersionSet:
    """Refuse what cannot be built: torch other than the base wheel, renderers below the pin. A set without
    requirements is the running environment as installed (the baseline)."""
    for requirement in version_set.requirements:
        name = _name_of(requirement)
        running = _running_version(name) if name in FIXED_PACKAGES else None
        if name in FIXED_PACKAGES and (running is None or f"=={running}" not in requirement.replace(" ", "")):
            raise VersionSetError(
                f"set {version_set.name!r}: {requirement}: {name} stays the running environment's "
                f"({running or 'none installed'}); the guard never installs it"
            )
        if name == "renderers":
            versions = re.findall(r"(==|<=|<|~=)\s*([0-9][0-9.]*)", requirement)
            if any(_release(v) < RENDERERS_FLOOR or (op == "<" and _release(v) <= RENDERERS_FLOOR) for op, v in versions):
                raise VersionSetError(f"set {version_set.name!r}: {requirement}: {RENDERERS_NOTE}")
    return version_set


def parse_set_spec(spec: str) -> VersionSet:
    """``"name: trl==1.14.2 transformers==5.20.2"`` (commas or spaces between requirements; name optional)."""
    name, colon, rest = spec.partition(":")
    if not colon or re.search(r"[=<>~!]", name):
        name, rest = "", spec
    requirements = tuple(part for part in re.split(r"[,\s]+", rest.strip()) if part)
    if not name.strip():
        name = "+".join(requirements)
    return validate(VersionSet(name.strip(), requirements))


def load_sets(path: str | Path) -> list[VersionSet]:
    """The ``[[set]]`` tables of a TOML file, in file order."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    tables = data.get("set")
    if not isinstance(tables, list) or not tables:
        raise VersionSetError(f"{path}: expected one or more [[set]] tables")
    sets = []
    for number, table in enumerate(tables):
        requirements = table.get("requirements")
        if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
            raise VersionSetError(f"{path}: set {number}: 'requirements' must be a list of strings")
        name = str(table.get("name") or "+".join(requirements))
        sets.append(validate(VersionSet(name, tuple(requirements))))
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        raise VersionSetError(f"{path}: set names repeat: {names}")
    return sets
