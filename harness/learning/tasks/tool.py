"""The ``tool`` task: multi step, CPU-sized; the prompt is ``Get x.``, the model calls ``get(key)`` (lenient: any key
answers with a fresh seeded random digit, so the result can be neither memorised nor computed) through GRPO's real
tool loop and must copy the result into ``<answer>D</answer>``; the reward reads the reference from the rollout's own
tool message (``answer_from_tool``).

It has its own tokenizer, whose merges span whole stretches between special tokens, so the whole conversation is ~37
tokens (the chat template's tool preamble is 7) and the copy source sits 7 tokens before the answer (with merges
stopping at newlines, 75 tokens, the copy did not break through in 200 SFT steps on 2 seeds). Measured on CPU (seeds
0-3, ``sizes.TASK_ADJUSTMENTS``): SFT learns the copy in 140-210 steps; GRPO then lifts the answer reward from chance
(~0.1) to ~0.6 in 40 steps with trl's masks, and not with the answer after the tool masked, with only tool results
trained, or on a random reward.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from harness.learning.tasks.base import Task, tool_call_conversation


# ``get``'s docstring, read into its JSON schema (the description and the argument's), as a module-level function has it
_GET_DOC = """Get the current value of a key.

    Args:
        key: The key.
    """


class ToolValues:
    """The value stream of one lenient ``get`` tool: a ``random.Random`` seeded from ``seed`` that ``get`` draws a
    digit from. Each GRPO run makes its own (``ToolTask.tools_for_run``); nothing is shared between runs."""

    def __init__(self, seed: int):
        self._rng = random.Random(f"tool-values-{seed}")
        self.get = self._make_get()

    def _make_get(self) -> Callable[[str], str]:
        rng = self._rng

        def get(key: str) -> str:
            # Lenient: any key answers, and the value is a fresh random digit on every call, so the model can neither
            # memorise nor compute it: it has to copy the tool's result.
            return str(rng.randrange(10))

        get.__doc__ = _GET_DOC
        return get


@dataclass(frozen=True)
class ToolTask(Task):
    """Call ``get`` and copy its result into the answer tag."""

    name = "tool"
    max_completion_length = 24
    answer_from_tool = True
    own_tokenizer_vocab = 1000
    @property
    def tools(self) -> list[Callable]:
        """``get`` on the stream of seed 0 (what its schema is read from; a GRPO run takes ``tools_for_run(seed)``)."""
        return self.tools_for_run(0)

    def tools_for_run(self, seed: int) -> list[Callable]:
        """A ``get`` with a fresh stream from ``seed``: a run's tool results depend on its seed alone."""
        return [ToolValues(seed).get]

    def example(self, rng: random.Random) -> dict:
        # the answer is whatever the tool returns in the rollout (answer_from_tool); here, for warm-up rows
        value = f"{rng.randrange(10)}"
        return {"prompt": [{"role": "user", "content": "Get x."}], "answer": value, "key": "x"}

    def wrong_answer(self, rng: random.Random) -> str:
        return f"{rng.randrange(0, 10)}"

    def conversation(self, example: dict, answer: str) -> list[dict]:
        # the warm-up's tool result is the example's answer: the reference the copy is learned from
        return tool_call_conversation(example, "get", example["answer"], answer)
