"""Isolated, cached environments for version sets, built with ``uv``.

An environment is a ``uv venv --system-site-packages`` over the interpreter running the guard, so torch and
everything the set does not change come from the base environment and are never downloaded again. uv resolves
the set's requirements together with the harness's own dependencies, preferring the base environment's versions
(they are written as the lock file uv starts from) and overriding torch to the base CPU wheel; then only the
packages whose resolved version differs from the base are installed into the environment (``--no-deps``, never
torch or its CUDA companions). Environments are cached under a key of the set, the base interpreter and the base
environment's packages.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.guard.versions import FIXED_PACKAGES, VersionSet, VersionSetError

DEFAULT_CACHE_DIR = Path(os.environ.get("HARNESS_GUARD_CACHE", Path.home() / ".cache" / "harness-guard"))
# Never installed into a set's environment: the base torch CPU wheel stays; these come with a PyPI torch.
NEVER_INSTALL = re.compile(r"^(torch|triton|nvidia-.*|cuda-.*)$")
REPORTED_PACKAGES = ("trl", "transformers", "tokenizers", "renderers", "verifiers", "datasets", "torch")


@dataclass(frozen=True)
class Environment:
    version_set: VersionSet
    path: Path
    versions: dict[str, str]  # the REPORTED_PACKAGES as installed there

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def base_packages() -> dict[str, str]:
    """{normalized name: version} of the environment running the guard (editable/local installs left out)."""
    packages = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        direct = dist.read_text("direct_url.json")
        if direct and '"url": "file:' in direct:
            continue  # the harness itself (editable) and other local installs
        packages[_normalize(name)] = dist.version
    return packages


def project_requirements(repo: Path) -> list[str]:
    """The harness's own dependencies (pyproject.toml), so a set is resolved together with what tests import."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    with open(repo / "pyproject.toml", "rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def find_uv() -> str:
    """The ``uv`` executable: on PATH, next to this interpreter, or in the user's scripts folder."""
    import sysconfig

    candidates = [shutil.which("uv"), Path(sys.executable).with_name("uv"),
                  Path(sysconfig.get_path("scripts", f"{os.name}_user")) / "uv", Path.home() / ".local" / "bin" / "uv"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise VersionSetError("uv not found: `pip install uv` (it is on PyPI)")


def environment_key(version_set: VersionSet, requirements: list[str], base: dict[str, str]) -> str:
    digest = hashlib.sha256(
        json.dumps([sys.version, sorted(version_set.requirements), sorted(requirements), sorted(base.items())]).encode()
    ).hexdigest()
    return digest[:12]


def _run(command: list[str], log: Path) -> None:
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("$ " + " ".join(command) + "\n")
        handle.flush()
        result = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, text=True)
    if result.returncode:
        tail = log.read_text(encoding="utf-8").splitlines()[-15:]
        raise VersionSetError(f"command failed ({result.returncode}): {' '.join(command)}\n" + "\n".join(tail))


def parse_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a uv/pip-compile output (comments and other lines ignored)."""
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)", line.strip())
        if match:
            pins[_normalize(match.group(1))] = match.group(2)
    return pins


def packages_to_install(resolved: dict[str, str], base: dict[str, str]) -> list[str]:
    """``name==version`` for each resolved package the base environment lacks or has at another version."""
    return sorted(
        f"{name}=={version}"
        for name, version in resolved.items()
        if base.get(name) != version and not NEVER_INSTALL.match(name)
    )


def installed_versions(python: Path) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json\n"
        f"names = {list(REPORTED_PACKAGES)!r}\n"
        "out = {}\n"
        "for n in names:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def build_environment(version_set: VersionSet, repo: Path, cache_dir: Path = DEFAULT_CACHE_DIR,
                      *, log=print) -> Environment:
    """The cached environment for ``version_set`` (built on first use)."""
    base = base_packages()
    requirements = project_requirements(repo)
    key = environment_key(version_set, requirements, base)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", version_set.name)
    path = Path(cache_dir) / "envs" / f"{safe}-{key}"
    ready = path / "harness-guard.json"
    if ready.is_file():
        env = Environment(version_set, path / "venv", json.loads(ready.read_text())["versions"])
        log(f"[{version_set.name}] cached environment {path}")
        return env
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    uv, build_log = find_uv(), path / "build.log"
    log(f"[{version_set.name}] building {path} (log: {build_log})")
    _run([uv, "venv", "--system-site-packages", "--python", sys.executable, str(path / "venv")], build_log)
    work = path / "resolve"
    work.mkdir()
    (work / "requirements.in").write_text("\n".join([*requirements, *version_set.requirements]) + "\n")
    (work / "overrides.txt").write_text("".join(f"{n}=={v}\n" for n, v in FIXED_PACKAGES.items()))
    # uv prefers the versions already in the output file: start from the base environment's.
    (work / "resolved.txt").write_text("".join(f"{n}=={v}\n" for n, v in sorted(base.items())))
    _run([uv, "pip", "compile", str(work / "requirements.in"), "-o", str(work / "resolved.txt"),
          "--override", str(work / "overrides.txt"), "--python", sys.executable, "--no-header", "--quiet"], build_log)
    install = packages_to_install(parse_pins((work / "resolved.txt").read_text()), base)
    python = path / "venv" / "bin" / "python"
    if install:
        _run([uv, "pip", "install", "--python", str(python), "--no-deps", *install], build_log)
    versions = installed_versions(python)
    if (versions.get("torch") or "").split("+")[0] != FIXED_PACKAGES["torch"]:
        raise VersionSetError(f"[{version_set.name}] torch is {versions.get('torch')}, not the base CPU wheel")
    env = Environment(version_set, path / "venv", versions)
    ready.write_text(json.dumps({"set": version_set.requirements, "installed": install, "versions": versions}, indent=1))
    log(f"[{version_set.name}] installed: {' '.join(install) or '(nothing: the base environment matches)'}")
    return env
