"""harness.rollouts.masks on hand-made rollouts: which completion tokens were sampled, and the named problems."""

import pytest

from harness.rollouts.masks import assert_rollout_masks, index_generations, rollout_mask_problems, sampled_mask

PROMPT = [1, 2, 3]
# completion: call (10 11 EOS=9), tool result injected (20 21 22), answer (30 31 EOS=9)
COMPLETION = [10, 11, 9, 20, 21, 22, 30, 31, 9]
SAMPLED = [1, 1, 1, 0, 0, 0, 1, 1, 1]
RECORDS = [
    (PROMPT, [10, 11, 9]),
    (PROMPT, [12, 9]),  # another sample of the same prompt
    (PROMPT + [10, 11, 9, 20, 21, 22], [30, 31, 9]),
]


def test_sampled_positions_come_from_the_recorded_generations():
    assert sampled_mask(PROMPT, COMPLETION, index_generations(RECORDS)) == SAMPLED


def test_a_generation_truncated_by_the_completion_budget_still_counts():
    assert sampled_mask(PROMPT, COMPLETION[:7], index_generations(RECORDS)) == SAMPLED[:7]


def test_tokens_that_differ_from_the_sample_are_not_sampled():
    """A turn re-tokenized or rewritten after sampling (here 30 31 became 30 32): those tokens were never sampled."""
    rewritten = COMPLETION[:6] + [30, 32, 9]
    assert sampled_mask(PROMPT, rewritten, index_generations(RECORDS)) == [1, 1, 1, 0, 0, 0, 0, 0, 0]


def test_correct_mask_passes_and_each_wrong_one_is_named():
    correct = {"completion_ids": COMPLETION, "loss_mask": SAMPLED, "sampled_mask": SAMPLED}
    assert rollout_mask_problems([correct]) == []
    assert_rollout_masks([correct])
    tool_trained = {**correct, "loss_mask": [1] * 9}
    answer_masked = {**correct, "loss_mask": [1, 1, 1, 0, 0, 0, 0, 0, 0]}
    eos_untrained = {**correct, "loss_mask": [1, 1, 0, 0, 0, 0, 1, 1, 0]}
    problems = rollout_mask_problems([tool_trained, answer_masked, eos_untrained])
    assert [(p.rollout, p.name, p.positions) for p in problems] == [
        (0, "injected_token_trained", (3, 4, 5)),
        (1, "sampled_token_not_trained", (6, 7, 8)),
        (2, "sampled_token_not_trained", (2, 8)),
    ]
    assert "injected" in problems[0].table and "◀" in problems[0].table
    with pytest.raises(AssertionError, match=r"3 rollout loss-mask problem\(s\)"):
        assert_rollout_masks([tool_trained, answer_masked, eos_untrained])


def test_masks_of_the_wrong_length_are_an_error_naming_the_rollout():
    with pytest.raises(ValueError, match="rollout 0: completion_ids \\(9\\), loss_mask \\(8\\)"):
        rollout_mask_problems([{"completion_ids": COMPLETION, "loss_mask": SAMPLED[:8], "sampled_mask": SAMPLED}])
