"""Nightly: ``--ray`` on a local Ray instance gives the verdicts of one process and of ``-j 2``. Ray is an optional
extra (``pip install -e .[ray]``); the test brings it in a cached environment over the running one (the harness's
own ``ensure_environment``), so it runs on a fresh machine too."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.audit.rows import clean, planted

TEMPLATE = "qwen2.5-instruct"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_ray_and_two_processes_give_the_verdicts_of_one(tmp_path, load_tokenizer_or_skip):
    from harness.guard.environments import ensure_environment, harness_requirements

    load_tokenizer_or_skip(TEMPLATE)
    environment = ensure_environment(["ray[data]"], name="audit-ray", resolve_with=harness_requirements(),
                                     log=lambda line: None)
    data = tmp_path / "d.jsonl"
    records = [clean(0), *planted().values(), clean(1), {"text": "x"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    summaries = {}
    env = environment.subprocess_env({**os.environ, "PYTHONPATH": str(ROOT)})
    for name, extra in (("one", []), ("two", ["-j", "2"]), ("ray", ["--ray", "-j", "2"])):
        out = tmp_path / name
        result = subprocess.run([str(environment.python), "-m", "harness", "audit", str(data), "--tokenizer", TEMPLATE,
                                 "--pipeline", "tests.report_maskers:correct", "--max-length", "400", "--quiet",
                                 "--no-examples", "--out", str(out), *extra], capture_output=True, text=True, env=env,
                                cwd=ROOT, timeout=900)
        assert result.returncode == 1, result.stdout + result.stderr[-3000:]
        summary = json.loads((out / "summary.json").read_text())
        rows = [json.loads(line) for line in (out / "failing_rows.jsonl").read_text().splitlines()]
        summaries[name] = (summary["classes"], summary["unjudged"], [(r["id"], r["classes"]) for r in rows])
    assert summaries["two"] == summaries["one"] and summaries["ray"] == summaries["one"]
    assert len(summaries["one"][2]) == 5  # the four planted rows and the one that cannot be converted
