"""GRPO's loss mask on real tool-calling rollouts (trl GRPOTrainer's own tool loop) against the tokens the model
actually sampled (recorded from its ``generate`` calls): trl's mask trains exactly those; each broken mask is named.
The check itself is harness/rollouts/masks.py (unit tests: tests/rollouts/test_masks.py)."""

import pytest

from harness.learning.sizes import get_size
from harness.rollouts.masks import assert_rollout_masks, rollout_mask_problems


@pytest.fixture(scope="module")
def tool_calling_model():
    """The tool task's tiny model after a short warm-up: it has the format and calls the tool (the copy into the
    answer is not needed here)."""
    from harness.learning.jobs import warm_up
    from harness.learning.tasks import TOOL

    size = get_size("cpu", "tool").with_(sft_steps=40, noise_steps=0)
    model, tokenizer, _ = warm_up(TOOL, size, seed=0)
    return model, tokenizer


def _rollouts(tool_calling_model, mask_mode):
    from harness.adapters.trl import grpo_rollout_batch
    from harness.learning.rewards import AnswerReward
    from harness.learning.tasks import TOOL

    model, tokenizer = tool_calling_model
    batch = grpo_rollout_batch(model, tokenizer, TOOL.prompts(4, seed=0), [AnswerReward(gold_from_tool=True)],
                               tools=TOOL.tools_for_run(0), mask_mode=mask_mode, num_generations=4, max_completion_length=24)
    rollouts = [
        {"completion_ids": c, "loss_mask": m, "sampled_mask": s}
        for c, m, s in zip(batch["completion_ids"], batch["loss_mask"], batch["sampled_mask"])
    ]
    return batch, rollouts


def test_trl_trains_exactly_the_sampled_tokens_of_tool_rollouts(tool_calling_model):
    _, tokenizer = tool_calling_model
    batch, rollouts = _rollouts(tool_calling_model, "correct")
    with_tool = [r for r, tool_mask in zip(rollouts, batch["tool_mask"]) if 0 in tool_mask]
    assert len(with_tool) >= len(rollouts) // 2, "the warmed-up model should call the tool in most rollouts"
    for rollout in with_tool:
        injected = [t for t, s in zip(rollout["completion_ids"], rollout["sampled_mask"]) if not s]
        sampled = [t for t, s in zip(rollout["completion_ids"], rollout["sampled_mask"]) if s]
        assert "<tool_response>" in tokenizer.decode(injected)  # the recorded ground truth finds the tool result
        assert tokenizer.eos_token_id in sampled  # and the model's own end-of-turn tokens
    assert_rollout_masks(rollouts, tokenizer)


@pytest.mark.parametrize(
    "mask_mode, expected",
    [
        ("post_tool_masked", {"sampled_token_not_trained"}),
        ("tool_only", {"injected_token_trained", "sampled_token_not_trained"}),
    ],
)
def test_broken_grpo_masks_are_named(tool_calling_model, mask_mode, expected):
    _, tokenizer = tool_calling_model
    _, rollouts = _rollouts(tool_calling_model, mask_mode)
    problems = rollout_mask_problems(rollouts, tokenizer)
    assert {p.name for p in problems} == expected
    with pytest.raises(AssertionError, match="rollout loss-mask problem"):
        assert_rollout_masks(rollouts, tokenizer)


def test_tool_results_trained_is_caught(tool_calling_model):
    """The classic bug: the whole completion trained, tool results included (trl's tool mask ignored)."""
    _, tokenizer = tool_calling_model
    _, rollouts = _rollouts(tool_calling_model, "correct")
    broken = [{**r, "loss_mask": [1] * len(r["completion_ids"])} for r in rollouts]
    problems = rollout_mask_problems(broken, tokenizer)
    assert {p.name for p in problems} == {"injected_token_trained"}
    assert "<tool_response>" in problems[0].table and "injected" in problems[0].table
