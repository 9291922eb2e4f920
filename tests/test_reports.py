"""The one report writer and the one shape of a job result."""

import json
from dataclasses import dataclass

from harness.reports import JobResult, plot_curves, write_json


@dataclass
class _Measured(JobResult):
    value: float

    def summary(self) -> dict:
        return {"value": self.value}


def test_a_job_result_without_a_verdict_is_a_measurement():
    result = _Measured(0.5)
    assert result.passed is None
    assert json.loads(result.to_json()) == {"value": 0.5}


def test_write_json_adds_the_job_and_a_timestamp(tmp_path):
    path = write_json(tmp_path / "reports", "job_a", {"value": 1, "path": tmp_path})
    written = json.loads(path.read_text())
    assert path.name == "job_a.json" and path.read_text().endswith("}\n")
    assert written["job"] == "job_a" and written["value"] == 1 and written["path"] == str(tmp_path)
    assert "written_at" in written


def test_plot_curves_writes_a_png(tmp_path):
    runs = [{"condition": "correct", "seed": 0, "reward": [0.1, 0.5], "loss": [1.0, 0.5]},
            {"condition": "random_reward", "seed": 0, "reward": [0.1, 0.1]}]
    assert plot_curves(tmp_path, "job_b", runs).stat().st_size > 1000
