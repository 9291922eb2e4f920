"""harness.guard.environments: real environments over the running one, built offline from hand-made wheels.

Each environment must see the running environment's packages (torch above all) behind the ones it installs,
whether the guard runs from the system interpreter, a virtualenv or a uv-made environment (a uv project's .venv).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.guard import environments
from harness.guard.running import EnvironmentBuildError, find_uv, package_folders
from tests.guard.wheels import make_wheel

OFFLINE = {"UV_OFFLINE": "1"}  # nothing here needs the index
PROBE = ("import importlib.util, importlib.metadata as m, json\n"
         "spec = importlib.util.find_spec('torch')\n"
         "out = {'torch': spec.origin if spec else None}\n"
         "for name in ('iniconfig', 'venvonly'):\n"
         "    try: out[name] = m.version(name)\n"
         "    except m.PackageNotFoundError: out[name] = None\n"
         "try:\n"
         "    import iniconfig; out['shadow'] = getattr(iniconfig, 'SHADOW', False)\n"
         "except ImportError: out['shadow'] = None\n"
         "print(json.dumps(out))\n")


def probe(python) -> dict:
    return json.loads(subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, check=True).stdout)


def test_installed_packages_shadow_the_running_environment_and_torch_is_shared(tmp_path):
    wheel = make_wheel(tmp_path, "iniconfig", "99.0", "SHADOW = True\n")
    lines = []
    env = environments.ensure_environment([f"iniconfig @ {wheel.as_uri()}"], name="shadow", no_deps=True,
                                          env=OFFLINE, cache_dir=tmp_path / "cache", log=lines.append)
    assert not env.identical and env.env == OFFLINE and env.subprocess_env({})["UV_OFFLINE"] == "1"
    seen = probe(env.python)
    assert seen["iniconfig"] == "99.0" and seen["shadow"] is True  # its own copy first
    assert os.path.realpath(Path(seen["torch"]).parents[1]) in package_folders()  # the running environment's torch
    assert env.versions["iniconfig"] == "99.0" and env.versions["torch"] == importlib.metadata.version("torch")
    again = environments.ensure_environment([f"iniconfig @ {wheel.as_uri()}"], name="shadow", no_deps=True,
                                            env=OFFLINE, cache_dir=tmp_path / "cache", log=lines.append)
    assert again.python == env.python and any("cached environment" in line for line in lines)


def test_a_requirement_the_running_environment_meets_builds_nothing(tmp_path):
    version = importlib.metadata.version("iniconfig")
    lines = []
    env = environments.ensure_environment([f"iniconfig=={version}"], name="same", no_deps=True,
                                          cache_dir=tmp_path, log=lines.append)
    assert env.identical and env.python == Path(sys.executable) and env.path is None
    assert "not rebuilt" in lines[0] and not (tmp_path / "envs").exists()


def test_torch_is_never_installed(tmp_path):
    for requirement in ("torch==2.13.0", "nvidia-cublas-cu12", "triton"):
        with pytest.raises(EnvironmentBuildError, match="torch stays the running environment's"):
            environments.ensure_environment([requirement], name="x", no_deps=True, cache_dir=tmp_path)


@pytest.mark.parametrize("maker", ["venv", "uv", "guard"])
def test_built_from_a_virtualenv_it_sees_that_virtualenv(tmp_path, maker):
    """The issue-17 bug: an environment built from a virtualenv saw the base interpreter's packages only. Also from
    inside an environment the guard built (its packages reach it through a .pth file, not site.getsitepackages).

    The outer virtualenv is made from the running interpreter: with ``--system-site-packages`` it sees its base
    interpreter's packages, which hold torch on a long-used machine and none in a fresh ``python -m venv`` (torch
    only inside it). So torch is judged against what the outer environment itself sees, wherever torch lives."""
    outer = tmp_path / "outer"
    venvonly = make_wheel(tmp_path, "venvonly", "1.0")
    if maker == "guard":
        outer_python = environments.ensure_environment([f"venvonly @ {venvonly.as_uri()}"], name="outer", no_deps=True,
                                                       env=OFFLINE, cache_dir=tmp_path / "outer-cache",
                                                       log=lambda line: None).python
    else:
        if maker == "venv":
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(outer)],
                           check=True)
        else:
            subprocess.run([find_uv(), "venv", "--system-site-packages", "--python", sys.executable, "--no-project",
                            str(outer)], check=True, capture_output=True)
        outer_python = outer / "bin" / "python"
        subprocess.run([find_uv(), "pip", "install", "--offline", "--python", str(outer_python), str(venvonly)],
                       check=True, capture_output=True)
    wheel = make_wheel(tmp_path, "iniconfig", "99.0", "SHADOW = True\n")
    code = ("import sys, json; from pathlib import Path; from harness.guard.environments import ensure_environment\n"
            f"env = ensure_environment(['iniconfig @ {wheel.as_uri()}'], name='inner', no_deps=True, "
            f"env={{'UV_OFFLINE': '1'}}, cache_dir=Path({str(tmp_path / 'cache')!r}), log=lambda line: None)\n"
            "print(env.python)\n")
    repo = Path(__file__).resolve().parents[2]
    built = subprocess.run([str(outer_python), "-c", code], capture_output=True, text=True, cwd=repo,
                           env={**os.environ, "PYTHONPATH": str(repo)})
    assert built.returncode == 0, built.stderr
    seen, outer_seen = probe(built.stdout.strip()), probe(outer_python)
    assert seen["venvonly"] == "1.0", "the environment does not see the virtualenv it was built from"
    assert seen["iniconfig"] == "99.0" and seen["shadow"] is True
    assert seen["torch"] == outer_seen["torch"], "the environment's torch is not the one the virtualenv sees"
    if maker == "guard":  # built over the running environment, which has torch
        assert seen["torch"] and os.path.realpath(Path(seen["torch"]).parents[1]) in package_folders()


def test_a_set_overrides_the_projects_own_bounds_and_torch_stays(tmp_path, monkeypatch):
    """A set below the project's floors resolves (uv --override), with torch held at the running version."""
    seen = {}

    def fake_run(command, log, env):
        seen["command"] = command
        seen["overrides"] = Path(command[command.index("--override") + 1]).read_text().split()
        Path(command[command.index("-o") + 1]).write_text("transformers==5.23.0\ntrl==1.16.0\n")

    monkeypatch.setattr(environments, "_run", fake_run)
    resolved = environments.resolve(["transformers==5.23.0"], resolve_with=["transformers>=5.24", "trl>=1.14.2"],
                                    work=tmp_path)
    assert resolved == {"transformers": "5.23.0", "trl": "1.16.0"}
    torch = importlib.metadata.version("torch").split("+")[0]
    assert seen["overrides"] == [f"torch=={torch}", "transformers==5.23.0"]
    assert seen["command"][seen["command"].index("--upgrade-package") + 1] == "transformers"
