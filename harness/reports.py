"""Job results and the report dir: the one shape of a learning or evaluation job's result (``JobResult``), and the
one writer of its files under the report dir (the ``harness_report_dir`` fixture, ``--harness-report-dir``):
``<job>.json`` (``write_json``) and, for learning jobs, ``<job>.png`` (``plot_curves``).

A job result says three things, whatever the job:

* ``passed``: the job's verdict (``True``/``False``), or ``None`` for a measurement that has none (an accuracy, a
  throughput, a token frequency);
* ``summary()``: what the job found, as a JSON-ready ``dict`` (what ``write_json`` writes);
* ``to_json()``: that summary as JSON text.

matplotlib and torch are imported only inside the functions that need them.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path


class JobResult:
    """Base of every job result: subclasses define ``summary()``, and ``passed`` when the job has a verdict."""

    @property
    def passed(self) -> bool | None:
        """The job's verdict; ``None``: a measurement without one."""
        return None

    def summary(self) -> dict:
        """What the job found, JSON-ready."""
        raise NotImplementedError

    def to_json(self) -> str:
        return _dumps(self.summary())


def _dumps(summary: dict) -> str:
    return json.dumps(summary, indent=2, sort_keys=True, default=str)


def write_json(report_dir: str | Path, job: str, summary: dict) -> Path:
    """Write ``summary`` (plus the job name and a UTC timestamp) to ``report_dir/<job>.json``."""
    path = Path(report_dir) / f"{job}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"job": job, "written_at": _dt.datetime.now(_dt.timezone.utc).isoformat(), **summary}
    path.write_text(_dumps(payload) + "\n", encoding="utf-8")
    return path


def plot_curves(report_dir: str | Path, job: str, runs: list[dict]) -> Path:
    """``report_dir/<job>.png``: the answer reward (left) and the loss (right) per GRPO step of each run.

    ``runs``: dicts with ``condition``, ``seed``, ``reward`` (per step) and optionally ``loss`` (per step)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conditions = sorted({run["condition"] for run in runs})
    colors = {c: f"C{i}" for i, c in enumerate(conditions)}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for run in runs:
        label = f"{run['condition']} (seed {run['seed']})"
        axes[0].plot(run["reward"], color=colors[run["condition"]], alpha=0.8, label=label)
        if run.get("loss"):
            axes[1].plot(run["loss"], color=colors[run["condition"]], alpha=0.8, label=label)
    axes[0].set(title=f"{job}: answer reward per GRPO step", xlabel="step", ylabel="mean reward (digit credit)")
    axes[1].set(title="GRPO loss per step", xlabel="step", ylabel="loss")
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    path = Path(report_dir) / f"{job}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def cpu_environment() -> dict:
    """What the figures of a CPU job depend on besides the seed: torch's CPU kernels and its thread count."""
    import os

    import torch

    return {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
        "torch_threads": torch.get_num_threads(),
    }
