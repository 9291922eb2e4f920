"""Cached environments over the running one, built with ``uv``: ``ensure_environment`` (any requirements, used by
the guard's version sets and by ``harness.conformance``) and ``build_environment`` (one guard version set).

An environment is a ``uv venv`` of the running interpreter's Python whose ``site-packages`` names the running
environment's package folders in a ``.pth`` file (``harness.guard.running``): it sees the running environment's
packages (torch above all, never downloaded) behind the ones it installs itself. Only what differs from the running
environment is installed, always with ``--no-deps``, never torch or its CUDA companions. Environments are cached
under ``cache_dir/envs/<name>-<key>``, the key covering the running interpreter, its package folders and packages,
and exactly what is installed; an environment that would install nothing is the running environment itself
(``Environment.identical``), and is not built.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.guard.running import (EnvironmentBuildError, find_uv, interpreter, normalize, package_folders,
                                   python_version, running_packages, scripts_python, write_overlay)

DEFAULT_CACHE_DIR = Path(os.environ.get("HARNESS_GUARD_CACHE", Path.home() / ".cache" / "harness-guard"))
# Never installed into an environment: torch stays the running environment's; these come with a PyPI torch.
NEVER_INSTALL = re.compile(r"^(torch|triton|nvidia-.*|cuda-.*)$")
REPORTED_PACKAGES = ("trl", "transformers", "tokenizers", "renderers", "verifiers", "datasets", "torch")
_EXACT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;,*]+)\s*$")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Environment:
    name: str
    python: Path  # the interpreter to run (sys.executable when ``identical``)
    installed: tuple[str, ...]  # ``name==version`` installed over the running environment (empty: identical)
    versions: dict[str, str | None]  # reported packages (and every requirement's) as that interpreter sees them
    path: Path | None = None  # the cached folder (None when identical)
    env: Mapping[str, str] = field(default_factory=dict)  # extra environment variables to run it with

    @property
    def identical(self) -> bool:
        """True when it installs nothing: the running environment, not rebuilt."""
        return not self.installed

    def subprocess_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default ``os.environ``) with this environment's extra variables."""
        return {**(os.environ if base is None else base), **self.env}


def parse_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a uv/pip-compile output (comments and other lines ignored)."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line.strip())
        if match:
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def packages_to_install(resolved: Mapping[str, str], base: Mapping[str, str]) -> list[str]:
    """``name==version`` for each resolved package the base environment lacks or has at another version."""
    return sorted(f"{name}=={version}" for name, version in resolved.items()
                  if base.get(name) != version and not NEVER_INSTALL.match(name))


def requirement_name(requirement: str) -> str:
    match = _NAME.match(requirement)
    if not match:
        raise EnvironmentBuildError(f"not a requirement: {requirement!r}")
    return normalize(match.group(1))


def installed_versions(python: Path | str, packages: Sequence[str], env: Mapping[str, str] | None = None) -> dict:
    """``{package: version or None}`` as ``python`` sees them, plus ``"torch location"`` (its folder)."""
    code = ("import importlib.metadata as m, json, sys\n"
            "out = {}\n"
            "for n in json.loads(sys.argv[1]):\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: out[n] = None\n"
            "try: out['torch location'] = str(m.distribution('torch').locate_file(''))\n"
            "except m.PackageNotFoundError: out['torch location'] = None\n"
            "print(json.dumps(out))\n")
    result = subprocess.run([str(python), "-c", code, json.dumps(list(packages))], capture_output=True, text=True,
                            env={**os.environ, **(env or {})})
    if result.returncode:
        raise EnvironmentBuildError(f"{python} cannot report its packages:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def _run(command: list[str], log: Path, env: Mapping[str, str]) -> None:
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("$ " + " ".join(command) + "\n")
        handle.flush()
        result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, text=True, env={**os.environ, **env})
    if result.returncode:
        tail = log.read_text(encoding="utf-8").splitlines()[-15:]
        raise EnvironmentBuildError(f"command failed ({result.returncode}): {' '.join(command)}\n" + "\n".join(tail))


def resolve(requirements: Sequence[str], *, resolve_with: Sequence[str] = (), upgrade: Sequence[str] | None = None,
            python: str | None = None, env: Mapping[str, str] | None = None, work: Path) -> dict[str, str]:
    """``{name: version}``: ``requirements`` resolved with ``resolve_with`` (``uv pip compile``), preferring the
    running environment's versions except for ``upgrade`` (default: the packages ``requirements`` name), which get
    the newest release allowed. ``requirements`` override what ``resolve_with`` says of the same packages (uv's
    ``--override``), so a set may name versions below the project's floors; torch is held at the running
    environment's version."""
    base = running_packages()
    work.mkdir(parents=True, exist_ok=True)
    (work / "requirements.in").write_text("\n".join([*resolve_with, *requirements]) + "\n")
    # torch held at the running version (its public part: ``2.13.0+cpu`` -> ``2.13.0``; only metadata is read)
    # and the packages ``requirements`` name at exactly what they say (a set may go below the harness's own floors)
    overrides = [f"{n}=={base[n].split('+')[0]}" for n in ("torch",) if n in base] + [r.strip() for r in requirements]
    (work / "overrides.txt").write_text("".join(f"{line}\n" for line in overrides))
    (work / "resolved.txt").write_text("".join(f"{n}=={v}\n" for n, v in sorted(base.items())))  # preferences
    upgrade = [requirement_name(r) for r in requirements] if upgrade is None else list(upgrade)
    command = [find_uv(), "pip", "compile", str(work / "requirements.in"), "-o", str(work / "resolved.txt"),
               "--override", str(work / "overrides.txt"), "--python", interpreter(), "--no-header", "--quiet"]
    command += [arg for name in upgrade for arg in ("--upgrade-package", name)]
    if python and python != python_version():
        command += ["--python-version", python]
    _run(command, work / "resolve.log", env or {})
    return parse_pins((work / "resolved.txt").read_text())


def _exact_pins(requirements: Sequence[str]) -> list[str]:
    """``--no-deps`` requirements as given, less those the running environment already has at that exact version."""
    base = running_packages()
    kept = []
    for requirement in requirements:
        match = _EXACT.match(requirement)
        if match and base.get(normalize(match.group(1))) == match.group(2):
            continue
        kept.append(requirement.strip())
    return kept


def ensure_environment(requirements: Sequence[str], *, name: str, no_deps: bool = False,
                       env: Mapping[str, str] | None = None, python: str | None = None,
                       resolve_with: Sequence[str] = (), upgrade: Sequence[str] | None = None,
                       report: Sequence[str] = REPORTED_PACKAGES, cache_dir: Path = DEFAULT_CACHE_DIR,
                       log=print) -> Environment:
    """The cached environment that adds ``requirements`` to the running environment (built on first use).

    - ``requirements``: requirement strings (``trl==1.14.2``, ``transformers``, ``axolotl==0.21.0``). Never torch,
      triton, nvidia-*, cuda-*: torch is always the running environment's.
    - ``no_deps=False``: resolved with ``resolve_with`` (e.g. the host project's dependencies) by ``uv pip
      compile``, keeping the running environment's versions where allowed, except the ``upgrade`` packages (default:
      those ``requirements`` name), which get the newest release allowed; what then differs is installed.
      ``no_deps=True``: ``requirements`` are installed as given with ``--no-deps`` (an exact pin the running
      environment already has is skipped).
    - ``env``: extra environment variables for the build (uv) and for running it (``Environment.env``).
    - ``python``: the Python version the wheels are chosen for (uv's ``--python-version``); the environment's
      interpreter is always the running interpreter's version, since it shares the running environment's compiled
      packages. None: the running interpreter's version.
    - ``report``: packages whose installed versions ``Environment.versions`` holds (each requirement's too).
    - ``cache_dir``: environments live in ``cache_dir/envs/<name>-<key>``; ``log``: progress lines.

    Returns an ``Environment``; ``identical`` (nothing to install) means ``python`` is ``sys.executable`` and nothing
    was built. Raises ``EnvironmentBuildError`` naming the failing command and the tail of its log.
    """
    env = dict(env or {})
    for requirement in requirements:
        if NEVER_INSTALL.match(requirement_name(requirement)):
            raise EnvironmentBuildError(f"{name}: {requirement}: torch stays the running environment's (never installed)")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80] or "env"
    cache_dir = Path(cache_dir)
    if no_deps:
        install = _exact_pins(requirements)
    else:
        resolved = resolve(requirements, resolve_with=resolve_with, upgrade=upgrade, python=python, env=env,
                           work=cache_dir / "resolve" / safe)
        install = packages_to_install(resolved, running_packages())
    report = list(dict.fromkeys([*report, *(requirement_name(r) for r in requirements)]))
    if not install:
        log(f"[{name}] resolves to the installed versions: the running environment, not rebuilt")
        return Environment(name, Path(sys.executable), (), _versions(sys.executable, report, env), None, env)
    key = hashlib.sha256(json.dumps([sys.version, interpreter(), package_folders(), sorted(running_packages().items()),
                                     install, no_deps, python, sorted(env.items())]).encode()).hexdigest()[:12]
    path = cache_dir / "envs" / f"{safe}-{key}"
    ready, venv = path / "harness-env.json", path / "venv"
    if not ready.is_file():
        _build(path, venv, install, python=python, env=env, name=name, log=log)
        ready.write_text(json.dumps({"name": name, "requirements": list(requirements), "installed": install}, indent=1))
    else:
        log(f"[{name}] cached environment {path}")
    environment = Environment(name, scripts_python(venv), tuple(install), _versions(scripts_python(venv), report, env),
                              path, env)
    return environment


def _versions(python: Path | str, report: Sequence[str], env: Mapping[str, str]) -> dict[str, str | None]:
    versions = installed_versions(python, report, env)
    location = versions.pop("torch location")
    if location is None and "torch" in running_packages():
        raise EnvironmentBuildError(f"{python} does not see the running environment's torch (its package folders: "
                                    f"{package_folders()})")
    if location and os.path.realpath(location) not in package_folders():
        raise EnvironmentBuildError(f"{python} has its own torch ({location}), not the running environment's")
    return versions


def _build(path: Path, venv: Path, install: list[str], *, python: str | None, env: Mapping[str, str], name: str,
           log) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    uv, build_log = find_uv(), path / "build.log"
    log(f"[{name}] building {path}: {' '.join(install)} (log: {build_log})")
    _run([uv, "venv", "--python", interpreter(), "--no-project", str(venv)], build_log, env)
    python_path = scripts_python(venv)
    site_packages = subprocess.run([str(python_path), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   capture_output=True, text=True, check=True).stdout.strip()
    write_overlay(Path(site_packages))
    command = [uv, "pip", "install", "--python", str(python_path), "--no-deps", *install]
    if python and python != python_version():
        command += ["--python-version", python]
    _run(command, build_log, env)


def harness_requirements(repo: Path | None = None) -> list[str]:
    """What a version set is resolved with: the harness's own dependencies and, for a host repository with a
    ``pyproject.toml``, its dependencies (the harness itself and torch left out: they come from here)."""
    import importlib.metadata

    import harness

    own = Path(harness.__file__).resolve().parents[1] / "pyproject.toml"
    requirements = _pyproject_dependencies(own) if own.is_file() else None
    if requirements is None:
        requirements = [r for r in importlib.metadata.requires("chat-mask-harness") or [] if "extra ==" not in r]
    if repo is not None and (Path(repo) / "pyproject.toml").is_file() and Path(repo).resolve() != own.parent:
        requirements += _pyproject_dependencies(Path(repo) / "pyproject.toml") or []
    return [r for r in dict.fromkeys(requirements) if requirement_name(r) not in ("chat-mask-harness", "torch")]


def _pyproject_dependencies(path: Path) -> list[str] | None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    with open(path, "rb") as handle:
        dependencies = tomllib.load(handle).get("project", {}).get("dependencies")
    return list(dependencies) if isinstance(dependencies, list) else None


def build_environment(version_set, repo: Path, cache_dir: Path = DEFAULT_CACHE_DIR, *, log=print) -> Environment:
    """The environment of one guard version set (``harness.guard.versions.VersionSet``): its requirements resolved
    with ``harness_requirements(repo)``; a set without requirements is the running environment."""
    if not version_set.requirements:
        return Environment(version_set.name, Path(sys.executable), (), _versions(sys.executable, REPORTED_PACKAGES, {}))
    return ensure_environment(version_set.requirements, name=version_set.name, resolve_with=harness_requirements(repo),
                              cache_dir=cache_dir, log=log)
