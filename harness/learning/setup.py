"""Builds what every job starts from: the task tokenizer and a freshly initialised tiny model."""

from __future__ import annotations

import functools

from harness.learning.tasks import TASKS, Task


def _render_with(tokenizer):
    import json

    def render(messages, tools_json):
        tools = json.loads(tools_json) if tools_json else None
        return tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)

    return render


@functools.lru_cache(maxsize=None)
def _task_tokenizer_cached():
    from harness.learning.task_tokenizer import build_task_tokenizer

    # Pass 1: a bytes-only tokenizer, only to render the conversations with the chat template.
    bootstrap = build_task_tokenizer(["0123456789"], vocab_size=300)
    corpus = [text for task in TASKS.values() for text in task.tokenizer_corpus(_render_with(bootstrap))]
    # Pass 2: merges trained on the rendered conversations of every task.
    return build_task_tokenizer(corpus)


def task_tokenizer():
    """The byte-level BPE tokenizer shared by all learning tasks (a fresh copy each call)."""
    import copy

    return copy.deepcopy(_task_tokenizer_cached())


def fresh_model(tokenizer, size, seed: int):
    from harness.learning.tiny_model import build_tiny_model

    return build_tiny_model(tokenizer, size, seed)


def get_task(task: str | Task) -> Task:
    return task if isinstance(task, Task) else TASKS[task]
