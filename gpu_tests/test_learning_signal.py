"""GPU learning-signal jobs: GPU sizes (bigger model, more steps, more seeds), same code as the CPU variants.

``--harness-model PATH`` runs the jobs on a real model and its tokenizer instead of the tiny one.
"""

import pytest

pytestmark = pytest.mark.gpu


def test_single_step_grpo_rises_and_random_reward_does_not(harness_report_dir, harness_model):
    from harness.learning import run_learning_job

    summary = run_learning_job(
        "copy", ("correct", "random_reward"), "gpu", report_dir=harness_report_dir, model_path=harness_model,
        name="gpu_learning_copy",
    )
    assert summary["verdict"]["passed"], summary["verdict"] | {"signal": summary["signal"]}


def test_tool_task_rises_only_with_correct_masking(harness_report_dir, harness_model):
    from harness.learning import run_learning_job

    summary = run_learning_job(
        "tool", ("correct", "post_tool_masked", "tool_only", "random_reward"), "gpu", report_dir=harness_report_dir,
        model_path=harness_model, name="gpu_learning_tool",
    )
    assert summary["verdict"]["passed"], summary["verdict"] | {"signal": summary["signal"]}
