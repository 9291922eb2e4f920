import pytest

from harness.learning.statistics import learning_signal_verdict, rise, summarize


def test_rise_compares_first_and_last_windows():
    r = rise([0.0, 0.1, 0.5, 0.9, 1.0, 1.0], window=2)
    assert r.first == pytest.approx(0.05) and r.last == pytest.approx(1.0) and r.delta == pytest.approx(0.95)


def test_rise_rejects_too_short_curve():
    with pytest.raises(ValueError):
        rise([0.1, 0.2, 0.3], window=2)


def test_verdict_passes_only_when_every_seed_rises_and_controls_stay_flat():
    treated = summarize("correct", [[0.1] * 4 + [0.9] * 4, [0.2] * 4 + [0.8] * 4], window=4)
    flat = summarize("random_reward", [[0.1] * 8, [0.2] * 8], window=4)
    assert learning_signal_verdict(treated, [flat], margin=0.3)["passed"]
    one_seed_flat = summarize("correct", [[0.1] * 4 + [0.9] * 4, [0.2] * 8], window=4)
    assert not learning_signal_verdict(one_seed_flat, [flat], margin=0.3)["passed"]
    rising_control = summarize("random_reward", [[0.1] * 4 + [0.9] * 4], window=4)
    assert not learning_signal_verdict(treated, [rising_control], margin=0.3)["passed"]
