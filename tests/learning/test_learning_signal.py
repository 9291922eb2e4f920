"""The learning signal itself, on CPU: trl SFTTrainer warm-up then trl GRPOTrainer on the single-step copy task, with
the random-reward control from the same warm-up, per seed (``harness.learning.statistics.paired_verdict``).

Two named stages, so a failure says which one failed:
1. precondition ``warm_up_learned_the_task``: phase 1 of the warm-up reached SFT loss < 0.1 within 200 steps (the
   copy, not only the format: a model on the ~0.23 "format, no copy" plateau gives GRPO nothing to recover). When a
   seed gets there depends on the CPU's kernels, so candidate seeds 0-7 are warmed up in order until 3 have passed;
   the others are excluded and named; fewer than 2 fails the job on the precondition.
2. paired comparison: per eligible seed, rise(correct) - rise(random_reward) > ``margin`` 0.15 (rise: mean answer
   reward of the last 8 GRPO steps minus the first 8) on all eligible seeds but one (both when only 2 are eligible);
   random_reward's own mean rise < 0.15.
"""

import pytest

from harness.learning.sizes import get_size


def _run(size, name, harness_report_dir):
    from harness.learning import run_learning_job

    summary = run_learning_job("copy", ("correct", "random_reward"), size, report_dir=harness_report_dir, name=name)
    verdict = summary["verdict"]
    assert verdict["precondition"]["passed"], verdict["failure"]
    assert verdict["passed"], verdict["failure"]
    assert (harness_report_dir / f"{name}.png").stat().st_size > 1000
    return summary


def test_single_step_grpo_rises_against_random_reward_per_seed(harness_report_dir):
    _run(get_size("cpu", "copy"), "learning_copy_cpu", harness_report_dir)


@pytest.mark.slow
def test_single_step_grpo_rises_against_random_reward_more_seeds(harness_report_dir):
    """Nightly: the same verdict on more seeds (warm-ups until 6 of candidates 100-115 pass; at least 4 must)."""
    size = get_size("cpu", "copy").with_(seeds=tuple(range(100, 116)), min_seeds=4, enough_seeds=6)
    _run(size, "learning_copy_cpu_more_seeds", harness_report_dir)
