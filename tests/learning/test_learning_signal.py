"""The learning signal itself, on CPU: trl SFTTrainer warm-up then trl GRPOTrainer on the single-step copy task.

Per seed, GRPO with the answer reward must raise the mean reward of its last ``window`` steps over its first
``window`` by more than ``margin``; GRPO on a random reward (same warm-up, same seeds) must not.
"""

from harness.learning.sizes import CPU


def test_single_step_grpo_rises_and_random_reward_does_not(harness_report_dir):
    from harness.learning import run_learning_job

    summary = run_learning_job(
        "copy", ("correct", "random_reward"), CPU, report_dir=harness_report_dir, name="learning_copy_cpu"
    )
    assert summary["verdict"]["passed"], summary["verdict"] | {"signal": summary["signal"]}
    assert (harness_report_dir / "learning_copy_cpu.png").stat().st_size > 1000
