"""The ``lookup`` task: multi step; the model must call the tool ``lookup(key)`` (a fixed random table, strict: a
wrong key returns ``unknown``) through GRPO's real tool loop, then copy the tool's result into ``<answer>N</answer>``.
Kept for experiments with real-size models; no learning assertion uses it (a tiny model does not learn it on CPU, and
with a strict table a broken answer mask still leaves the reward of the right key in the tool call).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from harness.learning.tasks.base import Task, tool_call_conversation

TABLE_SEED = 1234


def _lookup_table() -> dict[str, str]:
    rng = random.Random(TABLE_SEED)
    return {f"{k:02d}": f"{rng.randrange(100, 1000)}" for k in range(100)}


LOOKUP_TABLE = _lookup_table()


def lookup(key: str) -> str:
    """Look up the value stored under a two-digit key.

    Args:
        key: The two-digit key to look up, for example "07".
    """
    return LOOKUP_TABLE.get(str(key).strip(), "unknown")


@dataclass(frozen=True)
class LookupTask(Task):
    """Look a key up in ``LOOKUP_TABLE`` through the ``lookup`` tool and report its value."""

    name = "lookup"
    max_completion_length = 48

    @property
    def tools(self) -> list[Callable]:
        return [lookup]

    def example(self, rng: random.Random) -> dict:
        key = f"{rng.randrange(100):02d}"
        return {
            "prompt": [{"role": "user", "content": f"Look up key {key} and report its value."}],
            "answer": LOOKUP_TABLE[key],
            "key": key,
        }

    def wrong_answer(self, rng: random.Random) -> str:
        return f"{rng.randrange(100, 1000)}"

    def conversation(self, example: dict, answer: str) -> list[dict]:
        return tool_call_conversation(example, lookup.__name__, lookup(example["key"]), answer)
