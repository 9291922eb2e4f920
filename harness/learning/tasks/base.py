"""What every learning task provides: example prompts with a reference answer, SFT warm-up rows (some ending in
deliberately wrong answers), its tools and their JSON schemas, and the corpus its tokenizer's merges are trained on.

Every random draw comes from a ``random.Random`` made per call from the task's name and the caller's seed (or passed
in), so a task's data depends on nothing but its arguments.
"""

from __future__ import annotations

import json
import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar


def answer_message(answer: str) -> dict:
    """The assistant's final turn: ``<answer>ANSWER</answer>``."""
    return {"role": "assistant", "content": f"<answer>{answer}</answer>"}


def tool_call_conversation(example: dict, tool_name: str, result: str, answer: str) -> list[dict]:
    """``example``'s prompt, one call of ``tool_name(key=example["key"])``, its ``result``, and the final ``answer``."""
    call = {"type": "function", "function": {"name": tool_name, "arguments": {"key": example["key"]}}}
    return [
        *example["prompt"],
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "name": tool_name, "content": result},
        answer_message(answer),
    ]


@dataclass(frozen=True)
class Task(ABC):
    """A learning task: how to make prompts, warm-up conversations and the reference answer."""

    name: ClassVar[str]
    max_completion_length: ClassVar[int]  # GRPO's completion budget, in tokens
    answer_from_tool: ClassVar[bool] = False  # the reference answer is the tool's result in the rollout (rewards.py)
    own_tokenizer_vocab: ClassVar[int | None] = None  # a tokenizer of its own (setup.task_tokenizer), or the shared one

    # ---- what each task defines ------------------------------------------------------------------------------
    @abstractmethod
    def example(self, rng: random.Random) -> dict:
        """One example: ``prompt`` (chat messages), ``answer`` (the reference string) and ``key``."""

    @abstractmethod
    def wrong_answer(self, rng: random.Random) -> str:
        """A random answer of the right shape, for the warm-up's wrong rows."""

    @abstractmethod
    def conversation(self, example: dict, answer: str) -> list[dict]:
        """The full conversation for ``example`` whose final answer is ``answer`` (right or wrong)."""

    @property
    def tools(self) -> list[Callable]:
        """The tools the model may call (none by default)."""
        return []

    def tools_for_run(self, seed: int) -> list[Callable]:
        """The tools of one GRPO run from ``seed`` (a task whose tools draw random values gives each run its own)."""
        return self.tools

    # ---- built on the above ----------------------------------------------------------------------------------
    def prompts(self, n: int, seed: int) -> list[dict]:
        rng = random.Random(f"{self.name}-prompts-{seed}")
        return [self.example(rng) for _ in range(n)]

    def sft_rows(self, n: int, seed: int, wrong_fraction: float = 0.5) -> list[dict]:
        """Conversational SFT rows ``{"messages", "tools"}``; ``wrong_fraction`` of them end in random answers."""
        rng = random.Random(f"{self.name}-sft-{seed}")
        rows = []
        for _ in range(n):
            example = self.example(rng)
            answer = example["answer"]
            if rng.random() < wrong_fraction:
                answer = self.wrong_answer(rng)
            rows.append({"messages": self.conversation(example, answer), "tools": self.tool_schemas_json()})
        return rows

    def tool_schemas_json(self) -> str | None:
        """Tool schemas as JSON (trl's SFT tokenization reads a JSON string), or None without tools."""
        if not self.tools:
            return None
        from harness.adapters.transformers import json_schema

        return json.dumps([json_schema(tool) for tool in self.tools])

    def tokenizer_corpus(self, render: Callable[[list[dict], str | None], str], n: int = 400) -> list[str]:
        """Rendered warm-up conversations, to train the task tokenizer's merges on."""
        return [render(row["messages"], row["tools"]) for row in self.sft_rows(n, seed=10_000, wrong_fraction=0.5)]
