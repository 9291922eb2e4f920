"""Nightly: the README's set-up in a fresh ``python -m venv``, then ``python -m harness guard`` builds one real
version set over that virtualenv (its torch, never downloaded) and prints the table (issue 17)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SPAN_TEST = "tests/adapters/test_transformers.py::test_assistant_mask_stops_at_a_span_that_ends_in_a_space"


def _run(command: list, log: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env, timeout=timeout)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(map(str, command))}\n{result.stdout}\n{result.stderr}\n")
    return result


@pytest.mark.slow
def test_the_guard_builds_a_set_from_a_fresh_virtualenv(tmp_path):
    venv, log = tmp_path / "venv", tmp_path / "setup.log"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    for step in (["-m", "pip", "install", "torch==2.13.0"], ["-m", "pip", "install", "-e", REPO]):  # the README's
        result = _run([python, *step], log, env, timeout=1500)
        assert result.returncode == 0, f"{' '.join(map(str, step))} failed:\n{result.stderr[-3000:]}"
    guard = _run([python, "-m", "harness", "guard", "--repo", REPO, "--only", "installed", "--only", "transformers-5.23",
                  "-k", "span_that_ends_in_a_space", "--cache-dir", tmp_path / "cache", "--out", tmp_path / "out"],
                 log, {**env, "PYTHONPATH": ""}, timeout=1500)
    out = guard.stdout
    assert guard.returncode == 1, f"expected 1 (outcomes differ); got {guard.returncode}\n{out}\n{guard.stderr[-3000:]}"
    assert re.search(r"\[transformers-5\.23\] resolved to trl==\S+ transformers==5\.23\.0 \(installs .*transformers==5"
                     r"\.23\.0", out), out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["transformers"][1] == "5.23.0" and rows["torch"][0] == rows["torch"][1], out  # the venv's torch
    assert rows[SPAN_TEST] == ["pass", "FAIL"], out
    (overlay,) = (tmp_path / "cache" / "envs").glob("transformers-5.23-*/venv/lib/python*/site-packages/"
                                                      "_harness_running_environment.pth")
    venv_site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip()
    assert os.path.realpath(venv_site) in overlay.read_text(), "the set's environment must see the virtualenv"


@pytest.mark.slow
def test_the_guard_runs_a_host_repositorys_tests(tmp_path):
    """``--repo``: the example project's own tests (all of them: a host repository is not filtered by -m cpu)."""
    result = subprocess.run([sys.executable, "-m", "harness", "guard", "--repo", REPO / "tests" / "example_project",
                             "--only", "installed", "--all-rows", "--out", tmp_path], capture_output=True, text=True,
                            cwd=REPO, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines() if "::" in line}
    assert rows == {
        "tests/example_project/test_my_masking.py::test_masker_that_forgets_the_end_of_turn": "FAIL",
        "tests/example_project/test_my_masking.py::test_my_masker_trains_exactly_the_assistant_tokens": "pass",
        "tests/example_project/test_my_masking.py::test_my_private_template": "skip",
    }, result.stdout
