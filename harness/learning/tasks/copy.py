"""The ``copy`` task: single step; the prompt is an empty system message and ``Copy N.``, the answer
``<answer>N</answer>`` (the number in the question, ``digits`` long, 1 by default). Short on purpose: the prompt
keeps the copy source close (a tiny model's copy plateau grows with context length) and completions fit in 10 tokens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from harness.learning.tasks.base import Task, answer_message


@dataclass(frozen=True)
class CopyTask(Task):
    """Copy the number in the question into the answer tag."""

    name = "copy"
    max_completion_length = 10
    digits: int = 1  # digits of the number to copy

    def _number(self, rng: random.Random) -> str:
        low = 10 ** (self.digits - 1) if self.digits > 1 else 0
        return f"{rng.randrange(low, 10**self.digits)}"

    def example(self, rng: random.Random) -> dict:
        number = self._number(rng)
        prompt = [{"role": "system", "content": ""}, {"role": "user", "content": f"Copy {number}."}]
        return {"prompt": prompt, "answer": number, "key": number}

    def wrong_answer(self, rng: random.Random) -> str:
        return self._number(rng)

    def conversation(self, example: dict, answer: str) -> list[dict]:
        return [*example["prompt"], answer_message(answer)]
