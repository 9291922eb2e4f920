"""End-to-end plumbing of a learning job at the smallest size: SFT warm-up, GRPO per condition, reports.

The learning-signal assertion itself is tests/learning/test_learning_signal.py (CPU size) and
gpu_tests/test_learning_signal.py (GPU size).
"""

import json

from harness.learning.sizes import CPU

# No warm-up precondition (sft_stop_below_loss=None): 6 SFT steps learn nothing; this is plumbing, not learning.
SMOKE = CPU.with_(name="smoke", sft_steps=6, sft_batch_size=8, sft_stop_below_loss=None, noise_steps=2, grpo_steps=4,
                  prompts_per_step=2, num_generations=4, seeds=(0, 1), min_seeds=1, enough_seeds=1, window=2)


def test_single_step_job_writes_reports_and_curves(harness_report_dir):
    from harness.learning import run_learning_job

    summary = run_learning_job(
        "copy", ("correct", "random_reward"), SMOKE, report_dir=harness_report_dir, name="smoke_copy"
    )
    assert len(summary["runs"]) == 2
    for run in summary["runs"]:
        assert len(run["reward"]) == SMOKE.grpo_steps
        assert all(0.0 <= r <= 1.0 for r in run["reward"])
        assert len(run["loss"]) == SMOKE.grpo_steps
    assert set(summary["signal"]) == {"correct", "random_reward"}
    assert set(summary["verdict"]) >= {"passed", "failure", "precondition", "paired"}
    # seed 1 is never warmed up: enough seeds (1) passed the precondition before it
    assert summary["verdict"]["precondition"]["seeds"] == summary["verdict"]["precondition"]["eligible_seeds"] == [0]
    assert set(summary["verdict"]["paired"]["random_reward"]) >= {"differences", "wins", "sign_test_p"}
    dist = summary["warmups"]["0"]["loss_distribution"]
    assert dist["active_tokens"] == dist["by_role"]["assistant"]["trained"]["count"] > 0
    written = json.loads((harness_report_dir / "smoke_copy.json").read_text())
    assert written["job"] == "smoke_copy"
    assert {"cpu_capability", "torch_threads"} <= set(written["environment"])
    assert (harness_report_dir / "smoke_copy.png").stat().st_size > 1000
