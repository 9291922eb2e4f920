"""Job reports: a JSON summary and a PNG plot of reward (and loss) per step for each condition and seed."""

from __future__ import annotations

import json
from pathlib import Path


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


def write_json(report_dir, name: str, summary: dict) -> Path:
    path = Path(report_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, sort_keys=True, default=str))
    return path


def plot_curves(report_dir, name: str, runs: list[dict]) -> Path:
    """``runs``: dicts with ``condition``, ``seed``, ``reward`` (per step) and optionally ``loss`` (per step)."""
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
    axes[0].set(title=f"{name}: answer reward per GRPO step", xlabel="step", ylabel="mean reward (digit credit)")
    axes[1].set(title="GRPO loss per step", xlabel="step", ylabel="loss")
    axes[0].legend(fontsize=6)
    fig.tight_layout()
    path = Path(report_dir) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
