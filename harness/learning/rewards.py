"""Reward functions for GRPO (trl signature: ``f(completions, **dataset_columns) -> list[float]``).

* ``AnswerReward``: partial credit per digit of ``<answer>N</answer>`` in the final assistant message (exact match
  alone gives no within-group variance at the start, hence no GRPO signal). Records per-call means.
* ``RandomReward``: the control; uniform noise, seeded, uncorrelated with the answer.
"""

from __future__ import annotations

import random
import re

ANSWER_RE = re.compile(r"<answer>\s*(\d+)\s*</answer>")


def final_text(completion) -> str:
    """The final assistant text of a completion: a string, or a list of chat messages (tool loop)."""
    if isinstance(completion, str):
        return completion
    for message in reversed(completion):
        if message.get("role") == "assistant" and message.get("content"):
            return message["content"]
    return ""


def extract_answer(text: str) -> str | None:
    match = ANSWER_RE.search(text)
    return match.group(1) if match else None


def digit_credit(predicted: str | None, gold: str) -> float:
    """Fraction of ``gold``'s digits matched position by position; a longer prediction is penalised."""
    if not predicted or not gold:
        return 0.0
    hits = sum(p == g for p, g in zip(predicted, gold))
    return hits / max(len(predicted), len(gold))


def tool_result(completion) -> str | None:
    """The content of the last tool message of a completion (tool loop), or None without a tool call."""
    if isinstance(completion, str):
        return None
    results = [m.get("content") for m in completion if m.get("role") == "tool"]
    return str(results[-1]).strip() if results else None


def tool_was_called(completion) -> bool:
    return not isinstance(completion, str) and any(m.get("role") == "tool" for m in completion)


class AnswerReward:
    """Partial-credit answer reward that also records, per call (= per GRPO generation batch), the mean reward,
    exact accuracy and tool-call rate.

    ``gold_from_tool``: the reference is what the tool returned in this very completion (a lenient tool answers
    any key; the answer must copy the tool's result); a completion without a tool call earns 0."""

    __name__ = "answer_reward"

    def __init__(self, gold_from_tool: bool = False) -> None:
        self.gold_from_tool = gold_from_tool
        self.history: list[dict] = []

    def __call__(self, completions, answer, **kwargs) -> list[float]:
        credits, exact, called = [], [], []
        for completion, gold in zip(completions, answer):
            if self.gold_from_tool:
                gold = tool_result(completion) or ""
            predicted = extract_answer(final_text(completion))
            credits.append(digit_credit(predicted, gold))
            exact.append(float(predicted == gold))
            called.append(float(tool_was_called(completion)))
        n = max(len(credits), 1)
        self.history.append(
            {"reward": sum(credits) / n, "exact": sum(exact) / n, "tool_calls": sum(called) / n}
        )
        return credits


class RandomReward:
    """Seeded uniform noise in [0, 1): the no-signal control."""

    __name__ = "random_reward"

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"random-reward-{seed}")

    def __call__(self, completions, **kwargs) -> list[float]:
        return [self.rng.random() for _ in completions]
