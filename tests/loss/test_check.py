"""``check_training_step`` end to end (Hypothesis steps from the strategies, shrinking, report, replay, fixture)."""

import pytest

from harness.testing.planted_loss import PLANTED_LOSS_BUGS, reference_step


def test_reference_step_passes(qwen, tiny_model, training_step_check):
    report = training_step_check(reference_step(qwen, qwen.eos_token, micro_batch_size=2), qwen, max_examples=2,
                                 tools=False, conversations_per_step=(2, 3), model=tiny_model)
    assert report.passed and report.steps >= 1 and report.trained_tokens > 0


def test_planted_bug_is_reported_with_its_table_and_replay(qwen, tiny_model, tmp_path):
    from harness import check_training_step

    factory, key = PLANTED_LOSS_BUGS["mask_ignored"]
    report = check_training_step(factory(qwen, qwen.eos_token), qwen, max_examples=2, tools=False, model=tiny_model,
                                 conversations_per_step=(2, 2), replay_dir=tmp_path, max_rounds=1)
    assert report.keys == [key]
    text = str(report)
    assert "FAILED" in text and "weight" in text and "✗   ✓" in text
    replay = report.failures[0].replay
    assert replay and str(tmp_path) in replay


def test_bad_arguments_are_clear_errors(qwen):
    from harness import check_training_step

    step = reference_step(qwen, qwen.eos_token)
    with pytest.raises(ValueError, match="normalization"):
        check_training_step(step, qwen, normalization="per-row", max_examples=1)
    with pytest.raises(TypeError, match="callable"):
        check_training_step("step", qwen, max_examples=1)
    with pytest.raises(ValueError, match="conversations_per_step"):
        check_training_step(step, qwen, conversations_per_step=(3, 1), max_examples=1)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLANTED_LOSS_BUGS))
def test_search_finds_each_planted_bug_as_its_own_class(qwen, name):
    """The full search (tool conversations included, shrinking, rounds) on each planted bug: exactly its class."""
    from harness import check_training_step

    factory, key = PLANTED_LOSS_BUGS[name]
    report = check_training_step(factory(qwen, qwen.eos_token), qwen, max_examples=8)
    assert report.keys == [key], str(report)


@pytest.mark.slow
@pytest.mark.parametrize("micro_batch_size", [None, 1, 2])
def test_search_passes_the_reference_step(qwen, micro_batch_size):
    from harness import check_training_step

    report = check_training_step(reference_step(qwen, qwen.eos_token, micro_batch_size=micro_batch_size), qwen,
                                 max_examples=8)
    assert report.passed, str(report)
