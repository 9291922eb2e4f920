"""Installing the harness leaves the torch an environment already has (issue 23): a GPU node's CUDA build or a
training repository's own torch must not be swapped for another release. pyproject.toml declares lower bounds only;
the nightly test asks pip itself, in an environment holding another torch release."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.guard.wheels import make_wheel

REPO = Path(__file__).resolve().parents[1]
OTHER_TORCH = "2.11.0"  # not the release CI installs (2.13.0), and within the harness's torch>=2.6


def _dependencies() -> list[str]:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]


def test_no_dependency_is_pinned_to_one_release():
    pinned = [d for d in _dependencies() if re.search(r"===?|~=|<", d.split(";")[0])]
    assert not pinned, f"pyproject.toml pins {pinned}: an install would replace what the user's environment holds"
    (torch,) = [d for d in _dependencies() if re.match(r"torch\b", d)]
    assert re.fullmatch(r"torch>=[0-9.]+", torch.replace(" ", "")), torch


@pytest.mark.slow
def test_installing_the_project_keeps_the_environments_torch(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    fake = make_wheel(tmp_path, "torch", OTHER_TORCH, "__version__ = '%s'\n" % OTHER_TORCH)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(fake)], check=True,
                   env=env)
    report = tmp_path / "report.json"
    result = subprocess.run([str(python), "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report),
                             "-e", str(REPO)], capture_output=True, text=True, env=env, timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    would_install = {item["metadata"]["name"].lower(): item["metadata"]["version"]
                     for item in json.loads(report.read_text())["install"]}
    assert "torch" not in would_install, (f"pip would replace torch {OTHER_TORCH} with torch "
                                          f"{would_install.get('torch')}")
    assert "chat-mask-harness" in would_install  # the dry run did resolve the project
    assert not [name for name in would_install if name.startswith("nvidia-")], sorted(would_install)
