"""The learning-signal tasks, one object each (``copy``, ``tool``, ``lookup``; what every task provides:
``harness.learning.tasks.base.Task``): prompts with known answers, SFT warm-up conversations, and tools.

The SFT warm-up (``harness.learning.jobs.warm_up``) first trains on correct answers until the model copies, then
briefly on deliberately wrong answers (``sft_rows(wrong_fraction=...)``) so that the model starts GRPO well below
perfect accuracy and GRPO has room to show a rise.
"""

from __future__ import annotations

from harness.learning.tasks.base import Task
from harness.learning.tasks.copy import CopyTask
from harness.learning.tasks.lookup import LOOKUP_TABLE, TABLE_SEED, LookupTask, lookup
from harness.learning.tasks.tool import ToolTask, ToolValues

COPY = CopyTask()
LOOKUP = LookupTask()
TOOL = ToolTask()
TASKS: dict[str, Task] = {"copy": COPY, "lookup": LOOKUP, "tool": TOOL}
# The tasks whose warm-up conversations train the shared tokenizer's merges (fixed, so adding a task does not
# change the tokenizer, hence the tiny models, of the existing tasks).
TOKENIZER_CORPUS_TASKS = ("copy", "lookup")


def get_task(task: str | Task) -> Task:
    """``task`` itself, or the task registered under that name."""
    return task if isinstance(task, Task) else TASKS[task]


__all__ = [
    "COPY",
    "LOOKUP",
    "LOOKUP_TABLE",
    "TABLE_SEED",
    "TASKS",
    "TOKENIZER_CORPUS_TASKS",
    "TOOL",
    "CopyTask",
    "LookupTask",
    "Task",
    "ToolTask",
    "ToolValues",
    "get_task",
    "lookup",
]
