"""The learning-signal tasks: prompts with known answers, SFT warm-up conversations, and tools.

* ``copy``: single step; the prompt is an empty system message and ``Copy N.``, the answer ``<answer>N</answer>``
  (the number in the question, ``digits`` long, 1 by default). Short on purpose: the prompt keeps the copy
  source close (a tiny model's copy plateau grows with context length) and completions fit in 10 tokens.
* ``lookup``: multi step; the model must call the tool ``lookup(key)`` (a fixed random table, strict: a wrong key
  returns ``unknown``) through GRPO's real tool loop, then copy the tool's result into ``<answer>N</answer>``.
  Kept for experiments with real-size models; no learning assertion uses it (a tiny model does not learn it on
  CPU, and with a strict table a broken answer mask still leaves the reward of the right key in the tool call).
* ``tool``: multi step, CPU-sized; the prompt is ``Get x.``, the model calls ``get(key)`` (lenient: any key answers
  with a fresh seeded random digit, so the result can be neither memorised nor computed) through GRPO's real tool
  loop and must copy the result into ``<answer>D</answer>``; the reward reads the reference from the rollout's own
  tool message (``answer_from_tool``). It has its own tokenizer, whose merges span whole stretches between special
  tokens, so the whole conversation is ~37 tokens (the chat template's tool preamble is 7) and the copy source sits
  7 tokens before the answer (with merges stopping at newlines, 75 tokens, the copy did not break through in 200
  SFT steps on 2 seeds). Measured on CPU (seeds 0-3, ``sizes.TASK_ADJUSTMENTS``): SFT learns the copy in 140-210
  steps; GRPO then lifts the answer reward from chance (~0.1) to ~0.6 in 40 steps with trl's masks, and not with
  the answer after the tool masked, with only tool results trained, or on a random reward.

The SFT warm-up (``harness.learning.jobs.warm_up``) first trains on correct answers until the model copies, then
briefly on deliberately wrong answers (random digits, ``sft_rows(wrong_fraction=...)``) so that the model starts GRPO
well below perfect accuracy and GRPO has room to show a rise.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

TABLE_SEED = 1234


def _lookup_table() -> dict[str, str]:
    rng = random.Random(TABLE_SEED)
    return {f"{k:02d}": f"{rng.randrange(100, 1000)}" for k in range(100)}


LOOKUP_TABLE = _lookup_table()


_TOOL_VALUES = random.Random("tool-values")


def reset_tool_values(seed: int) -> None:
    """Restart the value stream of ``get`` (once per GRPO run, so that runs are deterministic)."""
    _TOOL_VALUES.seed(f"tool-values-{seed}")


def get(key: str) -> str:
    """Get the current value of a key.

    Args:
        key: The key.
    """
    # Lenient: any key answers, and the value is a fresh random digit on every call, so the model can neither
    # memorise nor compute it: it has to copy the tool's result.
    return str(_TOOL_VALUES.randrange(10))


def lookup(key: str) -> str:
    """Look up the value stored under a two-digit key.

    Args:
        key: The two-digit key to look up, for example "07".
    """
    return LOOKUP_TABLE.get(str(key).strip(), "unknown")


@dataclass(frozen=True)
class Task:
    """A task: how to make prompts, warm-up conversations and the reference answer."""

    name: str
    tools: list[Callable] = field(default_factory=list)
    digits: int = 1  # digits of the number to copy (copy task)
    answer_from_tool: bool = False  # the reference answer is the tool's result in the completion (rewards.py)
    own_tokenizer_vocab: int | None = None  # a tokenizer of its own (setup.task_tokenizer), or the shared one

    def _number(self, rng: random.Random) -> str:
        low = 10 ** (self.digits - 1) if self.digits > 1 else 0
        return f"{rng.randrange(low, 10**self.digits)}"

    # ---- examples -------------------------------------------------------------------------------------------
    def example(self, rng: random.Random) -> dict:
        """One example: ``prompt`` (chat messages), ``answer`` (the reference string) and ``key``."""
        if self.name == "copy":
            number = self._number(rng)
            prompt = [{"role": "system", "content": ""}, {"role": "user", "content": f"Copy {number}."}]
            return {"prompt": prompt, "answer": number, "key": number}
        if self.name == "tool":
            # the answer is whatever the tool returns in the rollout (answer_from_tool); here, for warm-up rows
            value = f"{rng.randrange(10)}"
            return {"prompt": [{"role": "user", "content": "Get x."}], "answer": value, "key": "x"}
        key = f"{rng.randrange(100):02d}"
        return {
            "prompt": [{"role": "user", "content": f"Look up key {key} and report its value."}],
            "answer": LOOKUP_TABLE[key],
            "key": key,
        }

    def prompts(self, n: int, seed: int) -> list[dict]:
        rng = random.Random(f"{self.name}-prompts-{seed}")
        return [self.example(rng) for _ in range(n)]

    # ---- SFT warm-up ----------------------------------------------------------------------------------------
    def conversation(self, example: dict, answer: str) -> list[dict]:
        """The full conversation for ``example`` whose final answer is ``answer`` (right or wrong)."""
        final = {"role": "assistant", "content": f"<answer>{answer}</answer>"}
        if self.name == "copy":
            return [*example["prompt"], final]
        tool = self.tools[0]
        call = {"type": "function", "function": {"name": tool.__name__, "arguments": {"key": example["key"]}}}
        return [
            *example["prompt"],
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "name": tool.__name__, "content": example["answer"] if self.answer_from_tool else tool(example["key"])},
            final,
        ]

    def sft_rows(self, n: int, seed: int, wrong_fraction: float = 0.5) -> list[dict]:
        """Conversational SFT rows ``{"messages", "tools"}``; ``wrong_fraction`` of them end in random digits."""
        rng = random.Random(f"{self.name}-sft-{seed}")
        rows = []
        for _ in range(n):
            example = self.example(rng)
            answer = example["answer"]
            if rng.random() < wrong_fraction:
                answer = self._number(rng) if self.name != "lookup" else f"{rng.randrange(100, 1000)}"
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


COPY = Task("copy")
LOOKUP = Task("lookup", tools=[lookup])
TOOL = Task("tool", tools=[get], answer_from_tool=True, own_tokenizer_vocab=1000)
TASKS = {"copy": COPY, "lookup": LOOKUP, "tool": TOOL}
# The tasks whose warm-up conversations train the shared tokenizer's merges (fixed, so adding a task does not
# change the tokenizer, hence the tiny models, of the existing tasks).
TOKENIZER_CORPUS_TASKS = ("copy", "lookup")
