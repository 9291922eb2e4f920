import pytest

from harness.learning.precondition import PRECONDITION, check_warm_up
from harness.learning.statistics import paired_verdict, required_wins, rise, sign_test_p, summarize


def test_rise_compares_first_and_last_windows():
    r = rise([0.0, 0.1, 0.5, 0.9, 1.0, 1.0], window=2)
    assert r.first == pytest.approx(0.05) and r.last == pytest.approx(1.0) and r.delta == pytest.approx(0.95)


def test_rise_rejects_too_short_curve():
    with pytest.raises(ValueError):
        rise([0.1, 0.2, 0.3], window=2)


def test_summary_holds_every_seed():
    summary = summarize("correct", [[0.1] * 4 + [0.9] * 4, [0.2] * 8], window=4)
    assert summary.deltas == pytest.approx((0.8, 0.0)) and summary.min_delta == pytest.approx(0.0)


def test_warm_up_precondition_names_the_loss_and_steps():
    learned = check_warm_up(3, "copy", [2.0, 0.3, 0.04], threshold=0.05)
    stuck = check_warm_up(4, "copy", [2.0] + [0.23] * 199, threshold=0.05)
    assert learned.passed and not stuck.passed
    assert stuck.message == (f"seed 4: warm-up did not learn the copy task: loss 0.230 after 200 steps "
                             f"(precondition {PRECONDITION}: loss < 0.05)")
    with pytest.raises(ValueError):
        check_warm_up(5, "copy", [], threshold=0.05)


def test_sign_test_and_required_wins():
    assert sign_test_p(4, 4) == 1 / 16 and sign_test_p(3, 4) == 5 / 16 and sign_test_p(0, 4) == 1.0
    assert [required_wins(m, 2) for m in (2, 3, 4, 5)] == [2, 2, 3, 4]


RISING, FLAT, FALLING = [0.1] * 4 + [0.9] * 4, [0.2] * 8, [0.3] * 4 + [0.0] * 4


def _checks(losses):
    return [check_warm_up(seed, "copy", [loss], threshold=0.05) for seed, loss in enumerate(losses)]


def _verdict(treated, control, losses, min_seeds=2):
    curves = {"correct": dict(enumerate(treated)), "random_reward": dict(enumerate(control))}
    return paired_verdict("correct", curves, _checks(losses), window=4, margin=0.3, min_seeds=min_seeds)


def test_paired_verdict_passes_when_treated_beats_the_control_on_every_eligible_seed():
    verdict = _verdict([RISING] * 3, [FALLING] * 3, [0.01] * 3)
    assert verdict["passed"] and verdict["failure"] is None
    assert verdict["paired"]["random_reward"]["differences"]["0"] == pytest.approx(0.8 + 0.3)


def test_paired_verdict_survives_one_unlucky_seed_of_three_but_not_two():
    assert _verdict([RISING, RISING, FLAT], [FALLING] * 3, [0.01] * 3)["passed"]
    verdict = _verdict([RISING, FLAT, FLAT], [FLAT] * 3, [0.01] * 3)
    assert not verdict["passed"] and "on 1 of 3 eligible seeds (2 needed" in verdict["failure"]


def test_paired_verdict_fails_a_control_that_rises_by_itself():
    verdict = _verdict([RISING] * 2, [RISING] * 2, [0.01] * 2)
    assert not verdict["passed"] and "random_reward's own mean rise" in verdict["failure"]


def test_failed_warm_ups_are_excluded_and_too_few_fail_the_precondition_not_grpo():
    # seed 1's warm-up failed: its (flat) GRPO curve is not counted against the job
    verdict = _verdict([RISING, FLAT, RISING], [FALLING] * 3, [0.01, 0.23, 0.01])
    assert verdict["passed"] and verdict["precondition"]["eligible_seeds"] == [0, 2]
    assert "did not learn" in verdict["precondition"]["excluded"]["1"]
    verdict = _verdict([RISING] * 3, [FALLING] * 3, [0.23, 0.23, 0.01])
    assert not verdict["passed"] and verdict["paired"] == {}
    assert verdict["failure"].startswith(f"precondition {PRECONDITION} failed: 1 of 3 seeds")
