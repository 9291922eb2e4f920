"""Running pytest in a version set's environment and reading its JUnit XML into one outcome per test."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

# Cell values of the guard's table.
PASS, FAIL, XFAIL, XPASS, SKIP, ERROR, ABSENT = "pass", "FAIL", "xfail", "XPASS", "skip", "ERROR", "-"
GOLDEN_OUT_VAR = "HARNESS_GOLDEN_OUT"  # tests/test_golden.py also writes what it rendered here


def pytest_command(python: Path, *, marker: str | None, keyword: str | None, junit: Path,
                   extra: list[str]) -> list[str]:
    command = [str(python), "-m", "pytest", *(["-m", marker] if marker else []), "-p", "no:xdist",
               "-p", "no:cacheprovider", "-q", "-o", "junit_family=xunit2", f"--junitxml={junit}"]
    if keyword:
        command += ["-k", keyword]
    return command + list(extra)


def run_pytest(python: Path, repo: Path, out_dir: Path, *, marker: str | None = "cpu", keyword: str | None = None,
               extra: list[str] = (), timeout: float | None = None,
               env: dict[str, str] | None = None) -> tuple[int, Path]:
    """Run the repository's tests with ``python``; returns (exit code, junit path). Output goes to pytest.log."""
    out_dir.mkdir(parents=True, exist_ok=True)
    junit = out_dir / "junit.xml"
    if junit.exists():
        junit.unlink()
    env = dict(os.environ, **(env or {}))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    env[GOLDEN_OUT_VAR] = str(out_dir / "golden")
    command = pytest_command(python, marker=marker, keyword=keyword, junit=junit, extra=list(extra))
    with open(out_dir / "pytest.log", "w", encoding="utf-8") as log:
        try:
            code = subprocess.run(command, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            code = 124
    return code, junit


def parse_junit(path: Path) -> dict[str, str]:
    """``{test id: outcome}`` from pytest's JUnit XML (test id: ``tests/x.py::test_name[param]``)."""
    outcomes: dict[str, str] = {}
    if not Path(path).is_file():
        return outcomes
    for case in ET.parse(path).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        module, _, cls = _split_classname(classname)
        test_id = f"{module}::{cls + '::' if cls else ''}{name}"
        outcome = PASS
        for child in case:
            message = child.get("message", "") or ""
            if child.tag == "failure":
                outcome = XPASS if message.startswith("[XPASS(strict)]") else FAIL
            elif child.tag == "error":
                outcome = ERROR
            elif child.tag == "skipped":
                outcome = XFAIL if child.get("type") == "pytest.xfail" else SKIP
        outcomes[test_id] = outcome
    return outcomes


def _split_classname(classname: str) -> tuple[str, str, str]:
    """``tests.adapters.test_trl`` -> ``tests/adapters/test_trl.py``; a trailing ``.TestClass`` is kept apart."""
    parts = classname.split(".")
    cls = parts.pop() if parts and parts[-1][:1].isupper() else ""
    return "/".join(parts) + ".py", "", cls
