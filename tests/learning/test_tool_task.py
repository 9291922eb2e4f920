"""The multi-step ``tool`` task: its own short tokenizer, the lenient tool, the reward that reads the tool's result
from the rollout, a smoke job through trl GRPOTrainer's real tool loop under every mask mode, and the learning
signal itself (CPU size, four seeds: the nightly ``slow`` tier).
"""

import json

import pytest

from harness.learning.sizes import CPU, get_size

TOOL_CONDITIONS = ("correct", "post_tool_masked", "tool_only", "random_reward")


def test_tool_task_tokenizer_is_short_and_rollout_consistent():
    from harness.learning.setup import task_tokenizer
    from harness.learning.tasks import TOOL

    tokenizer = task_tokenizer(TOOL)
    row = TOOL.sft_rows(1, seed=0, wrong_fraction=0.0)[0]
    tools = json.loads(row["tools"])
    text = tokenizer.apply_chat_template(row["messages"], tools=tools, tokenize=False)
    ids = tokenizer(text)["input_ids"]
    assert tokenizer.decode(ids) == text
    assert len(ids) < 45  # the shared tokenizer needs ~250 tokens for the same conversation
    # what a rollout sees (prompt + generation prompt) is a token prefix of the training conversation
    prompt = tokenizer.apply_chat_template(row["messages"][:1], tools=tools, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt)["input_ids"]
    assert ids[: len(prompt_ids)] == prompt_ids


def test_shared_tokenizer_is_unchanged_by_the_tool_task():
    from harness.learning.setup import task_tokenizer

    assert len(task_tokenizer()) == len(task_tokenizer("copy")) != len(task_tokenizer("tool"))


def test_lenient_tool_is_seeded_and_reward_copies_its_result():
    from harness.learning.rewards import AnswerReward
    from harness.learning.tasks import ToolValues

    get = ToolValues(3).get
    first = [get("x") for _ in range(5)]
    get = ToolValues(3).get
    assert [get("anything") for _ in range(5)] == first
    assert all(v in "0123456789" for v in first)

    def rollout(result, answer):
        return [
            {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get", "arguments": {}}}]},
            {"role": "tool", "name": "get", "content": result},
            {"role": "assistant", "content": f"<answer>{answer}</answer>"},
        ]

    reward = AnswerReward(gold_from_tool=True)
    no_tool = [{"role": "assistant", "content": "<answer>4</answer>"}]
    assert reward([rollout("4", "4"), rollout("4", "5"), no_tool], answer=["9", "4", "4"]) == [1.0, 0.0, 0.0]
    assert reward.history[-1]["tool_calls"] == 2 / 3


def test_tool_job_runs_every_mask_mode_through_the_real_tool_loop(harness_report_dir):
    from harness.learning import run_learning_job

    smoke = CPU.with_(name="smoke", sft_steps=30, sft_batch_size=16, sft_stop_below_loss=None, noise_steps=0, grpo_steps=2,
                      prompts_per_step=2, num_generations=4, seeds=(0,), min_seeds=1, window=1)
    summary = run_learning_job(
        "tool", ("correct", "post_tool_masked", "tool_only"), smoke, report_dir=harness_report_dir, name="smoke_tool"
    )
    assert [r["condition"] for r in summary["runs"]] == ["correct", "post_tool_masked", "tool_only"]
    for run in summary["runs"]:
        assert len(run["reward"]) == smoke.grpo_steps
        assert all(0.0 <= r <= 1.0 for r in run["reward"])
    # after a short warm-up the model already calls the tool through trl's loop (tool results reach the reward)
    assert max(max(r["tool_calls"]) for r in summary["runs"]) > 0
    assert (harness_report_dir / "smoke_tool.png").stat().st_size > 1000


@pytest.mark.slow
def test_tool_task_grpo_rises_only_with_correct_masking(harness_report_dir):
    """Nightly (~1 min a seed). Per seed whose warm-up learned the copy, GRPO through trl's tool loop raises the answer
    reward with trl's own masks by more than the margin over each control from the same warm-up: the answer after
    the tool result masked, only the tool-result tokens trained, a random reward (paired verdict, as for the copy
    task); at least 3 of seeds 0-3 must pass the warm-up precondition."""
    from harness.learning import run_learning_job

    size = get_size("cpu", "tool").with_(seeds=(0, 1, 2, 3), min_seeds=3)
    summary = run_learning_job("tool", TOOL_CONDITIONS, size, report_dir=harness_report_dir, name="learning_tool_cpu")
    verdict = summary["verdict"]
    assert verdict["precondition"]["passed"], verdict["failure"]
    assert verdict["passed"], verdict["failure"]
    for correct in (run for run in summary["runs"] if run["condition"] == "correct"):
        # the rise is the answer copied from the tool, not more tool calls: the warmed-up model already calls the tool
        assert min(correct["tool_calls"][: size.window]) > 0.9, (correct["seed"], correct["tool_calls"])
    assert (harness_report_dir / "learning_tool_cpu.png").stat().st_size > 1000
